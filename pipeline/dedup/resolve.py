"""The resolve step of dedup as small typed steps, each filling its part of a ResolveStats:

    read_sketches -> rank -> exact_groups -> lsh_candidates -> Verifier -> complete_components
    -> keep_decision (keep.py) -> giant_guard -> duplicate_rows

The embedded engine runs them all (`resolve_all`); the Ray engine finds and verifies candidates
itself and runs the steps from `rank` on, over its verified edges (`cluster_edges`).
Everything after `rank` works in rank space: rank 0 is the document the keep policy prefers.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from pipeline.dedup import _kernels as K
from pipeline.dedup.cluster import DuplicateRow, KeepColumns, KeepInfo, rank_key
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.graph import UnionFind, similarity
from pipeline.dedup.keep import choose_kept, kept_pairs
from pipeline.dedup.lsh import BandStore, band_hashes, bucket_pairs, lsh_params, s_curve
from pipeline.dedup.sketch import Sketches, normalise

FetchTexts = Callable[[Sequence[str]], Mapping[str, str]]
KeepInfos = Mapping[str, KeepInfo] | KeepColumns  # by id, or as columns (big runs: compact)


@dataclass
class ResolveStats:
    """What the resolve step did, for manifest.json (`to_dict`)."""

    docs: int = 0
    exact_duplicates: int = 0
    band_store_spilled: bool = False
    band_store_spilled_mb: float = 0.0
    candidate_pairs: int = 0
    seconds_candidates: float = 0.0
    verified_pairs: int = 0
    rejected_candidates: int = 0
    components: int = 0
    largest_component: int = 0
    giant_components_split: int = 0
    giant_component_sizes: list[int] = field(default_factory=list)
    completion_pairs_checked: int = 0
    completion_pairs_verified: int = 0
    texts_fetched: int = 0
    seconds_verify: float = 0.0
    # clusters whose kept star centre (keep_rule "coverage") is not the policy's favourite
    centre_not_policy_best: int = 0
    # giant components: kept member pairs verified afterwards, those >= threshold, and kept
    # members left unchecked (more than max_component of them in one component)
    giant_kept_pairs_checked: int = 0
    giant_kept_pairs_over_threshold: int = 0
    giant_kept_docs_unchecked: int = 0
    near_duplicates: int = 0
    removed: int = 0
    clusters: int = 0
    peak_rss_mb_after: dict[str, float] = field(default_factory=dict)

    def peak(self, step: str) -> None:
        self.peak_rss_mb_after[step] = _peak_rss_mb()

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Arrivals:
    """Every sketched document in arrival order: ids, exact hashes, shingle counts, signatures
    (a memory-mapped file) and the band hashes (a spillable store)."""

    ids: list[str]
    exact: np.ndarray
    n_shingles: np.ndarray
    signatures: np.ndarray
    store: BandStore | None = None


@dataclass(frozen=True)
class Ranks:
    """The keep policy's order: `order[rank]` is an arrival index, `rank_of[arrival]` its rank."""

    order: np.ndarray
    rank_of: np.ndarray

    def arrival(self, rank: int) -> int:
        return int(self.order[rank])


@dataclass(frozen=True)
class ExactGroups:
    """`rep[rank]`: the rank of the representative of the document's normalised-text group."""

    rep: np.ndarray

    @property
    def is_rep(self) -> np.ndarray:
        return self.rep == np.arange(self.rep.size)


@dataclass
class Edges:
    """Verified pairs in rank space (lo < hi) with their similarity."""

    lo: np.ndarray
    hi: np.ndarray
    sim: np.ndarray

    def keep(self, mask: np.ndarray) -> "Edges":
        return Edges(self.lo[mask], self.hi[mask], self.sim[mask])


