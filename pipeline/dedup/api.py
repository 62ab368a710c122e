"""Exact and near-duplicate detection: map-phase sketches, then one global resolve step.

Map (`sketch`, pure, per batch, in worker processes): normalise text, hash every shingle with
SHA-1 (datasketch's ``sha1_hash32`` is the low 32 bits), MinHash all shingles of the batch under
all permutations at once (numba kernel, NumPy fallback), plus a 64-bit hash of the normalised
text for exact duplicates.

Resolve (`find_duplicates_with_stats`, global):
1. exact groups (same normalised text) -> one representative each;
2. LSH: per band, (band hash, doc) sorted - in memory or spilled to partitioned files when above
   ``memory_mb`` - and equal runs give candidate pairs (stars for huge buckets);
3. every candidate pair verified on exact shingle sets (texts fetched in large batches);
4. clustering without chaining: documents in keep-rank order; a document is removed only if it
   has a verified edge (similarity >= threshold) to an already *kept* document. Components of
   verified pairs up to ``max_component`` get all member pairs verified first, so the greedy
   pass sees every edge; bigger ("giant") ones are split on candidate edges and reported.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pyarrow as pa

from pipeline.dedup import _kernels as K
from pipeline.dedup.config import DedupConfig

_SEP = re.compile(r"\W+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class KeepInfo:
    """What the keep policy looks at for one document."""

    n_chars: int
    seq: int  # position in input order (first_seen)
    date: str | None = None
    quality: float = 0.0


@dataclass(frozen=True, slots=True)
class DuplicateRow:
    id: str
    duplicate_of: str
    cluster_id: str
    similarity: float  # verified similarity of shingle sets to the kept doc (1.0 for exact)
    estimated_similarity: float  # MinHash estimate (1.0 for exact)
    kind: str  # "exact" | "near"


@dataclass
class Sketches:
    """Map-phase output for a batch of documents, keyed by id (never by position alone)."""

    ids: list[str]
    exact: np.ndarray  # uint64, hash of normalised text
    signatures: np.ndarray  # (n, num_perm) uint32
    n_shingles: np.ndarray = field(default=None)  # type: ignore[assignment]  # int32, size of the shingle set

    def __post_init__(self) -> None:
        if self.n_shingles is None:
            self.n_shingles = np.full(len(self.ids), -1, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.ids)


# ----------------------------------------------------------------------------- map phase
def normalise(text: str) -> str:
    """NFKC, lower case, every run of non-word characters (punctuation, whitespace) -> one
    space. Digits are kept: templated reports that differ only in numbers are not duplicates."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _SEP.sub(" ", text.lower()).strip()


def shingle_hashes(text: str, config: DedupConfig) -> np.ndarray:
    """Sorted unique 64-bit shingle hashes of one text (first 8 bytes of SHA-1, little endian;
    `& 0xFFFFFFFF` gives datasketch's sha1_hash32 of the shingle)."""
    h, _ = K.batch_shingle_hashes([normalise(text).encode("utf-8")], config.shingle_size, config.shingle == "char")
    return np.unique(h)


def shingles(text: str, config: DedupConfig) -> list[bytes]:
    """The shingles themselves as bytes (what datasketch's update_batch would be given)."""
    buf = normalise(text).encode("utf-8")
    return list(dict.fromkeys(buf[s:e] for s, e in K._py_shingle_bounds(buf, config.shingle_size, config.shingle == "char")))


_PERM_CACHE: dict[tuple[int, int, str], tuple[np.ndarray, np.ndarray]] = {}


def _perms(config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    key = (config.num_perm, config.seed, config.minhash_scheme)
    if key not in _PERM_CACHE:
        _PERM_CACHE[key] = K.permutations(*key)
    return _PERM_CACHE[key]


def _exact_hash(norm: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(norm, digest_size=8).digest(), "little")


def sketch(docs: Sequence[tuple[str, str]], config: DedupConfig) -> Sketches:
    """Map phase for one batch of (id, cleaned text)."""
    ids = [d[0] for d in docs]
    norms = K.batch_normalise([t for _, t in docs], normalise)
    exact = np.fromiter((_exact_hash(n) for n in norms), dtype=np.uint64, count=len(norms))
    hashes, offs = K.batch_shingle_hashes(norms, config.shingle_size, config.shingle == "char")
    a, b = _perms(config)
    sigs = K.batch_minhash(hashes, offs, a, b, config.minhash_scheme)
    # set sizes (duplicate shingles inside a doc counted once) for containment estimates
    n_sh = np.diff(K.unique_sets(hashes, offs)[1]).astype(np.int32)
    return Sketches(ids, exact, sigs, n_sh)


def sketches_to_table(s: Sketches) -> pa.Table:
    n, p = s.signatures.shape if s.signatures.ndim == 2 else (len(s.ids), 0)
    sig = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(s.signatures, dtype=np.uint32).reshape(-1)), p)
    return pa.table(
        {
            "id": pa.array(s.ids, pa.string()),
            "exact": pa.array(s.exact.astype(np.uint64), pa.uint64()),
            "n_shingles": pa.array(np.asarray(s.n_shingles, dtype=np.int32), pa.int32()),
            "signature": sig,
        }
    )


