"""Building blocks of the distributed near-duplicate step (numpy + pyarrow only, no Ray).

The Ray engine (`driver.py`) wires them into Ray Data operators (`ops.py`):

    map:      sketches (written by the post phase)    -> band rows (band, bkey, seq)
    shuffle:  repartition(keys=["band", "bkey"])      -> candidate_pairs() per partition
    shuffle:  repartition(keys=["a", "b"])            -> verify_pairs() per partition (exact similarity)
    driver:   connected components of the verified edges (pipeline.dedup.graph)
    driver:   resolve_group() per group of components -> DuplicateRows, clustered by the
              embedded resolve steps (pipeline.dedup.resolve.cluster_edges), not verified again

Documents are keyed by `seq` (their position in the input stream, unique and independent of the
engine, the number of workers and the shard size); string ids come back from the kept tables.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.dedup import DedupConfig, DuplicateRow, KeepInfo, keep_info_table, shingle_hashes, sketches_from_table
from pipeline.dedup.graph import set_similarity
from pipeline.dedup.lsh import band_hashes
from pipeline.dedup.resolve import Arrivals, ResolveStats, cluster_edges
from pipeline.io.layout import RunLayout
from pipeline.io.storage import read_table

BAND_SCHEMA = pa.schema([("band", pa.int32()), ("bkey", pa.int64()), ("seq", pa.int64())])
EDGE_SCHEMA = pa.schema([("a", pa.int64()), ("b", pa.int64()), ("similarity", pa.float64())])


# ---------------------------------------------------------------------------------------------
# Map side: band keys


def band_rows(seqs: np.ndarray, signatures: np.ndarray, bands: int, rows: int) -> pa.Table:
    """One row per (document, band): the shuffle input."""
    n = len(seqs)
    # The embedded LSH's band hashes: equal bands give equal keys; a false match needs a 64-bit
    # collision and would still have to pass verification.
    keys = band_hashes(signatures, bands, rows).view(np.int64) if n else np.zeros((0, bands), dtype=np.int64)
    return pa.table(
        {
            "band": pa.array(np.tile(np.arange(bands, dtype=np.int32), n)),
            "bkey": pa.array(keys.reshape(-1)),
            "seq": pa.array(np.repeat(np.asarray(seqs, dtype=np.int64), bands)),
        },
        schema=BAND_SCHEMA,
    )


# ---------------------------------------------------------------------------------------------
# Shuffle side: one vectorised group-by per partition


def candidate_pairs(band: np.ndarray, bkey: np.ndarray, seq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (a < b) of documents sharing a (band, bkey) bucket, without repeats.

    One lexsort + run detection for the whole partition (no per-bucket Python). A bucket of k
    documents gives k*(k-1)/2 pairs, as the LSH index of the embedded run would query them."""
    n = len(seq)
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort((seq, bkey, band))
    band, bkey, seq = band[order], bkey[order], seq[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = (band[1:] != band[:-1]) | (bkey[1:] != bkey[:-1])
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, n))
    multi = sizes >= 2
    if not multi.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    in_multi = np.repeat(multi, sizes)
    pos = np.flatnonzero(in_multi)
    g_start = np.repeat(starts, sizes)[in_multi]
    g_size = np.repeat(sizes, sizes)[in_multi]
    local = pos - g_start
    cnt = g_size - local - 1  # partners after this member in its bucket
    a_pos = np.repeat(pos, cnt)
    first = np.cumsum(cnt) - cnt
    offs = np.arange(int(cnt.sum())) - np.repeat(first, cnt) + 1
    a, b = seq[a_pos], seq[a_pos + offs]  # seq ascending within a bucket: a < b
    return unique_pairs(a, b)


def unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not len(a):
        return a.astype(np.int64), b.astype(np.int64)
    ab = np.unique(np.stack([a, b], axis=1), axis=0)
    return ab[:, 0].copy(), ab[:, 1].copy()


# ---------------------------------------------------------------------------------------------
# Reading kept documents and sketches back by seq (OUT is shared storage)


class ShardIndex:
    """seq -> shard, from the shards' sizes (shards are fixed runs of the input stream)."""

    def __init__(self, n_inputs: Sequence[int]) -> None:
        self.starts = np.concatenate([[0], np.cumsum(np.asarray(n_inputs, dtype=np.int64))])[:-1]

    def shard_of(self, seqs: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.starts, seqs, side="right") - 1