def read_sketches(sketches: Iterable[Sketches], bands: int, rows: int, budget: int, tmp: str) -> Arrivals:
    """Stream the sketches once: ids, exact hashes, band hashes (spilled above `budget` bytes)
    and the signatures to a file under `tmp`."""
    ids: list[str] = []
    exact_parts, nsh_parts = [], []
    store = BandStore(bands, budget, tmp)
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
    if n == 0:
        return Arrivals([], np.empty(0, np.uint64), np.empty(0, np.int64), np.empty((0, 0), np.uint32), store)
    _check_unique(ids)
    sigs = np.memmap(sig_path, dtype=np.uint32, mode="r", shape=(n, num_perm))
    return Arrivals(ids, np.concatenate(exact_parts), np.concatenate(nsh_parts), sigs, store)


def _check_unique(ids: list[str]) -> None:
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise ValueError(f"document id {dup!r} appears more than once")


def rank(ids: Sequence[str], keep_info: KeepInfos, config: DedupConfig) -> Ranks:
    """Keep ranks by the keep policy (0 = best)."""
    if isinstance(keep_info, KeepColumns):
        order_arr = keep_info.order(ids, config)
    else:
        key = rank_key(config)
        try:
            order = sorted(range(len(ids)), key=lambda a: key(ids[a], keep_info[ids[a]]))
        except KeyError as exc:
            raise ValueError(f"no keep info for document {exc.args[0]!r}") from None
        order_arr = np.array(order, dtype=np.int64)
    rank_of = np.empty(len(ids), dtype=np.int64)
    rank_of[order_arr] = np.arange(len(ids))
    return Ranks(order_arr, rank_of)


def exact_groups(exact: np.ndarray, ranks: Ranks, enabled: bool) -> ExactGroups:
    """Exact duplicates: the representative of each normalised-text group is its best rank."""
    n = ranks.order.size
    rep = np.arange(n)
    if enabled:
        ex_r = exact[ranks.order]
        o = np.lexsort((np.arange(n), ex_r))
        sorted_ex = ex_r[o]
        first = np.r_[True, sorted_ex[1:] != sorted_ex[:-1]]
        rep[o] = o[np.maximum.accumulate(np.where(first, np.arange(n), 0))]
    return ExactGroups(rep)


def usable(arrivals: Arrivals, ranks: Ranks, groups: ExactGroups) -> np.ndarray:
    """Ranks that take part in near-duplicate search: representatives with shingles."""
    ok = np.zeros(ranks.order.size, bool)
    ok[ranks.rank_of] = arrivals.n_shingles != 0
    return ok & groups.is_rep


