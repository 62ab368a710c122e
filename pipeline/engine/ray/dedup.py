"""Building blocks of the distributed near-duplicate step (numpy + pyarrow only, no Ray).

The Ray engine (`ray_engine.py`) wires them into Ray Data operators:

    map:      sketches (written by `process_shard`)   -> band rows (band, bkey, seq)
    shuffle:  repartition(keys=["band", "bkey"])      -> candidate_pairs() per partition
    shuffle:  repartition(keys=["a", "b"])            -> verify_pairs() per partition (exact Jaccard)
    driver:   connected_components() over verified edges (union-find)
    driver:   resolve() per group of components      -> DuplicateRow, via pipeline.dedup

Documents are keyed by `seq` (their position in the input stream, unique and independent of the
engine, the number of workers and the shard size); string ids come back from the kept tables.

Everything that depends on the dedup module is in `lsh_params`, `shingle_set`, `jaccard` and
`resolve`, so the
rewritten module (vectorised MinHash, derived LSH parameters, anti-chaining clustering) plugs in
there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.dedup import DuplicateRow, KeepInfo, Sketches, find_duplicates
from pipeline.dedup.api import lsh_params as dedup_lsh_params
from pipeline.dedup.api import shingle_hashes, sketches_from_table
from pipeline.dedup.config import DedupConfig
from pipeline.engine.shard import WORK, shard_name

BAND_SCHEMA = pa.schema([("band", pa.int32()), ("bkey", pa.int64()), ("seq", pa.int64())])
PAIR_SCHEMA = pa.schema([("a", pa.int64()), ("b", pa.int64())])


# ---------------------------------------------------------------------------------------------
# Dependencies on pipeline.dedup (keep them here)


def lsh_params(config: DedupConfig) -> tuple[int, int]:
    """(bands, rows) of the LSH index: exactly what the embedded `find_duplicates` uses."""
    return dedup_lsh_params(config)


def shingle_set(text: str, config: DedupConfig) -> np.ndarray:
    """A document's shingle hashes (sorted, unique), as the embedded verification builds them."""
    return shingle_hashes(text, config)


def jaccard(a: np.ndarray, b: np.ndarray, config: DedupConfig) -> float:
    """Exact similarity per config.similarity (Jaccard or containment), the embedded formula."""
    inter = np.intersect1d(a, b, assume_unique=True).size
    den = min(a.size, b.size) if config.similarity == "containment" else a.size + b.size - inter
    return inter / den if den else 1.0


def resolve(nodes: "NodeData", config: DedupConfig) -> list[DuplicateRow]:
    """Cluster + keep policy for a group of whole connected components of the verified-edge graph.

    Until the rewritten dedup module exposes clustering and keep policy on an edge list, this
    calls the embedded `find_duplicates` on just these documents: its decisions for a document
    depend only on documents joined to it by verified edges, so the rows are those of a global
    call. Verification inside it repeats (on a few documents) what `verify_pairs` did."""
    keep = {i: k for i, k in zip(nodes.ids, nodes.keep)}
    texts = dict(zip(nodes.ids, nodes.texts))
    return find_duplicates([nodes.sketches], keep, lambda ids: {i: texts[i] for i in ids}, config)


# ---------------------------------------------------------------------------------------------
# Map side: band keys


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser over uint64 arrays (wrap-around arithmetic is intended)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) int64: a 64-bit hash of each band (rows consecutive MinHash values), as
    datasketch's bands (band i = values [i*rows, (i+1)*rows)). Equal bands give equal keys; a
    false match needs a 64-bit collision and would still have to pass verification."""
    n = signatures.shape[0]
    sig = signatures[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    h = np.full((n, bands), np.uint64(rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(rows):
            h = _mix(h ^ sig[:, :, j])
    return h.view(np.int64)


def band_rows(seqs: np.ndarray, signatures: np.ndarray, bands: int, rows: int) -> pa.Table:
    """One row per (document, band): the shuffle input."""
    n = len(seqs)
    keys = band_keys(signatures, bands, rows) if n else np.zeros((0, bands), dtype=np.int64)
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

    def __init__(self, ids, keep, texts, sketches: Sketches, seqs) -> None:
        self.ids, self.keep, self.texts, self.sketches, self.seqs = ids, keep, texts, sketches, seqs


def load_nodes(out: Path, index: ShardIndex, seqs: np.ndarray, with_sketches: bool = True) -> NodeData:
    """Read the kept rows (and sketches) of these documents from OUT/_work, a filter on seq/id
    per shard file: texts are fetched by key, never by position."""
    seqs = np.unique(np.asarray(seqs, dtype=np.int64))
    shards = index.shard_of(seqs)
    tables, sk_tables = [], []
    for s in np.unique(shards).tolist():
        want = pa.array(seqs[shards == s])
        t = pq.read_table(out / WORK / f"kept-{shard_name(s)}.parquet", columns=["id", "text", "n_chars", "seq", "date", "n_words"])
        t = t.filter(pc.is_in(t.column("seq"), value_set=want))
        tables.append(t)
        if with_sketches:
            sk = pq.read_table(out / WORK / f"sketch-{shard_name(s)}.parquet")
            sk_tables.append(sk.filter(pc.is_in(sk.column("id"), value_set=t.column("id").combine_chunks())))
    t = pa.concat_tables(tables).sort_by("seq")
    ids = t.column("id").to_pylist()
    keep = [
        KeepInfo(n_chars=n, seq=q, date=d, quality=float(w))  # as finalize.run_dedup builds it
        for n, q, d, w in zip(*(t.column(c).to_pylist() for c in ("n_chars", "seq", "date", "n_words")))
    ]
    sketches = None
    if with_sketches:
        sk = sketches_from_table(pa.concat_tables(sk_tables).combine_chunks())
        pos = {i: k for k, i in enumerate(sk.ids)}
        order = np.array([pos[i] for i in ids], dtype=np.int64)
        sketches = Sketches(ids, sk.exact[order], sk.signatures[order])
    return NodeData(ids, keep, t.column("text").to_pylist(), sketches, t.column("seq").to_numpy())


def verify_pairs(out: Path, index: ShardIndex, a: np.ndarray, b: np.ndarray, config: DedupConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact Jaccard of each candidate pair; returns the pairs at or above the threshold."""
    a, b = unique_pairs(a, b)
    if not len(a):
        return a, b, np.zeros(0)
    nodes = load_nodes(out, index, np.concatenate([a, b]), with_sketches=False)
    sets = {q: shingle_set(t, config) for q, t in zip(nodes.seqs.tolist(), nodes.texts)}
    sims = np.array([jaccard(sets[x], sets[y], config) for x, y in zip(a.tolist(), b.tolist())], dtype=np.float64)
    keep = sims >= config.threshold
    return a[keep], b[keep], sims[keep]


# ---------------------------------------------------------------------------------------------
# Driver: connected components


def connected_components(a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """Connected components of the edge list (union-find with path halving, union by smaller
    index). Memory is O(nodes + edges) on one machine: see docs/ray.md for the limit and the
    distributed alternative (large-star/small-star)."""
    if not len(a):
        return []
    nodes, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    m = len(a)
    parent = list(range(len(nodes)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u, v in zip(inv[:m].tolist(), inv[m:].tolist()):
        ru, rv = find(u), find(v)
        if ru != rv:
            if ru < rv:
                parent[rv] = ru
            else:
                parent[ru] = rv
    roots = np.array([find(i) for i in range(len(nodes))])
    order = np.argsort(roots, kind="stable")
    cuts = np.flatnonzero(np.diff(roots[order])) + 1
    return [nodes[g] for g in np.split(order, cuts)]


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
