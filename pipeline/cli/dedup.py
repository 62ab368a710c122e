"""`pipeline dedup CORPUS --out OUT`: exact + near-duplicate removal on any Parquet file/folder
with `id` and `text` columns (optional `date`, `quality` or `quality_score` columns feed the keep policy).

Writes OUT/duplicates.parquet (one row per removed document), OUT/corpus/ (the input files
without the removed rows, all columns kept) and OUT/dedup_stats.json, each atomically; an OUT
holding files needs --overwrite.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click

from pipeline.cli.errors import one_line_errors
from pipeline.cli.options import out_options
from pipeline.dedup import DedupConfig, KeepInfo, find_duplicates_with_stats, rows_to_table, sketch
from pipeline.errors import ConfigError, InputError, OutputError
from pipeline.io.writers import write_json, write_table


def _sketch_job(args):
    docs, cfg_dict = args
    return sketch(docs, DedupConfig(**cfg_dict))


@click.command("dedup")
@click.argument("corpus", type=click.Path(path_type=Path))
@out_options(workers_help="Processes computing sketches [1].")
@click.option("--threshold", type=float, default=None, help="Similarity to the kept document needed for removal [0.8].")
@click.option("--similarity", type=click.Choice(["jaccard", "containment"]), default=None,
              help="jaccard: shared shingles / all shingles [default]; containment: share of the smaller document found in the other.")
@click.option("--shingle", type=click.Choice(["word", "char"]), default=None, help="word n-grams (prose) [default] or char n-grams (short/CJK).")
@click.option("--shingle-size", type=click.IntRange(1), default=None, help="n of the shingle n-grams [5].")
@click.option("--num-perm", type=click.IntRange(16, 1024), default=None, help="MinHash permutations: more = a closer estimate, slower [128].")
@click.option("--keep", type=click.Choice(["longest", "earliest_date", "first_seen", "best_quality"]), default=None,
              help="Which member of a cluster stays [longest]; earliest_date / best_quality read the date / quality columns.")
@click.option("--keep-rule", type=click.Choice(["coverage", "policy"]), default=None,
              help="coverage: keep each cluster's star centre, --keep breaks ties [default]; policy: --keep decides outright.")
@click.option("--no-exact", is_flag=True, help="Skip the exact-duplicate pass.")
@click.option("--batch-size", type=click.IntRange(1), default=5000, show_default=True, help="Rows read and sketched at a time.")
@click.option("--id-column", default="id", show_default=True, help="Column with unique document ids.")
@click.option("--text-column", default="text", show_default=True, help="Column with the text to compare.")
@one_line_errors
def dedup_command(corpus, out, overwrite, quiet, workers, no_exact, batch_size, id_column, text_column, **options):
    """Remove exact and near-duplicate documents from a Parquet CORPUS (file or folder).

    Writes OUT/duplicates.parquet (one row per removed document, with the kept id and the
    verified similarity), OUT/corpus/ (the input files without the removed rows, every column
    kept) and OUT/dedup_stats.json. Like `run`, an OUT holding files needs --overwrite.

    \b
    Examples:
      pipeline dedup outputs/samples/corpus --out outputs/d
      pipeline dedup corpus/ --out outputs/d --threshold 0.8 --keep earliest_date -w 2
      pipeline dedup corpus/ --out outputs/d --keep best_quality --keep-rule policy
      pipeline dedup tweets.parquet --out outputs/t --shingle char --shingle-size 5 --similarity containment
    """
    import pyarrow.dataset as ds

    if not corpus.exists():
        raise InputError(f"dedup: {corpus}: no such file or folder")
    cfg = _config(options, no_exact)
    dataset = _open_corpus(ds, corpus, (id_column, text_column))
    _check_out(out, overwrite, clear=False)  # refuse before the work, not after
    keep_info, batches = _sketch_corpus(dataset, cfg, id_column, text_column, workers or 1, batch_size, corpus)
    rows, stats = find_duplicates_with_stats(batches, keep_info, _text_fetcher(dataset, id_column, text_column), cfg)
    _check_out(out, overwrite)
    stats["kept"] = _write_outputs(dataset, corpus, out, rows, id_column)
    write_json(stats, out / "dedup_stats.json")
    exact = sum(r.kind == "exact" for r in rows)
    if quiet < 2:
        click.echo(
            f"dedup: {stats['docs']:,} docs, removed {len(rows):,} ({exact:,} exact, {len(rows) - exact:,} near), kept {stats['kept']:,}; "
            f"LSH {stats.get('bands')}x{stats.get('rows')}, {stats.get('candidate_pairs', 0):,} candidates, "
            f"{stats.get('verified_pairs', 0):,} verified -> {out}"
        )


def _config(options: dict, no_exact: bool) -> DedupConfig:
    from pydantic import ValidationError

    overrides = {k: v for k, v in options.items() if v is not None}
    if no_exact:
        overrides["exact"] = False
    try:
        return DedupConfig(**overrides)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise ConfigError(f"dedup: option {'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}") from None


def _open_corpus(ds, corpus: Path, columns: tuple[str, str]):
    import pyarrow as pa

    try:
        dataset = ds.dataset(str(corpus), format="parquet")
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"dedup: {corpus}: not readable as Parquet ({str(exc).splitlines()[0]})") from None
    names = dataset.schema.names
    for col in columns:
        if col not in names:
            raise InputError(f"dedup: {corpus}: no column {col!r} (columns: {', '.join(names)})")
    text_column = columns[1]
    text_type = dataset.schema.field(text_column).type
    if not (pa.types.is_string(text_type) or pa.types.is_large_string(text_type)):
        raise InputError(f"dedup: {corpus}: column {text_column!r} holds {text_type}, not text; pick the text column with --text-column")
    return dataset


def _sketch_corpus(dataset, cfg: DedupConfig, id_column: str, text_column: str, workers: int, batch_size: int, corpus: Path):
    """KeepInfo of every document (input order = seq) and the sketches, batch by batch."""
    names = dataset.schema.names
    quality_col = "quality" if "quality" in names else "quality_score"  # a pipeline corpus has quality_score
    extra = [c for c in ("date", quality_col) if c in names]
    keep_info: dict[str, KeepInfo] = {}
    batches = []
    seq = 0
    for rb in dataset.to_batches(columns=[id_column, text_column, *extra], batch_size=batch_size):
        ids = [str(x) for x in rb.column(0).to_pylist()]
        texts = [t or "" for t in rb.column(1).to_pylist()]
        dates = rb.column(2).to_pylist() if "date" in extra else [None] * len(ids)
        quals = rb.column(2 + ("date" in extra)).to_pylist() if quality_col in extra else [0.0] * len(ids)
        for i, t, d, q in zip(ids, texts, dates, quals):
            if i in keep_info:
                raise InputError(f"dedup: {corpus}: id {i!r} appears more than once")
            keep_info[i] = KeepInfo(len(t), seq, None if d is None else str(d), float(q or 0.0))
            seq += 1
        batches.append(list(zip(ids, texts)))
        if workers == 1:
            batches[-1] = sketch(batches[-1], cfg)
    if workers > 1:
        sketch([("warm", "load the compiled kernels before forking")], cfg)  # workers inherit them
        with ProcessPoolExecutor(workers) as pool:
            batches = list(pool.map(_sketch_job, [(b, cfg.model_dump()) for b in batches]))
    return keep_info, batches


def _text_fetcher(dataset, id_column: str, text_column: str):
    import pyarrow.compute as pc

    def fetch_texts(want):
        table = dataset.to_table(columns=[id_column, text_column], filter=pc.field(id_column).isin(list(want)))
        return dict(zip(map(str, table.column(0).to_pylist()), (t or "" for t in table.column(1).to_pylist())))

    return fetch_texts


_OUTPUTS = ("duplicates.parquet", "corpus", "dedup_stats.json")


def _check_out(out: Path, overwrite: bool, clear: bool = True) -> None:
    """Refuse an OUT holding files unless --overwrite, and then only ever replace our own."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"dedup: {out}: exists and is not a folder")
    if not out.exists() or not any(out.iterdir()):
        return
    foreign = sorted({p.name for p in out.iterdir()} - set(_OUTPUTS))
    if not overwrite:
        raise OutputError(f"dedup: {out}: output folder is not empty; pass --overwrite to replace an earlier dedup")
    if foreign:
        raise OutputError(f"dedup: {out}: holds files dedup did not write ({', '.join(foreign[:3])}); refusing to overwrite")
    if clear:
        shutil.rmtree(out / "corpus", ignore_errors=True)


def _write_outputs(dataset, corpus: Path, out: Path, rows, id_column: str) -> int:
    """duplicates.parquet and the corpus without the removed rows; returns the rows kept."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    write_table(rows_to_table(rows), out / "duplicates.parquet")
    removed = pa.array(sorted({r.id for r in rows}), pa.string())
    base = corpus if corpus.is_dir() else corpus.parent
    kept = 0
    for path in dataset.files:
        table = pq.read_table(path)
        mask = pc.invert(pc.is_in(pc.cast(table.column(id_column), pa.string()), value_set=removed))
        table = table.filter(mask)
        kept += table.num_rows
        write_table(table, out / "corpus" / os.path.relpath(path, base))
    return kept