class NodeData:
    """Ids, KeepInfo, texts and sketches of some kept documents, in ascending seq order."""

    def __init__(self, ids: list[str], keep: dict[str, KeepInfo], texts: list[str], arrivals: Arrivals | None, seqs: np.ndarray) -> None:
        self.ids, self.keep, self.texts, self.arrivals, self.seqs = ids, keep, texts, arrivals, seqs


def load_nodes(layout: RunLayout, index: ShardIndex, seqs: np.ndarray, with_sketches: bool = True) -> NodeData:
    """Read the kept rows (and sketches) of these documents from OUT/_work, a filter on seq/id
    per shard file: texts are fetched by key, never by position."""
    seqs = np.unique(np.asarray(seqs, dtype=np.int64))
    shards = index.shard_of(seqs)
    tables, sk_tables = [], []
    for s in np.unique(shards).tolist():
        want = pa.array(seqs[shards == s])
        t = read_table(layout.kept(s), columns=["id", "text", "n_chars", "seq", "date", "n_words"])
        t = t.filter(pc.is_in(t.column("seq"), value_set=want))
        tables.append(t)
        if with_sketches:
            sk = read_table(layout.sketch(s))
            sk_tables.append(sk.filter(pc.is_in(sk.column("id"), value_set=t.column("id").combine_chunks())))
    t = pa.concat_tables(tables).sort_by("seq")
    ids = t.column("id").to_pylist()
    arrivals = None
    if with_sketches:
        sk = sketches_from_table(pa.concat_tables(sk_tables).combine_chunks())
        pos = {i: k for k, i in enumerate(sk.ids)}
        order = np.array([pos[i] for i in ids], dtype=np.int64)
        arrivals = Arrivals(ids, sk.exact[order], np.asarray(sk.n_shingles, np.int64)[order], sk.signatures[order])
    return NodeData(ids, keep_info_table(t), t.column("text").to_pylist(), arrivals, t.column("seq").to_numpy())


def verify_pairs(layout: RunLayout, index: ShardIndex, a: np.ndarray, b: np.ndarray, config: DedupConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact similarity of each candidate pair; returns the pairs at or above the threshold."""
    a, b = unique_pairs(a, b)
    if not len(a):
        return a, b, np.zeros(0)
    nodes = load_nodes(layout, index, np.concatenate([a, b]), with_sketches=False)
    sets = {q: shingle_hashes(t, config) for q, t in zip(nodes.seqs.tolist(), nodes.texts)}
    sims = np.array([set_similarity(sets[x], sets[y], config.similarity) for x, y in zip(a.tolist(), b.tolist())], dtype=np.float64)
    keep = sims >= config.threshold
    return a[keep], b[keep], sims[keep]


# ---------------------------------------------------------------------------------------------
# Driver: groups of whole components, clustered by the embedded resolve steps


def group_components(components: Iterable[np.ndarray], max_nodes: int = 20_000) -> list[np.ndarray]:
    """Pack whole components into groups of at most ~max_nodes documents (one resolve call each)."""
    groups, cur, size = [], [], 0
    for c in components:
        if cur and size + len(c) > max_nodes:
            groups.append(np.concatenate(cur))
            cur, size = [], 0
        cur.append(c)
        size += len(c)
    if cur:
        groups.append(np.concatenate(cur))
    return groups


def resolve_group(nodes: NodeData, edges: pa.Table, config: DedupConfig, stats: ResolveStats | None = None) -> list[DuplicateRow]:
    """Cluster + keep rule for a group of whole connected components, over its verified
    edges (seq pairs): the rows of a global resolve, as a document's fate depends only on
    documents joined to it by verified edges. `stats` receives the resolve steps' counts."""
    assert nodes.arrivals is not None
    a = np.searchsorted(nodes.seqs, edges.column("a").to_numpy())
    b = np.searchsorted(nodes.seqs, edges.column("b").to_numpy())
    texts = dict(zip(nodes.ids, nodes.texts))
    sims = edges.column("similarity").to_numpy()
    return cluster_edges(nodes.arrivals, nodes.keep, a, b, sims, lambda ids: {i: texts[i] for i in ids}, config, stats)
