"""Click commands of the report package: `pipeline report OUT` and `pipeline diff OUT ID`.

Registered by pipeline/cli/main.py; library errors become one-line click errors, like the other
commands.
"""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click

from pipeline.cli.errors import one_line_errors


@click.command("diff")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("doc_id")
@click.option("--stage", "only_stage", help="Show only this stage (e.g. spam).")
@click.option("--context", "-U", default=2, show_default=True, type=click.IntRange(0, 1000), help="Unchanged lines around each change.")
@click.option("--color/--no-color", default=None, help="Colour output (default: on a terminal, unless NO_COLOR is set).")
@one_line_errors
def diff_command(out: Path, doc_id: str, only_stage: str | None, context: int, color: bool | None) -> None:
    """What each stage did to one document: a unified diff per stage, with the reason beside
    each removed line. Plain text when not a terminal, so it pipes.

    \b
    Examples:
      pipeline diff outputs/samples 004_6557ed33d5c9a9db
      pipeline diff outputs/samples 001_cbb55a347cb20141 --stage spam
    """
    from pipeline.io.layout import RunLayout
    from pipeline.report.diff import render_diff
    from pipeline.report.history import load_history

    stages = RunLayout.of_run(out).stages  # the stages of that run, from its manifest
    if only_stage and only_stage not in stages:
        raise click.BadParameter(f"unknown stage '{only_stage}' (one of {', '.join(stages)})", param_hint="--stage")
    history = load_history(out, doc_id)
    from pipeline.cli.style import want_color

    use_color = want_color(color)
    click.echo(render_diff(history, only_stage, use_color, context=context), color=use_color)


@click.command("report")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--per-reason", default=5, show_default=True, type=click.IntRange(1, 1000), help="Example documents kept per stage and reason.")
@click.option("--max-docs", default=200, show_default=True, type=click.IntRange(1, 100_000), help="At most this many documents shown in full.")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path), help="Where to write (default: OUT/report.html).")
@click.option("--open", "open_browser", is_flag=True, help="Open the report in a browser when written.")
@click.option("--overwrite", is_flag=True, help="Replace an existing report file (as `run --overwrite` replaces a run).")
@click.option("--quiet", "-q", count=True, help="-q -q: do not print the report's path and size.")
@one_line_errors
def report_command(out: Path, per_reason: int, max_docs: int, output: Path | None, open_browser: bool, overwrite: bool, quiet: int) -> None:
    """Write a self-contained HTML report of a finished run (OUT/report.html).

    The funnel per stage, removal reasons with examples, each sampled document raw and clean side
    by side with every removed or changed span marked, near-duplicate clusters and rejected
    documents. Samples per reason, so it stays small for large runs; no network needed to view it.

    \b
    Examples:
      pipeline report outputs/samples
      pipeline report outputs/samples --overwrite --per-reason 3 --max-docs 100
      pipeline report outputs/samples -o /tmp/samples-report.html --open
    """
    from pipeline.errors import OutputError
    from pipeline.report.html import write_report

    target = output or out / "report.html"
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists; pass --overwrite to replace it")
    path = write_report(out, output, per_reason=per_reason, max_docs=max_docs)
    if quiet < 2:
        click.echo(f"{path}  ({path.stat().st_size / 1e6:,.1f} MB)")
    if open_browser:
        webbrowser.open(path.resolve().as_uri())