def lsh_candidates(store: BandStore, ranks: Ranks, ok: np.ndarray, max_bucket: int, stats: ResolveStats) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (lo < hi ranks) sharing a band hash, among the usable ranks."""
    t0 = time.perf_counter()
    pair_parts: list[np.ndarray] = []
    pending = 0
    for h, idx in store.groups():
        r = ranks.rank_of[idx.astype(np.int64)]
        keep = ok[r]
        pairs = bucket_pairs(h[keep], r[keep], max_bucket)
        if pairs.size:
            pair_parts.append(pairs)
            pending += pairs.size
            if pending > 4_000_000:
                pair_parts = [np.unique(np.concatenate(pair_parts))]
                pending = pair_parts[0].size
    stats.band_store_spilled = store.spilled
    stats.band_store_spilled_mb = round(store.spill_bytes / 2**20, 3)
    cand = np.unique(np.concatenate(pair_parts)) if pair_parts else np.empty(0, np.uint64)
    stats.candidate_pairs = int(cand.size)
    stats.seconds_candidates = round(time.perf_counter() - t0, 3)
    return (cand >> np.uint64(32)).astype(np.int64), (cand & np.uint64(0xFFFFFFFF)).astype(np.int64)


class Verifier:
    """Exact similarity of rank pairs on their shingle sets, texts fetched in large batches."""

    def __init__(self, ids: Sequence[str], ranks: Ranks, fetch_texts: FetchTexts, config: DedupConfig) -> None:
        self.ids, self.ranks, self.fetch_texts, self.config = ids, ranks, fetch_texts, config
        self.fetched = 0

    def __call__(self, lo_all: np.ndarray, hi_all: np.ndarray) -> np.ndarray:
        # chunks follow input order (arrival index of the first doc) so that each fetch_texts
        # call touches as few input shards as possible; results are scattered back
        order_arr, config = self.ranks.order, self.config
        perm = np.argsort(order_arr[lo_all], kind="stable")
        lo, hi = lo_all[perm], hi_all[perm]
        sims = np.empty(lo.size, dtype=np.float64)
        step = max(1, config.verify_docs // 2)
        for s0 in range(0, lo.size, step):
            l, h_ = lo[s0 : s0 + step], hi[s0 : s0 + step]
            docs = np.unique(np.concatenate([l, h_]))
            values, voffs = self._shingle_sets([self.ids[a] for a in order_arr[docs].tolist()])
            li, hj = np.searchsorted(docs, l), np.searchsorted(docs, h_)
            inter = K.intersections(values, voffs, li, hj)
            sizes = np.diff(voffs)
            sims[s0 : s0 + step] = similarity(inter, sizes[li], sizes[hj], config.similarity)
        out = np.empty_like(sims)
        out[perm] = sims
        return out

    def _shingle_sets(self, want: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The shingle sets of these documents, concatenated, with offsets."""
        texts = self.fetch_texts(want)
        self.fetched += len(want)
        # shingle sets built 2,000 texts at a time so the transient copies stay small
        vparts, sizes = [], []
        for w0 in range(0, len(want), 2000):
            try:
                sub = [texts[i] for i in want[w0 : w0 + 2000]]
            except KeyError as exc:
                raise ValueError(f"fetch_texts returned no text for {exc.args[0]!r}") from None
            hs, offs = K.batch_shingle_hashes(K.batch_normalise(sub, normalise), self.config.shingle_size, self.config.shingle == "char")
            v, vo = K.unique_sets(hs, offs)
            vparts.append(v)
            sizes.append(np.diff(vo))
        values = np.concatenate(vparts) if vparts else np.empty(0, np.uint64)
        voffs = np.zeros(len(want) + 1, np.int64)
        if sizes:
            np.cumsum(np.concatenate(sizes), out=voffs[1:])
        return values, voffs


def verify_candidates(lo: np.ndarray, hi: np.ndarray, verify: Verifier, threshold: float, stats: ResolveStats) -> Edges:
    """The candidate pairs whose exact similarity reaches the threshold."""
    sim = verify(lo, hi)
    ok = sim >= threshold
    stats.verified_pairs = int(ok.sum())
    stats.rejected_candidates = int((~ok).sum())
    return Edges(lo, hi, sim).keep(ok)


def complete_components(edges: Edges, verify: Verifier, config: DedupConfig, stats: ResolveStats) -> tuple[Edges, list[list[int]]]:
    """Components of verified pairs; small ones (3..max_component) get all member pairs
    verified, so the keep decision sees every edge. Giant ones are reported, not completed;
    returns the edges and the giant components' members (ranks)."""
    n = int(max(edges.lo.max(initial=-1), edges.hi.max(initial=-1))) + 1
    uf = UnionFind(n)
    for a, b in zip(edges.lo.tolist(), edges.hi.tolist()):
        uf.union(a, b)
    members: dict[int, list[int]] = {}
    for v in np.unique(np.concatenate([edges.lo, edges.hi])).tolist():
        members.setdefault(uf.find(v), []).append(v)
    sizes = sorted((len(m) for m in members.values()), reverse=True)
    giant = [m for m in members.values() if len(m) > config.max_component]
    stats.components = len(members)
    stats.largest_component = sizes[0] if sizes else 0
    stats.giant_components_split = len(giant)
    stats.giant_component_sizes = sorted((len(m) for m in giant), reverse=True)[:20]
    have = set(((edges.lo << 32) | edges.hi).tolist())
    xl, xh = [], []
    for m in members.values():
        if 3 <= len(m) <= config.max_component:
            m = sorted(m)
            for i in range(len(m)):
                for j in range(i + 1, len(m)):
                    if (m[i] << 32) | m[j] not in have:
                        xl.append(m[i])
                        xh.append(m[j])
    stats.completion_pairs_checked = len(xl)
    if not xl:
        return edges, giant
    xl_a, xh_a = np.array(xl, np.int64), np.array(xh, np.int64)
    xs = verify(xl_a, xh_a)
    ok = xs >= config.threshold
    stats.completion_pairs_verified = int(ok.sum())
    return Edges(np.r_[edges.lo, xl_a[ok]], np.r_[edges.hi, xh_a[ok]], np.r_[edges.sim, xs[ok]]), giant


