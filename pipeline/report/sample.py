"""What the report shows: examples sampled per stage and reason, the largest duplicate clusters,
rejected documents, and the capped list of document ids whose histories get embedded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.dataset as ds

from pipeline.io.layout import RunLayout
from pipeline.core.stage import reason_key


@dataclass
class Selection:
    examples: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (stage, reason key) -> ids
    clusters: list[tuple[str, list[dict]]] = field(default_factory=list)  # (kept id, duplicate rows)
    n_clusters: int = 0
    rejected: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    doc_ids: list[str] = field(default_factory=list)


def _parquet(files: list[Path]) -> ds.Dataset | None:
    files = [f for f in files if f.exists() and not f.name.startswith(".")]
    return ds.dataset([str(f) for f in sorted(files)], format="parquet") if files else None


def _edit_files(layout: RunLayout, stage: str) -> list[Path]:
    return sorted(layout.stage_dir(stage).glob("edits-*.parquet"))


def sample_examples(out: Path, stages: dict, per_reason: int) -> dict[tuple[str, str], list[str]]:
    """Up to `per_reason` document ids per (stage, reason key), first seen first.

    Reads only id/reason columns batch by batch and stops once every reason the stats know of
    has its examples, so a large run is not read to the end."""
    found: dict[tuple[str, str], list[str]] = {}
    layout = RunLayout(out, tuple(stages))  # the manifest's stages, in the run's order
    for stage in layout.stages:
        d = _parquet(_edit_files(layout, stage))
        if d is None:
            continue
        wanted = set(stages.get(stage, {}).get("reasons", {}))
        for batch in d.to_batches(columns=["id", "reason"], batch_size=65_536):
            for doc_id, reason in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
                ids = found.setdefault((stage, reason_key(reason or "")), [])
                if len(ids) < per_reason and doc_id not in ids:
                    ids.append(doc_id)
            if wanted and all(len(found.get((stage, k), [])) >= per_reason for k in wanted):
                break
    return found


def sample_clusters(out: Path, per_reason: int) -> tuple[list[tuple[str, list[dict]]], int]:
    """The largest clusters first (up to 4 x per_reason), each with up to per_reason removed members."""
    p = out / "duplicates.parquet"
    if not p.exists():
        return [], 0
    d = ds.dataset(str(p), format="parquet")
    cols = ["id", "duplicate_of", "similarity", "kind"] + (["duplicate_of_run"] if "duplicate_of_run" in d.schema.names else [])
    rows = d.to_table(columns=cols).to_pylist()
    by_kept: dict[str, list[dict]] = {}
    for r in rows:
        # a document kept by an earlier run (--against) is not in this run: label it with that run
        key = r["duplicate_of"] if not r.get("duplicate_of_run") else f'{r["duplicate_of"]} (kept by {r["duplicate_of_run"]})'
        by_kept.setdefault(key, []).append(r)
    order = sorted(by_kept.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    chosen = []
    for kept, members in order[: 4 * per_reason]:
        # the least similar first: they show the most interesting differences
        members = sorted(members, key=lambda r: (r["similarity"] or 0, r["id"]))
        shown = members[:per_reason]
        for r in shown:
            r["cluster_size"] = len(members)
        chosen.append((kept, shown))
    return chosen, len(by_kept)


def sample_rejected(out: Path, per_reason: int) -> dict[tuple[str, str], list[dict]]:
    p = out / "rejected.parquet"
    if not p.exists():
        return {}
    found: dict[tuple[str, str], list[dict]] = {}
    d = ds.dataset(str(p), format="parquet")
    for batch in d.to_batches(columns=["id", "stage", "reason", "n_chars", "preview"], batch_size=65_536):
        for r in batch.to_pylist():
            rows = found.setdefault((r["stage"] or "?", reason_key(r["reason"] or "")), [])
            if len(rows) < per_reason:
                rows.append(r)
    return found


def _first_ids(layout: RunLayout, limit: int) -> list[str]:
    d = _parquet(sorted(layout.inputs(0).parent.glob("input-*.parquet")))
    ids: list[str] = []
    if d is None or limit <= 0:
        return ids
    for batch in d.to_batches(columns=["id"], batch_size=4096):
        ids.extend(batch.column(0).to_pylist())
        if len(ids) >= limit:
            break
    return ids[:limit]


def select(out: Path, manifest: dict, per_reason: int, max_docs: int) -> Selection:
    sel = Selection()
    sel.examples = sample_examples(out, manifest.get("stages", {}), per_reason)
    sel.clusters, sel.n_clusters = sample_clusters(out, per_reason)
    sel.rejected = sample_rejected(out, per_reason)
    ids: dict[str, None] = {}

    def add(i: str) -> None:
        if len(ids) < max_docs:
            ids.setdefault(i, None)

    # Round-robin over reasons so every reason gets its first example before any gets a second.
    order = list(manifest.get("stages", {}))
    lists = [v for _, v in sorted(sel.examples.items(), key=lambda kv: order.index(kv[0][0]))]
    for n in range(per_reason):
        for v in lists:
            if n < len(v):
                add(v[n])
    for kept, members in sel.clusters:
        if not (members and members[0].get("duplicate_of_run")):
            add(kept)
        for m in members:
            add(m["id"])
    for rows in sel.rejected.values():
        for r in rows:
            add(r["id"])
    for i in _first_ids(RunLayout(out, tuple(order)), max_docs):  # fill up with the first documents of the run
        add(i)
    sel.doc_ids = list(ids)
    return sel
