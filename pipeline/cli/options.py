"""Options shared by the commands, so each means the same everywhere.

Commands that write a folder (`run`, `dedup`) take `out_options`: `--out/-o OUT` (required),
`--overwrite` (replace only what the pipeline itself wrote; refused if OUT holds anything else),
`--quiet/-q` (count: -q hides progress and keeps the summary line, -q -q prints nothing),
`--workers/-w N`; `run` also takes `--resume`, which `--overwrite` excludes.
"""

from __future__ import annotations

from pathlib import Path

import click


def _exclusive(ctx: click.Context, param: click.Parameter, value):
    """--overwrite and --resume contradict each other: refuse the pair."""
    if value and param.name in ("overwrite", "resume"):
        other = "resume" if param.name == "overwrite" else "overwrite"
        if ctx.params.get(other):
            raise click.UsageError("--overwrite and --resume exclude each other: --resume continues OUT, --overwrite replaces it")
    return value


class PathOrURL(click.ParamType):
    """A local path (as click.Path gives it: a `Path`) or a URL of an fsspec filesystem
    (s3://bucket/x, gs://, az://, hf://, https://, memory://) as a `UPath`, never mangled into
    `s3:/bucket/x` by path normalisation. A URL whose filesystem package is missing is one line
    naming the extra to install."""

    name = "path_or_url"

    def __init__(self, **path_kwargs) -> None:
        self.local = click.Path(path_type=Path, **path_kwargs)

    def convert(self, value, param, ctx):
        from pipeline.errors import PipelineError
        from pipeline.io.storage import as_path, is_remote, is_url

        if is_remote(value):
            return value
        if isinstance(value, str) and is_url(value) and not value.startswith("file://"):
            try:
                return as_path(value)
            except PipelineError as exc:  # a one-line error like the run's own, not a usage text
                raise click.ClickException(str(exc)) from None
        return self.local.convert(value[len("file://"):] if isinstance(value, str) and value.startswith("file://") else value, param, ctx)


def out_options(resume: bool = False, workers_help: str = "Worker processes (overrides run.workers).", urls: bool = False):
    """`urls`: OUT may be a URL (`PathOrURL`), for commands that write through pipeline.io.storage."""

    def deco(fn):
        out_type = PathOrURL(file_okay=False) if urls else click.Path(file_okay=False, path_type=Path)
        opts = [
            click.option("--out", "-o", "out", required=True, type=out_type, help="Output folder (or URL, e.g. s3://bucket/run)." if urls else "Output folder."),
            click.option("--overwrite", is_flag=True, callback=_exclusive,
                         help="Replace a previous run in OUT (only files this pipeline writes; refused if OUT holds others)."),
        ]
        if resume:
            opts.append(click.option("--resume", is_flag=True, callback=_exclusive,
                                     help="Continue a killed run in OUT, skipping completed shards (not with --overwrite)."))
        opts += [
            click.option("--quiet", "-q", count=True, help="-q: no progress bars, keep the summary line; -q -q: print nothing."),
            click.option("--workers", "-w", type=click.IntRange(1, 256), help=workers_help),
        ]
        for opt in reversed(opts):
            fn = opt(fn)
        return fn

    return deco


config_option = click.option(
    "--config", "-c", "config_path", metavar="NAME|FILE",
    help="A shipped config by name (default, news: see `pipeline config list`) or a YAML file. Default: built-in defaults.",
)


def field_options(fn):
    """--text-field / --id-field: where JSONL/Parquet records keep text and id (config `input`)."""
    fn = click.option("--id-field", metavar="FIELD",
                      help="JSONL/Parquet field with the document id; a dot for a nested one (meta.id). Overrides input.id_field.")(fn)
    return click.option("--text-field", metavar="FIELD",
                        help="JSONL/Parquet field with the document text (default: text); a dot for a nested one "
                             "(body.text). Overrides input.text_field.")(fn)


def with_fields(cfg, text_field: str | None, id_field: str | None):
    """`cfg` with the --text-field / --id-field overrides (validated like the config file)."""
    fields = {k: v for k, v in (("text_field", text_field), ("id_field", id_field)) if v is not None}
    return cfg.with_overrides(input=fields) if fields else cfg
