"""The `pipeline` command: parses and validates, calls the library, turns our errors into one line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cli.errors import one_line_errors
from pipeline.config import load_config
from pipeline.cli.dedup import dedup_command
from pipeline.cli.progress import ProgressBars, setup_cli_logging
from pipeline.cli.report import diff_command, report_command
from pipeline.io.layout import read_manifest


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks instead of one-line errors.")
@click.version_option(package_name="newsclean-pipeline")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Clean news and web text and remove near-duplicates, recording every change.

    \b
    Examples:
      pipeline run samples/ --out outputs/samples
      pipeline stats outputs/samples
      pipeline diff outputs/samples 004_6557ed33d5c9a9db
    """
    ctx.ensure_object(dict)["debug"] = debug
    setup_cli_logging(debug)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--config", "-c", "config_path", type=click.Path(path_type=Path), help="YAML config (default: built-in defaults = configs/default.yaml).")
@click.option("--workers", "-w", type=click.IntRange(1, 256), help="Worker processes (overrides run.workers).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: this machine, a process pool; ray: a Ray cluster (pip install '.[ray]').")
@click.option("--address", metavar="HOST:PORT",
              help="Ray cluster for --engine ray (default: RAY_ADDRESS, else a local Ray for this run).")
@click.option("--overwrite", is_flag=True, help="Replace a previous run in OUT (only files this pipeline writes).")
@click.option("--resume", is_flag=True, help="Continue a killed run in OUT, skipping completed shards.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.option("--against", "against", multiple=True, type=click.Path(path_type=Path),
              help="An earlier run's OUT (repeatable): also remove documents that near-duplicate what it kept, using its index/.")
@one_line_errors
def run(inputs, out, config_path, workers, engine, address, overwrite, resume, quiet, against):
    """Run every stage on INPUTS (files or folders) and write the corpus to OUT.

    \b
    Inputs: .txt .md .html .htm .jsonl .parquet .warc .wet, optionally .gz/.zst.
    Writes OUT/corpus/, duplicates.parquet, rejected.parquet, stages/, manifest.json.

    \b
    Examples:
      pipeline run samples/ --out outputs/samples
      pipeline run crawl.jsonl.gz pages/ --out outputs/x --config configs/news.yaml --workers 2
      pipeline run day2/ --out outputs/day2 --against outputs/day1
      pipeline run samples/ --out outputs/r --engine ray
      pipeline run input/ --out /shared/outputs/big --engine ray --address 10.0.0.5:6379
    """
    from pipeline.engine.run import run as run_pipeline

    cfg = load_config(config_path)
    if workers:
        cfg = cfg.with_overrides(run={"workers": workers})
    if address and engine != "ray":
        raise click.UsageError("--address needs --engine ray")
    if against and engine == "ray":
        raise click.UsageError("--against is supported by --engine local only")
    with ProgressBars(quiet=quiet) as progress:
        result = run_pipeline(list(inputs), out, cfg, engine=engine, address=address, overwrite=overwrite, resume=resume,
                              progress=progress, against=list(against))
    c = result.manifest["counts"]
    ok = result.manifest["accounting"]["ok"]
    if not quiet:
        earlier = result.manifest.get("dedup", {}).get("against", {}).get("removed")
        of_earlier = f" ({earlier} of earlier runs' documents)" if earlier is not None else ""
        click.echo(
            f"{c['input_documents']} documents: {c['kept']} kept, {c['duplicates']} duplicates{of_earlier}, "
            f"{c['rejected']} rejected -> {out}  (accounting {'ok' if ok else 'MISMATCH'})"
        )
    if not ok:
        raise click.ClickException(f"{out}/manifest.json: counts do not add up; see 'accounting'")


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the per-stage stats as JSON.")
@one_line_errors
def stats(out, as_json):
    """The funnel of a finished run: documents and characters in and out of each stage.

    \b
    Example:
      pipeline stats outputs/samples
    """
    manifest = read_manifest(out)
    stages = manifest["stages"]
    if as_json:
        click.echo(json.dumps({"counts": manifest["counts"], "stages": stages}, indent=2))
        return
    header = f"{'stage':<16}{'docs in':>9}{'out':>8}{'changed':>9}{'dropped':>9}{'chars in':>12}{'removed':>11}{'sec':>8}"
    click.echo(header)
    click.echo("-" * len(header))
    for name, s in stages.items():
        click.echo(
            f"{name:<16}{s['docs_in']:>9}{s['docs_out']:>8}{s['docs_modified']:>9}{s['docs_dropped']:>9}"
            f"{s['chars_in']:>12}{s['chars_removed']:>11}{s['seconds']:>8.2f}"
        )
    c = manifest["counts"]
    click.echo(
        f"\n{c['input_documents']} in = {c['kept']} kept + {c['duplicates']} duplicates + {c['rejected']} rejected"
        f"  ({'ok' if manifest['accounting']['ok'] else 'MISMATCH'})"
    )
    reasons = {f"{name}: {r}": n for name, s in stages.items() for r, n in s["reasons"].items()}
    if reasons:
        click.echo("\nreasons:")
        for r, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"  {n:>7}  {r}")


@main.command("apply")
@click.argument("stage")
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--config", "-c", "config_path", type=click.Path(path_type=Path), help="YAML config.")
@click.option("--html", "is_html", is_flag=True, help="Treat the input as an HTML page.")
@one_line_errors
def apply_cmd(stage, file, config_path, is_html):
    """Run the chain up to STAGE on one file (or stdin) and print the text; edits go to stderr.

    \b
    Examples:
      pipeline apply boilerplate samples/004_6557ed33d5c9a9db.txt
      curl -s https://example.org | pipeline apply extract --html
    """
    from pipeline.core.document import RawDocument
    from pipeline.core.registry import default_registry
    from pipeline.engine.chain import Cleaner

    usable = [s.name for s in default_registry().of_kind("document")]
    if stage not in usable:
        raise click.BadParameter(f"'{stage}' is not a per-document stage (one of {', '.join(usable)})", param_hint="STAGE")
    cleaner = Cleaner(load_config(config_path))
    names = usable[: usable.index(stage) + 1]
    cleaner.pre = [s for s in cleaner.pre if s.name in names]
    cleaner.post = [s for s in cleaner.post if s.name in names]
    name = getattr(file, "name", "stdin")
    raw = RawDocument(id=Path(str(name)).stem, source=str(name), data=file.read(), format="html" if is_html or str(name).endswith((".html", ".htm")) else "text")
    result = cleaner.clean(raw)
    for st, e in result.edits:
        click.echo(f"[{st}] {e.reason}" + (f" ({e.score:.2f})" if e.score is not None else "") + f": {e.removed.strip()[:120]!r}", err=True)
    if result.doc is None:
        raise click.ClickException(f"{name}: dropped by {result.rejected_stage}: {result.rejected_reason}")
    click.echo(result.doc.text)


main.add_command(diff_command)
main.add_command(report_command)
main.add_command(dedup_command, "dedup")



