"""The keep policy and the rows of dedup: what is known of each document (KeepInfo), the rank
order the policy sets, and one DuplicateRow per removed document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.dedup.config import DedupConfig
from pipeline.dedup.graph import set_similarity
from pipeline.dedup.sketch import shingle_hashes


@dataclass(frozen=True, slots=True)
class KeepInfo:
    """What the keep policy looks at for one document."""

    n_chars: int
    seq: int  # position in input order (first_seen)
    date: str | None = None
    quality: float = 0.0


def keep_info_table(t: pa.Table) -> dict[str, KeepInfo]:
    """KeepInfo by id from a table of kept documents (id, n_chars, seq, date, n_words); the word
    count is the quality the `best_quality` policy ranks by."""
    cols = (t.column(c).to_pylist() for c in ("id", "n_chars", "seq", "date", "n_words"))
    return {i: KeepInfo(n_chars=n, seq=q, date=d, quality=float(w)) for i, n, q, d, w in zip(*cols)}


@dataclass(frozen=True)
class KeepColumns:
    """KeepInfo of many documents as Arrow columns of their kept table (id, n_chars, seq, date,
    n_words), for runs too big for a dict of KeepInfo: ~60 bytes a news document where the dict
    costs ~270 (id string, KeepInfo, its ints and floats, the dict's slot). `rank` sorts on
    them in Arrow with the order `rank_key` gives (tested equal)."""

    table: pa.Table

    @classmethod
    def of(cls, parts: Sequence[pa.Table]) -> "KeepColumns":
        cols = ["id", "n_chars", "seq", "date", "n_words"]
        return cls(pa.concat_tables([t.select(cols) for t in parts]).combine_chunks() if parts else
                   pa.table({c: pa.array([], pa.string() if c in ("id", "date") else pa.int64()) for c in cols}))

    def __len__(self) -> int:
        return self.table.num_rows

    def positions(self, ids: Sequence[str]) -> np.ndarray:
        """Row of each id; ValueError naming the first id it lacks."""
        pos = pc.index_in(pa.array(ids, pa.string()), value_set=self.table.column("id").chunk(0) if
                          self.table.column("id").num_chunks else pa.array([], pa.string()))
        if pos.null_count:
            raise ValueError(f"no keep info for document {ids[pc.index(pc.is_null(pos), True).as_py()]!r}")
        return pos.to_numpy(zero_copy_only=False).astype(np.int64)

    def order(self, ids: Sequence[str], config: DedupConfig) -> np.ndarray:
        """Positions in `ids` sorted by the keep policy, best first: `rank_key`'s order, the id
        breaking ties (UTF-8 byte order is code point order, as Python compares str)."""
        t = self.table.take(pa.array(self.positions(ids)))
        t = t.append_column("no_date", pc.is_null(t.column("date")))
        first = {"longest": [("n_chars", "descending")], "first_seen": [("seq", "ascending")],
                 # rank_key: (date is None, date or "", id): documents without a date last
                 "earliest_date": [("no_date", "ascending"), ("date", "ascending")],
                 "best_quality": [("n_words", "descending")]}.get(config.keep)
        if first is None:
            raise ValueError(f"unknown keep policy {config.keep!r}")
        return pc.sort_indices(t, sort_keys=[*first, ("id", "ascending")]).to_numpy().astype(np.int64)


@dataclass(frozen=True, slots=True)
class DuplicateRow:
    id: str
    duplicate_of: str
    cluster_id: str
    similarity: float  # verified similarity of shingle sets to the kept doc (1.0 for exact)
    estimated_similarity: float  # MinHash estimate (1.0 for exact)
    kind: str  # "exact" | "near"
    duplicate_of_run: str | None = None  # the earlier run (--against) holding duplicate_of; None = this run



def rank_key(config: DedupConfig):
    """The sort key of the keep policy: the smallest key is the document kept."""
    policy = config.keep
    if policy == "longest":
        return lambda i, k: (-k.n_chars, i)
    if policy == "earliest_date":
        return lambda i, k: (k.date is None, k.date or "", i)
    if policy == "first_seen":
        return lambda i, k: (k.seq, i)
    if policy == "best_quality":
        return lambda i, k: (-k.quality, i)
    raise ValueError(f"unknown keep policy {policy!r}")


def rows_to_table(rows: Sequence[DuplicateRow]) -> pa.Table:
    return pa.table(
        {
            "id": pa.array([r.id for r in rows], pa.string()),
            "duplicate_of": pa.array([r.duplicate_of for r in rows], pa.string()),
            "cluster_id": pa.array([r.cluster_id for r in rows], pa.string()),
            "similarity": pa.array([r.similarity for r in rows], pa.float64()),
            "estimated_similarity": pa.array([r.estimated_similarity for r in rows], pa.float64()),
            "kind": pa.array([r.kind for r in rows], pa.string()),
        }
    )


def jaccard(a: str, b: str, config: DedupConfig) -> float:
    """Exact similarity (per config.similarity) of two texts' shingle sets."""
    return set_similarity(shingle_hashes(a, config), shingle_hashes(b, config), config.similarity)