def sketches_from_table(t: pa.Table) -> Sketches:
    for col in ("id", "exact", "signature"):
        if col not in t.column_names:
            raise ValueError(f"sketch table lacks column {col!r} (has {t.column_names})")
    sig_col = t.column("signature").combine_chunks()
    p = sig_col.type.list_size
    flat = sig_col.flatten().to_numpy(zero_copy_only=False).astype(np.uint32, copy=False)
    n_sh = t.column("n_shingles").to_numpy().astype(np.int32) if "n_shingles" in t.column_names else None
    return Sketches(
        t.column("id").to_pylist(),
        t.column("exact").to_numpy().astype(np.uint64),
        flat.reshape(t.num_rows, p),
        n_sh,
    )


# ----------------------------------------------------------------------------- LSH parameters
def s_curve(j: float, bands: int, rows: int) -> float:
    """P(a pair with Jaccard j shares at least one band) = 1 - (1 - j^r)^b."""
    return 1.0 - (1.0 - j**rows) ** bands


def lsh_params(config: DedupConfig) -> tuple[int, int]:
    """(bands, rows): the steepest S-curve (most rows) whose candidate probability at the
    threshold is still >= lsh_recall, using as many bands as num_perm allows."""
    if config.bands is not None:
        return config.bands, config.rows  # type: ignore[return-value]
    t = config.lsh_threshold or config.threshold
    best = (config.num_perm, 1)
    for r in range(1, config.num_perm + 1):
        b = config.num_perm // r
        if s_curve(t, b, r) >= config.lsh_recall:
            best = (b, r)
    return best


_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


