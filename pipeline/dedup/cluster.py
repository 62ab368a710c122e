"""Resolve step of dedup: keep ranks, exact groups, verification of LSH candidates on exact
shingle sets and greedy clustering without chaining into one DuplicateRow per removed document."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pyarrow as pa

from pipeline.dedup import _kernels as K
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.keep import choose_kept, kept_pairs
from pipeline.dedup.lsh import _bucket_pairs, _BandStore, band_hashes, lsh_params, s_curve
from pipeline.dedup.sketch import Sketches, normalise, shingle_hashes


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
    duplicate_of_run: str | None = None  # the earlier run (--against) holding duplicate_of; None = this run



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
    # ---- 7. keep decision per verified cluster (pipeline.dedup.keep): star centre by coverage
    kr = choose_kept(lo.tolist(), hi.tolist(), sim.tolist(), config.keep_rule)
    dup_of = kr.dup_of
    stats["centre_not_policy_best"] = kr.centre_not_policy_best
    _giant_guard(giant, dup_of, verify, config, stats)

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


def _giant_guard(giant, dup_of, verify, config, stats) -> None:
    """Giant components were split on candidate edges only, so two kept members of one may be
    >= threshold of each other: verify their kept pairs (when there are at most max_component
    kept members) and count such pairs in the stats (manifest: dedup.giant_kept_pairs_*)."""
    pairs, unchecked = [], 0
    for m in giant:
        kept = [v for v in m if v not in dup_of]
        if len(kept) > config.max_component:
            unchecked += len(kept)
            continue
        pairs.extend(kept_pairs(kept, dict.fromkeys(kept, 0)))
    over = 0
    if pairs:
        a = np.array([p[0] for p in pairs], np.int64)
        b = np.array([p[1] for p in pairs], np.int64)
        over = int((verify(a, b) >= config.threshold).sum())
    stats["giant_kept_pairs_checked"] = len(pairs)
    stats["giant_kept_pairs_over_threshold"] = over
    stats["giant_kept_docs_unchecked"] = unchecked


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
