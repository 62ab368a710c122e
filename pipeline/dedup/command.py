"""`pipeline dedup CORPUS --out OUT`: exact + near-duplicate removal on any Parquet file/folder
with `id` and `text` columns (optional `date`, `quality` columns feed the keep policy).

Writes OUT/duplicates.parquet (one row per removed document), OUT/corpus/ (the input files
without the removed rows, all columns kept) and OUT/dedup_stats.json.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click

from pipeline.dedup.api import KeepInfo, find_duplicates_with_stats, rows_to_table, sketch
from pipeline.dedup.config import DedupConfig


def _sketch_job(args):
    docs, cfg_dict = args
    return sketch(docs, DedupConfig(**cfg_dict))


@click.command("dedup")
@click.argument("corpus", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--threshold", type=float, default=None, help="Similarity to the kept document needed for removal [0.8].")
@click.option("--similarity", type=click.Choice(["jaccard", "containment"]), default=None)
@click.option("--shingle", type=click.Choice(["word", "char"]), default=None, help="word n-grams (prose) or char n-grams (short/CJK).")
@click.option("--shingle-size", type=int, default=None)
@click.option("--num-perm", type=int, default=None)
@click.option("--keep", type=click.Choice(["longest", "earliest_date", "first_seen", "best_quality"]), default=None)
@click.option("--keep-rule", type=click.Choice(["coverage", "policy"]), default=None,
              help="coverage: keep each cluster's star centre, --keep breaks ties [default]; policy: --keep decides outright.")
@click.option("--no-exact", is_flag=True, help="Skip the exact-duplicate pass.")
@click.option("--workers", type=int, default=1, show_default=True, help="Processes computing sketches.")
@click.option("--batch-size", type=int, default=5000, show_default=True)
@click.option("--id-column", default="id", show_default=True)
@click.option("--text-column", default="text", show_default=True)
def dedup_command(corpus, out, threshold, similarity, shingle, shingle_size, num_perm, keep, keep_rule, no_exact, workers, batch_size, id_column, text_column):
    """Remove exact and near-duplicate documents from a Parquet CORPUS (file or folder)."""
    try:
        _run(corpus, out, threshold, similarity, shingle, shingle_size, num_perm, keep, no_exact, workers, batch_size, id_column, text_column, keep_rule)
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - one readable line instead of a traceback
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(f"dedup: {msg}") from None


def _run(corpus, out, threshold, similarity, shingle, shingle_size, num_perm, keep, no_exact, workers, batch_size, id_column, text_column, keep_rule=None):
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq
    from pydantic import ValidationError

    if not corpus.exists():
        raise click.ClickException(f"dedup: {corpus}: no such file or folder")
    overrides = {
        k: v
        for k, v in dict(threshold=threshold, similarity=similarity, shingle=shingle, shingle_size=shingle_size, num_perm=num_perm, keep=keep,
                         keep_rule=keep_rule).items()
        if v is not None
    }
    if no_exact:
        overrides["exact"] = False
    try:
        cfg = DedupConfig(**overrides)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise click.ClickException(f"dedup: option {'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}") from None
    if workers < 1 or batch_size < 1:
        raise click.ClickException("dedup: --workers and --batch-size must be >= 1")

    try:
        dataset = ds.dataset(str(corpus), format="parquet")
    except (pa.ArrowInvalid, OSError) as exc:
        raise click.ClickException(f"dedup: {corpus}: not readable as Parquet ({str(exc).splitlines()[0]})") from None
    names = dataset.schema.names
    for col in (id_column, text_column):
        if col not in names:
            raise click.ClickException(f"dedup: {corpus}: no column {col!r} (columns: {', '.join(names)})")
    extra = [c for c in ("date", "quality") if c in names]

    keep_info: dict[str, KeepInfo] = {}
    batches = []
    seq = 0
    for rb in dataset.to_batches(columns=[id_column, text_column, *extra], batch_size=batch_size):
        ids = [str(x) for x in rb.column(0).to_pylist()]
        texts = [t or "" for t in rb.column(1).to_pylist()]
        dates = rb.column(2).to_pylist() if "date" in extra else [None] * len(ids)
        quals = rb.column(2 + ("date" in extra)).to_pylist() if "quality" in extra else [0.0] * len(ids)
        for i, t, d, q in zip(ids, texts, dates, quals):
            if i in keep_info:
                raise click.ClickException(f"dedup: {corpus}: id {i!r} appears more than once")
            keep_info[i] = KeepInfo(len(t), seq, None if d is None else str(d), float(q or 0.0))
            seq += 1
        batches.append(list(zip(ids, texts)))
        if workers == 1:
            batches[-1] = sketch(batches[-1], cfg)
    if workers > 1:
        sketch([("warm", "load the compiled kernels before forking")], cfg)  # workers inherit them
        with ProcessPoolExecutor(workers) as pool:
            batches = list(pool.map(_sketch_job, [(b, cfg.model_dump()) for b in batches]))

    def fetch_texts(want):
        table = dataset.to_table(columns=[id_column, text_column], filter=pc.field(id_column).isin(list(want)))
        return dict(zip(map(str, table.column(0).to_pylist()), (t or "" for t in table.column(1).to_pylist())))

    rows, stats = find_duplicates_with_stats(batches, keep_info, fetch_texts, cfg)
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(rows_to_table(rows), out / "duplicates.parquet")
    removed = pa.array(sorted({r.id for r in rows}), pa.string())
    corpus_out = out / "corpus"
    corpus_out.mkdir(exist_ok=True)
    base = corpus if corpus.is_dir() else corpus.parent
    kept = 0
    for path in dataset.files:
        rel = os.path.relpath(path, base)
        target = corpus_out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        table = pq.read_table(path)
        mask = pc.invert(pc.is_in(pc.cast(table.column(id_column), pa.string()), value_set=removed))
        table = table.filter(mask)
        kept += table.num_rows
        pq.write_table(table, target)
    stats["kept"] = kept
    (out / "dedup_stats.json").write_text(json.dumps(stats, indent=2, sort_keys=True), encoding="utf-8")
    exact = sum(r.kind == "exact" for r in rows)
    click.echo(
        f"dedup: {stats['docs']} docs, removed {len(rows)} ({exact} exact, {len(rows) - exact} near), kept {kept}; "
        f"LSH {stats.get('bands')}x{stats.get('rows')}, {stats.get('candidate_pairs', 0)} candidates, "
        f"{stats.get('verified_pairs', 0)} verified -> {out}"
    )