def keep_decision(edges: Edges, config: DedupConfig, stats: ResolveStats) -> dict[int, tuple[int, float]]:
    """Clustering without chaining (pipeline.dedup.keep): per verified cluster the star centres
    by coverage (keep_rule "coverage", the keep rank breaks ties) or by keep rank alone
    ("policy"); a document is removed only next to a *kept* one. Returns removed rank ->
    (kept rank, similarity)."""
    kr = choose_kept(edges.lo.tolist(), edges.hi.tolist(), edges.sim.tolist(), config.keep_rule)
    stats.centre_not_policy_best = kr.centre_not_policy_best
    return kr.dup_of


def giant_guard(giant: list[list[int]], dup_of: Mapping[int, tuple[int, float]], verify: Verifier, config: DedupConfig,
                stats: ResolveStats) -> None:
    """Giant components were split on candidate edges only, so two kept members of one may be
    >= threshold of each other: verify their kept pairs (when there are at most max_component
    kept members) and count such pairs (manifest: dedup.giant_kept_pairs_*)."""
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
    stats.giant_kept_pairs_checked = len(pairs)
    stats.giant_kept_pairs_over_threshold = over
    stats.giant_kept_docs_unchecked = unchecked


def duplicate_rows(
    arrivals: Arrivals, ranks: Ranks, groups: ExactGroups, dup_of: dict[int, tuple[int, float]], config: DedupConfig, stats: ResolveStats
) -> list[DuplicateRow]:
    """One row per removed document: near duplicates, then the members of exact groups."""
    ids, order = arrivals.ids, ranks.order

    def est(a_rank: int, b_rank: int) -> float:
        x, y = arrivals.signatures[order[a_rank]], arrivals.signatures[order[b_rank]]
        j = float(np.mean(x == y))
        if config.similarity == "containment":
            na, nb = arrivals.n_shingles[order[a_rank]], arrivals.n_shingles[order[b_rank]]
            if na > 0 and nb > 0:
                return min(1.0, j * (na + nb) / (1 + j) / min(na, nb))
        return j

    out: list[DuplicateRow] = []
    for b, (a, s) in dup_of.items():
        ka = ids[order[a]]
        out.append(DuplicateRow(ids[order[b]], ka, ka, round(s, 6), round(est(a, b), 6), "near"))
    stats.near_duplicates = len(out)
    for r in np.flatnonzero(~groups.is_rep).tolist():
        rep = int(groups.rep[r])
        if rep in dup_of:  # its representative was removed as a near-duplicate: same set, same kept doc
            a, s = dup_of[rep]
            ka = ids[order[a]]
            out.append(DuplicateRow(ids[order[r]], ka, ka, round(s, 6), round(est(a, rep), 6), "near"))
        else:
            kr = ids[order[rep]]
            out.append(DuplicateRow(ids[order[r]], kr, kr, 1.0, 1.0, "exact"))
    out.sort(key=lambda r: (r.cluster_id, r.id))
    stats.removed = len(out)
    stats.clusters = len({r.cluster_id for r in out})
    return out


