"""The `pipeline` command: parses and validates, calls the library, turns our errors into one line.

Every command that writes a folder takes the same options with the same rules (cli/options.py):
`--out/-o OUT`, `--overwrite` (replace only what the pipeline wrote; refused when OUT holds other
files), `--quiet/-q` (-q keeps the summary line, -q -q prints nothing), `--workers/-w N`.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import click

from pipeline.cli.dedup import dedup_command
from pipeline.cli.errors import one_line_errors
from pipeline.cli.options import PathOrURL, config_option, field_options, out_options, with_fields
from pipeline.cli.progress import ProgressBars, setup_cli_logging
from pipeline.cli.report import diff_command, report_command
from pipeline.cli.stats import stats_command
from pipeline.config import load_config


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show Python tracebacks instead of one-line errors, and debug log lines.")
@click.option("--verbose", "-v", count=True, help="Log lines: -v what the run does (inputs, phases), -vv debug.")
@click.version_option(package_name="newsclean-pipeline")
@click.pass_context
def main(ctx: click.Context, debug: bool, verbose: int) -> None:
    """Clean news and web text and remove near-duplicates, recording every change.

    \b
    Examples:
      pipeline run samples/ --out outputs/samples
      pipeline run pages/ --out outputs/x --config news --workers 2 --limit 100
      pipeline stats outputs/samples
      pipeline diff outputs/samples 004_6557ed33d5c9a9db
      pipeline report outputs/samples
      pipeline config show --config news
      pipeline -v run samples/ --out outputs/samples --overwrite
    """
    ctx.ensure_object(dict).update(debug=debug, verbose=verbose)
    handler = setup_cli_logging(debug, verbose)
    # The handler goes with the command: a caller that runs the CLI in its own process (click's
    # CliRunner, a notebook) must not keep printing the library's warnings afterwards.
    ctx.call_on_close(lambda: logging.getLogger().removeHandler(handler))


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=PathOrURL())
@out_options(resume=True, urls=True)
@config_option
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: this machine, a process pool; ray: a Ray cluster (pip install '.[ray]').")
@click.option("--address", metavar="HOST:PORT",
              help="Ray cluster for --engine ray (default: RAY_ADDRESS, else a local Ray for this run).")
@click.option("--against", "against", multiple=True, type=PathOrURL(), metavar="EARLIER_OUT",
              help="An earlier run's OUT (repeatable): also remove documents that near-duplicate what it kept, using its index/.")
@click.option("--limit", type=click.IntRange(1), metavar="N", help="Read only the first N documents (input order): a quick look.")
@click.option("--dry-run", is_flag=True, help="Print what would be read (files, bytes, documents), the shards and the stages; write nothing.")
@field_options
@one_line_errors
def run(inputs, out, overwrite, resume, quiet, workers, config_path, engine, address, against, limit, dry_run, text_field, id_field):
    """Run every stage on INPUTS (files or folders) and write the corpus to OUT.

    \b
    Inputs: .txt .md .html .htm .jsonl .parquet .warc .wet, optionally .gz/.zst.
    INPUTS and OUT may be URLs of any fsspec filesystem: s3:// gs:// az:// hf:// https:// (read only)
    (pip install 'newsclean-pipeline[s3]', [gcs], [azure], [hf]).
    Writes OUT/corpus/, duplicates.parquet, rejected.parquet, stages/, index/, manifest.json and
    README.md (a dataset card: datasets.load_dataset(OUT, "corpus")).

    \b
    Examples:
      pipeline run samples/ --out outputs/samples
      pipeline run crawl.jsonl.gz pages/ --out outputs/x --config news --workers 2
      pipeline run pages/ --out outputs/peek --limit 50          # a quick look
      pipeline run pages/ --out outputs/x --dry-run              # what would be read, no work
      pipeline run samples/ --out outputs/samples --resume       # continue a killed run
      pipeline run posts.jsonl --out outputs/p --text-field content --id-field meta.id
      pipeline run day2/ --out outputs/day2 --against outputs/day1   # also drop what day 1 kept
      pipeline run s3://bucket/crawl/ --out s3://bucket/clean/2026-11 --workers 2
      pipeline run samples/ --out outputs/r --engine ray
      pipeline run input/ --out /shared/outputs/big --engine ray --address 10.0.0.5:6379
    """
    from pipeline.engine.run import run as run_pipeline

    if address and engine != "ray":
        raise click.UsageError("--address needs --engine ray")
    if against and engine == "ray":
        raise click.UsageError("--against is supported by --engine local only")
    cfg = with_fields(load_config(config_path), text_field, id_field)
    overrides = {k: v for k, v in (("workers", workers), ("limit", limit)) if v}
    if overrides:
        cfg = cfg.with_overrides(run=overrides)
    if dry_run:
        click.echo(dry_run_text(list(inputs), out, cfg, engine, overwrite, resume, list(against)))
        return
    with ProgressBars(quiet=quiet > 0) as progress:
        result = run_pipeline(list(inputs), out, cfg, engine=engine, address=address, overwrite=overwrite, resume=resume,
                              progress=progress, against=list(against))
    c = result.manifest["counts"]
    ok = result.manifest["accounting"]["ok"]
    if quiet < 2:
        earlier = result.manifest.get("dedup", {}).get("against", {}).get("removed")
        of_earlier = f" ({earlier:,} of earlier runs' documents)" if earlier is not None else ""
        click.echo(
            f"{c['input_documents']:,} documents: {c['kept']:,} kept, {c['duplicates']:,} duplicates{of_earlier}, "
            f"{c['rejected']:,} rejected -> {out}  (accounting {'ok' if ok else 'MISMATCH'})"
        )
    if not ok:
        raise click.ClickException(f"{out}/manifest.json: counts do not add up; see 'accounting'")
    unread = nothing_read(result.manifest, out)
    if unread:
        raise click.ClickException(unread)


def nothing_read(manifest: dict, out: Path) -> str | None:
    """One line when every input document was rejected at read (a wrong field name, a folder
    of unsupported files...): such a run made no corpus and must not look like a success."""
    c = manifest["counts"]
    n = c["input_documents"]
    if not n or c["rejected_by_stage"].get("read", 0) != n:
        return None
    top = sorted(c.get("read_reasons", {}).items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    reasons = "; ".join(f"{k} ({v:,})" for k, v in top)
    return (f"every one of the {n:,} input documents was rejected at read: {reasons} "
            f"(JSONL/Parquet field names: --text-field, --id-field; details: pipeline stats {out})")


def dry_run_text(inputs: list[Path], out: Path, cfg, engine: str, overwrite: bool, resume: bool, against: list[Path] = ()) -> str:
    """What a run would do, from the inputs' sizes and the config alone (no document is read
    except to count JSONL lines and Parquet rows)."""
    from pipeline.engine.local import check_against
    from pipeline.engine.plan import Plan
    from pipeline.io.readers import count_inputs, resolve_inputs

    files = resolve_inputs(inputs)
    count = count_inputs(files)
    plan = Plan.of(cfg, None)
    check_against(plan.layout(out), [str(a) for a in against], cfg)  # refused now as the run would refuse it
    r = cfg.run
    docs = count.documents if r.limit is None or (count.documents is not None and count.documents < r.limit) else r.limit
    if docs is None:
        shards = f"at least {max(1, math.ceil(count.raw_bytes / r.shard_bytes)):,} (WARC records are not counted ahead)"
    else:
        share = docs / count.documents if count.documents else 1.0  # --limit reads a share of the bytes
        by_bytes = math.ceil(count.raw_bytes * share / r.shard_bytes)
        shards = f"about {max(1, math.ceil(docs / r.shard_size), min(docs, by_bytes)):,}"
    disabled = [s.name for s in plan.registry.specs if not s.enabled(cfg)]
    stages = ", ".join(n for n in plan.registry.names if n not in disabled)
    if out.exists() and out.is_dir() and any(out.iterdir()):
        state = "not empty: " + ("--resume continues it" if resume else "--overwrite replaces what the pipeline wrote" if overwrite
                                 else "the run would refuse without --overwrite or --resume")
    else:
        state = "new or empty"
    lines = [
        "dry run: nothing is read or written",
        f"inputs:   {count.files:,} files, {count.bytes:,} bytes on disk, about {count.raw_bytes:,} uncompressed "
        f"({', '.join(f'{n:,} {k}' for k, n in count.kinds.items())})",
        f"documents: {'unknown' if docs is None else f'{docs:,}'}" + (f" (--limit {r.limit:,})" if r.limit else ""),
        f"shards:   {shards}; {r.shard_size:,} documents or {r.shard_bytes:,} bytes each; {r.workers} worker{'s' if r.workers != 1 else ''}, engine {engine}",
        f"stages:   {stages}" + (f" (disabled: {', '.join(disabled)})" if disabled else ""),
        f"output:   {out} ({state})",
    ]
    if against:
        lines.append(f"against:  {', '.join(map(str, against))} (their index/ checked; duplicates of what they kept would be removed)")
    return "\n".join(lines)


@main.command("apply")
@click.argument("stage")
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True), default="-")
@config_option
@click.option("--html", "is_html", is_flag=True, help="Treat stdin (or a .txt file) as an HTML page.")
@click.option("--quiet", "-q", count=True, help="No edit lines on stderr (only the text).")
@field_options
@one_line_errors
def apply_cmd(stage, file, config_path, is_html, quiet, text_field, id_field):
    """Run the chain up to STAGE on one file (or stdin) and print the text; edits go to stderr.

    FILE is read as `run` reads it (any input format, .gz/.zst too); a file with several records
    (JSONL, Parquet, WARC) prints each document's text after a `== id` line.

    \b
    Examples:
      pipeline apply boilerplate samples/004_6557ed33d5c9a9db.txt
      pipeline apply extract page.html.gz
      pipeline apply spam crawl.jsonl.gz --config news
      curl -s https://example.org | pipeline apply extract --html
    """
    import sys

    from pipeline.core.document import RawDocument
    from pipeline.core.registry import default_registry
    from pipeline.engine.chain import Cleaner
    from pipeline.io.readers import ReadFailure, read_file, resolve_inputs

    usable = [s.name for s in default_registry().of_kind("document")]
    if stage not in usable:
        raise click.BadParameter(f"'{stage}' is not a per-document stage (one of {', '.join(usable)})", param_hint="STAGE")
    cfg = with_fields(load_config(config_path), text_field, id_field)
    cleaner = Cleaner(cfg)
    names = usable[: usable.index(stage) + 1]
    cleaner.pre = [s for s in cleaner.pre if s.name in names]
    cleaner.post = [s for s in cleaner.post if s.name in names]
    if str(file) == "-":
        data = sys.stdin.buffer.read()
        records = [RawDocument(id="stdin", source="stdin", data=data, format="html" if is_html else "text")]
    else:
        (f,) = resolve_inputs([file])
        records = list(read_file(f, cfg.decode.max_bytes, cfg.input))
        if is_html:
            records = [r if isinstance(r, ReadFailure) else RawDocument(**{**{s: getattr(r, s) for s in r.__slots__}, "format": "html"})
                       for r in records]
    failed = []
    for rec in records:
        if len(records) > 1:
            click.echo(f"== {rec.id}")
        if isinstance(rec, ReadFailure):
            failed.append(f"{rec.id}: {rec.reason}")
            continue
        result = cleaner.clean(rec)
        if not quiet:
            for st, e in result.edits:
                click.echo(f"[{st}] {e.reason}" + (f" ({e.score:.2f})" if e.score is not None else "") + f": {e.removed.strip()[:120]!r}", err=True)
        if result.doc is None:
            failed.append(f"{rec.id}: dropped by {result.rejected_stage}: {result.rejected_reason}")
            continue
        click.echo(result.doc.text)
    if failed and len(records) == 1:
        raise click.ClickException(f"{file}: {failed[0].split(': ', 1)[1]}")
    for line in failed:
        click.echo(line, err=True)


@main.group("config")
def config_group() -> None:
    """Inspect configurations (the shipped ones: default, news; or your own YAML).

    \b
    Examples:
      pipeline config show
      pipeline config show --config news
      pipeline config list
    """


@config_group.command("show")
@config_option
@one_line_errors
def config_show(config_path) -> None:
    """Print the effective config as YAML, every key with its comment; keys that differ from the
    defaults are marked. The output is itself a valid config.

    \b
    Examples:
      pipeline config show
      pipeline config show --config news > my.yaml
    """
    from pipeline.config import render_config

    click.echo(render_config(load_config(config_path)), nl=False)


@config_group.command("list")
def config_list() -> None:
    """The configs shipped with the package, usable by name (--config NAME).

    \b
    Example:
      pipeline config list
    """
    from pipeline.config import CONFIG_DIR, shipped_configs

    for name in shipped_configs():
        first = (CONFIG_DIR / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
        click.echo(f"{name:<10} {first}")


main.add_command(stats_command)
main.add_command(diff_command)
main.add_command(report_command)
main.add_command(dedup_command, "dedup")