def band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: a 64-bit mix of each band's `rows` values."""
    n = signatures.shape[0]
    s = signatures[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    h = np.full((n, bands), np.uint64(rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(rows):
            h = (h ^ s[:, :, j]) * _M1
            h ^= h >> np.uint64(29)
        h = (h ^ (h >> np.uint64(30))) * _M2
        h = (h ^ (h >> np.uint64(27))) * _M3
        h ^= h >> np.uint64(31)
    return h


class _BandStore:
    """(band hash, doc index) per band; spilled to files partitioned by the hash's top bits
    once the buffer exceeds `budget` bytes, so reading back one (band, partition) at a time
    keeps memory bounded by the setting rather than by the corpus."""

    PBITS = 6  # 64 partitions per band

    def __init__(self, bands: int, budget: int, tmp: str) -> None:
        self.bands, self.budget, self.tmp = bands, budget, tmp
        self.buf: list[tuple[np.ndarray, np.ndarray]] = []
        self.nbytes = 0
        self.spilled = False
        self.spill_bytes = 0

    def add(self, h: np.ndarray, idx: np.ndarray) -> None:
        self.buf.append((h, idx))
        self.nbytes += h.nbytes + idx.nbytes * self.bands
        if self.nbytes > self.budget:
            self._flush()

    def _flush(self) -> None:
        if not self.buf:
            return
        self.spilled = True
        h = np.concatenate([b[0] for b in self.buf])
        idx = np.concatenate([b[1] for b in self.buf])
        self.buf, self.nbytes = [], 0
        shift = np.uint64(64 - self.PBITS)
        for band in range(self.bands):
            col = h[:, band]
            part = (col >> shift).astype(np.int64)
            order = np.argsort(part, kind="stable")
            bounds = np.searchsorted(part[order], np.arange((1 << self.PBITS) + 1))
            rec = np.empty(col.size, dtype=[("h", "<u8"), ("i", "<u4")])
            rec["h"] = col[order]
            rec["i"] = idx[order]
            for p in range(1 << self.PBITS):
                lo, hi = bounds[p], bounds[p + 1]
                if hi > lo:
                    with open(os.path.join(self.tmp, f"b{band:03d}p{p:02d}.bin"), "ab") as f:
                        rec[lo:hi].tofile(f)
            self.spill_bytes += rec.nbytes

    def groups(self):
        """Yield (hashes, doc indices) per band (or per band partition when spilled)."""
        if not self.spilled:
            bufs, self.buf, self.nbytes = self.buf, [], 0
            if not bufs:
                return
            idx = np.concatenate([b[1] for b in bufs])
            for band in range(self.bands):  # one band column at a time: no second full copy
                yield np.concatenate([b[0][:, band] for b in bufs]), idx
            return
        self._flush()
        for band in range(self.bands):
            for p in range(1 << self.PBITS):
                path = os.path.join(self.tmp, f"b{band:03d}p{p:02d}.bin")
                if os.path.exists(path):
                    rec = np.fromfile(path, dtype=[("h", "<u8"), ("i", "<u4")])
                    yield rec["h"], rec["i"]
                    os.remove(path)


def _bucket_pairs(h: np.ndarray, rank: np.ndarray, max_bucket: int) -> np.ndarray:
    """Candidate pairs (as uint64 lo<<32|hi of keep ranks) from equal band hashes: all pairs in
    buckets up to max_bucket, else a star from the bucket's best-ranked member."""
    if h.size < 2:
        return np.empty(0, np.uint64)
    order = np.lexsort((rank, h))
    hs, rs = h[order], rank[order].astype(np.uint64)
    same = hs[1:] == hs[:-1]
    if not same.any():
        return np.empty(0, np.uint64)
    # keep only elements that belong to a run of length >= 2
    inrun = np.zeros(hs.size, bool)
    inrun[1:] |= same
    inrun[:-1] |= same
    hs, rs = hs[inrun], rs[inrun]
    starts = np.flatnonzero(np.r_[True, hs[1:] != hs[:-1]])
    lens = np.diff(np.r_[starts, hs.size])
    run_id = np.repeat(np.arange(starts.size), lens)
    pos = np.arange(hs.size) - starts[run_id]
    out = []
    small = lens[run_id] <= max_bucket
    # all pairs in small runs: offsets k = 1 .. max_len-1
    rs_s, run_s = rs[small], run_id[small]
    kmax = int(lens[lens <= max_bucket].max()) if (lens <= max_bucket).any() else 0
    for k in range(1, kmax):
        ok = run_s[k:] == run_s[:-k]
        if not ok.any():
            break
        out.append((rs_s[:-k][ok] << np.uint64(32)) | rs_s[k:][ok])
    # stars in big runs (first element of each run has the best rank)
    big = ~small & (pos > 0)
    if big.any():
        head = rs[starts[run_id[big]]]
        out.append((head << np.uint64(32)) | rs[big])
    return np.concatenate(out) if out else np.empty(0, np.uint64)


# ----------------------------------------------------------------------------- resolve
def _rank_key(config: DedupConfig):
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


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.p = np.arange(n, dtype=np.int64)

    def find(self, x: int) -> int:
        p = self.p
        root = x
        while p[root] != root:
            root = p[root]
        while p[x] != root:
            p[x], x = root, p[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.p[rb] = ra
            else:
                self.p[ra] = rb


def find_duplicates(
    sketches: Iterable[Sketches],
    keep_info: Mapping[str, KeepInfo],
    fetch_texts: Callable[[Sequence[str]], Mapping[str, str]],
    config: DedupConfig,
) -> list[DuplicateRow]:
    """Resolve all sketches into duplicate rows (one per removed document)."""
    return find_duplicates_with_stats(sketches, keep_info, fetch_texts, config)[0]


def find_duplicates_with_stats(
    sketches: Iterable[Sketches],
    keep_info: Mapping[str, KeepInfo],
    fetch_texts: Callable[[Sequence[str]], Mapping[str, str]],
    config: DedupConfig,
    *,
    memory_bytes: int | None = None,
) -> tuple[list[DuplicateRow], dict]:
    """Like `find_duplicates`, plus a JSON-able dict of what happened (for manifest.json).

    `memory_bytes` overrides config.memory_mb for the band-hash buffer (tests force spilling)."""
    t_start = time.perf_counter()
    bands, rows = lsh_params(config)
    t = config.threshold
    stats: dict = {
        "threshold": t,
        "similarity": config.similarity,
        "shingle": f"{config.shingle}-{config.shingle_size}",
        "num_perm": config.num_perm,
        "bands": bands,
        "rows": rows,
        "lsh_threshold": config.lsh_threshold or t,
        "s_curve_at_threshold": round(s_curve(config.lsh_threshold or t, bands, rows), 6),
        "s_curve_at_threshold_minus_0.1": round(s_curve(max((config.lsh_threshold or t) - 0.1, 0.0), bands, rows), 6),
    }
    tmp = tempfile.mkdtemp(prefix="dedup-", dir=config.tmp_dir)
    try:
        budget = memory_bytes if memory_bytes is not None else config.memory_mb << 20
        rows_out = _resolve(sketches, keep_info, fetch_texts, config, bands, rows, tmp, stats, budget)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    stats["seconds"] = round(time.perf_counter() - t_start, 3)
    return rows_out, stats


def _peak_rss_mb() -> float:
    try:
        import resource

        r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(r / (1024 * 1024) if sys.platform == "darwin" else r / 1024, 1)
    except Exception:  # noqa: BLE001 - not available on every platform
        return -1.0


def _resolve(sketches, keep_info, fetch_texts, config, bands, rows, tmp, stats, budget) -> list[DuplicateRow]:
    peak = stats.setdefault("peak_rss_mb_after", {})
    # ---- 1. stream sketches: ids, exact hashes, band hashes (spillable), signatures to disk
    ids: list[str] = []
    exact_parts, nsh_parts = [], []
    store = _BandStore(bands, budget, tmp)
    sig_path = os.path.join(tmp, "signatures.u32")
    num_perm = None
    with open(sig_path, "wb") as sig_file:
        for s in sketches:
            n = len(s.ids)
            if n == 0:
                continue
            sig = np.ascontiguousarray(s.signatures, dtype=np.uint32)
            if sig.ndim != 2 or sig.shape[0] != n:
                raise ValueError(f"signatures of shape {sig.shape} for {n} ids")
            if num_perm is None:
                num_perm = sig.shape[1]
                if num_perm < bands * rows:
                    raise ValueError(f"signatures have {num_perm} permutations, LSH needs {bands}x{rows}")
            elif sig.shape[1] != num_perm:
                raise ValueError("sketches with different numbers of permutations")
            base = len(ids)
            ids.extend(s.ids)
            exact_parts.append(np.asarray(s.exact, dtype=np.uint64))
            nsh_parts.append(np.asarray(s.n_shingles, dtype=np.int64))
            sig.tofile(sig_file)
            store.add(band_hashes(sig, bands, rows), np.arange(base, base + n, dtype=np.uint32))
    n = len(ids)
    stats["docs"] = n
    if n == 0:
        stats.update(exact_duplicates=0, candidate_pairs=0, verified_pairs=0, near_duplicates=0)
        return []
    if len(set(ids)) != n:
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise ValueError(f"document id {dup!r} appears more than once")
    peak["sketches"] = _peak_rss_mb()
    exact = np.concatenate(exact_parts)
    nsh = np.concatenate(nsh_parts)
    sigs = np.memmap(sig_path, dtype=np.uint32, mode="r", shape=(n, num_perm))

    # ---- 2. keep ranks (0 = best); everything below works in rank space
    key = _rank_key(config)
    try:
        order = sorted(range(n), key=lambda a: key(ids[a], keep_info[ids[a]]))
    except KeyError as exc:
        raise ValueError(f"no keep info for document {exc.args[0]!r}") from None
    order_arr = np.array(order, dtype=np.int64)  # rank -> arrival index
    rank_of = np.empty(n, dtype=np.int64)
    rank_of[order_arr] = np.arange(n)
    del order

    peak["ranks"] = _peak_rss_mb()
    # ---- 3. exact duplicates: representative = best rank of each normalised-text group
    is_rep = np.ones(n, bool)
    exact_rep = np.arange(n)  # rank -> rank of its exact representative
    if config.exact:
        ex_r = exact[order_arr]
        o = np.lexsort((np.arange(n), ex_r))
        sorted_ex = ex_r[o]
        first = np.r_[True, sorted_ex[1:] != sorted_ex[:-1]]
        grp_head = o[np.maximum.accumulate(np.where(first, np.arange(n), 0))]
        exact_rep[o] = grp_head
        is_rep = exact_rep == np.arange(n)
    stats["exact_duplicates"] = int((~is_rep).sum())

    # ---- 4. LSH candidate pairs (reps with at least one shingle)
    usable = np.zeros(n, bool)
    usable[rank_of] = nsh != 0
    usable &= is_rep
    t0 = time.perf_counter()
    pair_parts: list[np.ndarray] = []
    pending = 0
    for h, idx in store.groups():
        r = rank_of[idx.astype(np.int64)]
        keep = usable[r]
        pairs = _bucket_pairs(h[keep], r[keep], config.max_bucket)
        if pairs.size:
            pair_parts.append(pairs)
            pending += pairs.size
            if pending > 4_000_000:
                pair_parts = [np.unique(np.concatenate(pair_parts))]
                pending = pair_parts[0].size
    stats["band_store_spilled"] = store.spilled
    stats["band_store_spilled_mb"] = round(store.spill_bytes / 2**20, 3)
    del store  # band hashes are no longer needed (spill files were removed as read)
    cand = np.unique(np.concatenate(pair_parts)) if pair_parts else np.empty(0, np.uint64)
    stats["candidate_pairs"] = int(cand.size)
    stats["seconds_candidates"] = round(time.perf_counter() - t0, 3)
    peak["candidates"] = _peak_rss_mb()
    lo = (cand >> np.uint64(32)).astype(np.int64)
    hi = (cand & np.uint64(0xFFFFFFFF)).astype(np.int64)
    del cand

    # ---- 5. verify every candidate pair on exact shingle sets
    t0 = time.perf_counter()
    fetched = [0]

    def verify(lo_all: np.ndarray, hi_all: np.ndarray) -> np.ndarray:
        # chunks follow input order (arrival index of the first doc) so that each fetch_texts
        # call touches as few input shards as possible; results are scattered back
        perm = np.argsort(order_arr[lo_all], kind="stable")
        lo, hi = lo_all[perm], hi_all[perm]
        sims = np.empty(lo.size, dtype=np.float64)
        step = max(1, config.verify_docs // 2)
        for s0 in range(0, lo.size, step):
            l, h_ = lo[s0 : s0 + step], hi[s0 : s0 + step]
            docs = np.unique(np.concatenate([l, h_]))
            want = [ids[a] for a in order_arr[docs].tolist()]
            texts = fetch_texts(want)
            fetched[0] += len(want)
            # shingle sets built 2,000 texts at a time so the transient copies stay small
            vparts, sizes = [], []
            for w0 in range(0, len(want), 2000):
                try:
                    sub = [texts[i] for i in want[w0 : w0 + 2000]]
                except KeyError as exc:
                    raise ValueError(f"fetch_texts returned no text for {exc.args[0]!r}") from None
                hs, offs = K.batch_shingle_hashes(K.batch_normalise(sub, normalise), config.shingle_size, config.shingle == "char")
                v, vo = K.unique_sets(hs, offs)
                vparts.append(v)
                sizes.append(np.diff(vo))
            del texts
            values = np.concatenate(vparts) if vparts else np.empty(0, np.uint64)
            voffs = np.zeros(len(want) + 1, np.int64)
            if sizes:
                np.cumsum(np.concatenate(sizes), out=voffs[1:])
            li, hj = np.searchsorted(docs, l), np.searchsorted(docs, h_)
            inter = K.intersections(values, voffs, li, hj).astype(np.float64)
            na, nb = np.diff(voffs)[li].astype(np.float64), np.diff(voffs)[hj].astype(np.float64)
            if config.similarity == "containment":
                den = np.minimum(na, nb)
            else:
                den = na + nb - inter
            sims[s0 : s0 + step] = np.where(den > 0, inter / np.maximum(den, 1), 1.0)
        out = np.empty_like(sims)
        out[perm] = sims
        return out

    sim = verify(lo, hi)
    ok = sim >= config.threshold
    stats["verified_pairs"] = int(ok.sum())
    stats["rejected_candidates"] = int((~ok).sum())
    lo, hi, sim = lo[ok], hi[ok], sim[ok]

    peak["verify"] = _peak_rss_mb()
    # ---- 6. components of verified pairs; complete small ones with all member pairs
    uf = _UnionFind(n)
    for a, b in zip(lo.tolist(), hi.tolist()):
        uf.union(a, b)
    members: dict[int, list[int]] = {}
    for v in np.unique(np.concatenate([lo, hi])).tolist():
        members.setdefault(uf.find(v), []).append(v)
    sizes = sorted((len(m) for m in members.values()), reverse=True)
    giant = [m for m in members.values() if len(m) > config.max_component]
    stats["components"] = len(members)
    stats["largest_component"] = sizes[0] if sizes else 0
    stats["giant_components_split"] = len(giant)
    stats["giant_component_sizes"] = sorted((len(m) for m in giant), reverse=True)[:20]
    have = set(((lo << 32) | hi).tolist())
    xl, xh = [], []
    for m in members.values():
        if 3 <= len(m) <= config.max_component:
            m = sorted(m)
            for i in range(len(m)):
                for j in range(i + 1, len(m)):
                    if (m[i] << 32) | m[j] not in have:
                        xl.append(m[i])
                        xh.append(m[j])
    if xl:
        xl_a, xh_a = np.array(xl, np.int64), np.array(xh, np.int64)
        xs = verify(xl_a, xh_a)
        ok2 = xs >= config.threshold
        stats["completion_pairs_checked"] = len(xl)
        stats["completion_pairs_verified"] = int(ok2.sum())
        lo, hi, sim = np.r_[lo, xl_a[ok2]], np.r_[hi, xh_a[ok2]], np.r_[sim, xs[ok2]]
    else:
        stats["completion_pairs_checked"] = stats["completion_pairs_verified"] = 0
    stats["texts_fetched"] = fetched[0]
    stats["seconds_verify"] = round(time.perf_counter() - t0, 3)

    peak["completion"] = _peak_rss_mb()
    # ---- 7. greedy clustering in rank order: removed only next to a *kept* document
    o = np.lexsort((lo, hi))
    lo, hi, sim = lo[o], hi[o], sim[o]
    dup_of: dict[int, tuple[int, float]] = {}
    for a, b, s in zip(lo.tolist(), hi.tolist(), sim.tolist()):
        if b in dup_of or a in dup_of:
            continue  # b already placed by a better-ranked kept neighbour / a was removed
        dup_of[b] = (a, s)

    def est(a_rank: int, b_rank: int) -> float:
        x, y = sigs[order_arr[a_rank]], sigs[order_arr[b_rank]]
        j = float(np.mean(x == y))
        if config.similarity == "containment":
            na, nb = nsh[order_arr[a_rank]], nsh[order_arr[b_rank]]
            if na > 0 and nb > 0:
                return min(1.0, j * (na + nb) / (1 + j) / min(na, nb))
        return j

    out: list[DuplicateRow] = []
    for b, (a, s) in dup_of.items():
        ka = ids[order_arr[a]]
        out.append(DuplicateRow(ids[order_arr[b]], ka, ka, round(s, 6), round(est(a, b), 6), "near"))
    stats["near_duplicates"] = len(out)
    for r in np.flatnonzero(~is_rep).tolist():
        rep = int(exact_rep[r])
        if rep in dup_of:  # its representative was removed as a near-duplicate: same set, same kept doc
            a, s = dup_of[rep]
            ka = ids[order_arr[a]]
            out.append(DuplicateRow(ids[order_arr[r]], ka, ka, round(s, 6), round(est(a, rep), 6), "near"))
        else:
            kr = ids[order_arr[rep]]
            out.append(DuplicateRow(ids[order_arr[r]], kr, kr, 1.0, 1.0, "exact"))
    out.sort(key=lambda r: (r.cluster_id, r.id))
    stats["removed"] = len(out)
    stats["clusters"] = len({r.cluster_id for r in out})
    del sigs
    return out


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
    x, y = shingle_hashes(a, config), shingle_hashes(b, config)
    inter = np.intersect1d(x, y, assume_unique=True).size
    if config.similarity == "containment":
        den = min(x.size, y.size)
    else:
        den = x.size + y.size - inter
    return inter / den if den else 1.0


__all__ = [
    "DuplicateRow",
    "KeepInfo",
    "Sketches",
    "band_hashes",
    "find_duplicates",
    "find_duplicates_with_stats",
    "jaccard",
    "lsh_params",
    "normalise",
    "rows_to_table",
    "s_curve",
    "shingle_hashes",
    "shingles",
    "sketch",
    "sketches_from_table",
    "sketches_to_table",
]