def resolve_all(
    sketches: Iterable[Sketches], keep_info: KeepInfos, fetch_texts: FetchTexts, config: DedupConfig,
    bands: int, rows: int, tmp: str, budget: int,
) -> tuple[list[DuplicateRow], ResolveStats]:
    """Every step, from the sketches: the embedded engine's global dedup."""
    stats = ResolveStats()
    arrivals = read_sketches(sketches, bands, rows, budget, tmp)
    stats.docs = len(arrivals.ids)
    if not arrivals.ids:
        return [], stats
    stats.peak("sketches")
    ranks = rank(arrivals.ids, keep_info, config)
    stats.peak("ranks")
    groups = exact_groups(arrivals.exact, ranks, config.exact)
    stats.exact_duplicates = int((~groups.is_rep).sum())
    assert arrivals.store is not None
    lo, hi = lsh_candidates(arrivals.store, ranks, usable(arrivals, ranks, groups), config.max_bucket, stats)
    arrivals.store = None  # band hashes are no longer needed (spill files were removed as read)
    stats.peak("candidates")
    t0 = time.perf_counter()
    verify = Verifier(arrivals.ids, ranks, fetch_texts, config)
    edges = verify_candidates(lo, hi, verify, config.threshold, stats)
    stats.peak("verify")
    edges, giant = complete_components(edges, verify, config, stats)
    stats.texts_fetched = verify.fetched
    stats.seconds_verify = round(time.perf_counter() - t0, 3)
    stats.peak("completion")
    dup_of = keep_decision(edges, config, stats)
    giant_guard(giant, dup_of, verify, config, stats)
    return duplicate_rows(arrivals, ranks, groups, dup_of, config, stats), stats


def cluster_edges(
    arrivals: Arrivals, keep_info: KeepInfos, a: np.ndarray, b: np.ndarray, sim: np.ndarray,
    fetch_texts: FetchTexts, config: DedupConfig, stats: ResolveStats | None = None,
) -> list[DuplicateRow]:
    """The steps from `rank` on, for documents whose candidates were verified elsewhere (Ray):
    `a`, `b` index `arrivals`, `sim` is their verified similarity (>= threshold). Edges that
    touch an exact duplicate's non-representative are dropped, as the embedded search never
    pairs those. `stats`, if given, receives what the steps counted."""
    stats = stats if stats is not None else ResolveStats()
    stats.docs = len(arrivals.ids)
    ranks = rank(arrivals.ids, keep_info, config)
    groups = exact_groups(arrivals.exact, ranks, config.exact)
    ra, rb = ranks.rank_of[a], ranks.rank_of[b]
    lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
    ok = usable(arrivals, ranks, groups)
    edges = Edges(lo, hi, np.asarray(sim, dtype=np.float64)).keep(ok[lo] & ok[hi])
    verify = Verifier(arrivals.ids, ranks, fetch_texts, config)
    edges, giant = complete_components(edges, verify, config, stats)
    dup_of = keep_decision(edges, config, stats)
    giant_guard(giant, dup_of, verify, config, stats)
    return duplicate_rows(arrivals, ranks, groups, dup_of, config, stats)


def find_duplicates(
    sketches: Iterable[Sketches],
    keep_info: KeepInfos,
    fetch_texts: Callable[[Sequence[str]], Mapping[str, str]],
    config: DedupConfig,
) -> list[DuplicateRow]:
    """Resolve all sketches into duplicate rows (one per removed document)."""
    return find_duplicates_with_stats(sketches, keep_info, fetch_texts, config)[0]


def find_duplicates_with_stats(
    sketches: Iterable[Sketches],
    keep_info: KeepInfos,
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
        rows_out, steps = resolve_all(sketches, keep_info, fetch_texts, config, bands, rows, tmp, budget)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    stats.update(steps.to_dict())
    stats["seconds"] = round(time.perf_counter() - t_start, 3)
    return rows_out, stats


def _peak_rss_mb() -> float:
    try:
        import resource

        r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(r / (1024 * 1024) if sys.platform == "darwin" else r / 1024, 1)
    except Exception:  # noqa: BLE001 - not available on every platform
        return -1.0
