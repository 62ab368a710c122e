"""The resolve steps of dedup checked against independent answers: the manifest's statistics
against a brute-force reference (Python sets of shingles, equal band hashes, breadth-first
components), the duplicate rows of clusters whose answer is known by construction, the band
store's spilled contents, the completion of small components and the verifier against set
arithmetic done here. Nothing on the expected side calls pipeline/dedup/{graph,cluster,resolve}.py."""

from __future__ import annotations

import itertools
import json
import math
import random
import resource
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from pipeline.dedup import DedupConfig, KeepInfo, find_duplicates, find_duplicates_with_stats, normalise, shingles, sketch
from pipeline.dedup.cluster import DuplicateRow, jaccard, rows_to_table
from pipeline.dedup.graph import UnionFind, connected_components
from pipeline.dedup.lsh import band_hashes, lsh_params
from pipeline.dedup.resolve import (Arrivals, Edges, Ranks, ResolveStats, Verifier, cluster_edges, complete_components, exact_groups,
                                    read_sketches)
from pipeline.dedup.sketch import Sketches

FIX = Path(__file__).parent / "fixtures" / "dedup"
ARTICLES = [json.loads(line)["text"] for line in (FIX / "wikinews_sample.jsonl").read_text(encoding="utf-8").splitlines()]


# ----------------------------------------------------------------------------- the reference
def py_sim(a: str, b: str, cfg: DedupConfig) -> float:
    """Similarity of two texts from Python sets of their shingles."""
    sa, sb = set(shingles(a, cfg)), set(shingles(b, cfg))
    if cfg.similarity == "containment":
        den = min(len(sa), len(sb))
    else:
        den = len(sa | sb)
    return len(sa & sb) / den if den else 1.0


def bfs_components(nodes, edges) -> list[set]:
    adj = {v: set() for v in nodes}
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    seen, comps = set(), []
    for v in nodes:
        if v in seen:
            continue
        comp, todo = set(), [v]
        while todo:
            x = todo.pop()
            if x not in comp:
                comp.add(x)
                todo.extend(adj[x] - comp)
        seen |= comp
        comps.append(comp)
    return comps


def reference_stats(docs: dict[str, str], cfg: DedupConfig) -> dict:
    """What resolve must count, from first principles: exact groups by normalised text, LSH
    candidates as pairs of group representatives with shingles that share a band hash (every
    bucket here is below max_bucket), verification with Python sets, components by BFS, and the
    pairs completion must check in components of 3..max_component members."""
    ids = list(docs)
    by_norm: dict[str, list[str]] = {}
    for i in ids:
        by_norm.setdefault(normalise(docs[i]), []).append(i)
    reps = [g[0] for g in by_norm.values() if shingles(docs[g[0]], cfg)]
    bands, rows = lsh_params(cfg)
    sk = sketch([(i, docs[i]) for i in reps], cfg)
    bh = band_hashes(sk.signatures, bands, rows)
    cand = {(reps[x], reps[y]) for x, y in itertools.combinations(range(len(reps)), 2) if (bh[x] == bh[y]).any()}
    sims = {p: py_sim(docs[p[0]], docs[p[1]], cfg) for p in cand}
    verified = {p for p, s in sims.items() if s >= cfg.threshold}
    nodes = sorted({v for p in verified for v in p})
    comps = bfs_components(nodes, verified)
    have = {frozenset(p) for p in verified}
    extra = [frozenset(p) for c in comps if 3 <= len(c) <= cfg.max_component for p in itertools.combinations(sorted(c), 2)
             if frozenset(p) not in have]
    giant = [c for c in comps if len(c) > cfg.max_component]
    return {
        "docs": len(ids),
        "exact_duplicates": len(ids) - len(by_norm),
        "candidate_pairs": len(cand),
        "verified_pairs": len(verified),
        "rejected_candidates": len(cand) - len(verified),
        "components": len(comps),
        "largest_component": max((len(c) for c in comps), default=0),
        "giant_components_split": len(giant),
        "giant_component_sizes": sorted((len(c) for c in giant), reverse=True),
        "completion_pairs_checked": len(extra),
        "completion_pairs_verified": sum(py_sim(*(docs[v] for v in p), cfg) >= cfg.threshold for p in extra),
        "_giant": giant,
        # texts the verifier fetches: every document of a candidate pair, then of a pair completed
        "_fetched": len({v for p in cand for v in p}) + len({v for p in extra for v in p}),
    }


def substitute(text: str, pos: int, word: str) -> str:
    words = text.split(" ")
    words[pos] = word
    return " ".join(words)


def clusters_corpus() -> tuple[dict[str, str], list[list[str]]]:
    """Near-copy clusters whose members are all pairwise above 0.8 (one word changed per copy),
    exact copies, singletons, shingle-less texts; returns the texts and the near clusters."""
    a = ARTICLES
    docs = {
        # the near copy is longest: kept; c0 goes as its near duplicate, and c0-x (c0's exact copy) with it
        "c0": a[0], "c0-n1": substitute(substitute(substitute(a[0], 50, "xylophonically"), 120, "xylophonically"), 200, "xylophonically"),
        "c0-x": a[0].upper(),
        "c1": a[1], "c1-n1": substitute(a[1], 40, "a"), "c1-n2": substitute(a[1], 120, "I"), "c1-x": a[1].upper(),
        "c2": a[2], "c2-x": a[2].replace(".", " ."),
        "e1": "", "e2": "?!",  # no shingles: exact duplicates of each other, never near ones
        "t1": "Breaking news today",
    }
    docs.update({f"s{k}": a[k] for k in range(3, 9)})
    return docs, [["c0", "c0-n1", "c0-x"], ["c1", "c1-n1", "c1-n2", "c1-x"]]


def expected_rows(docs: dict[str, str], clusters: list[list[str]], cfg: DedupConfig, sk: Sketches) -> list[DuplicateRow]:
    """The rows for a corpus whose near clusters are cliques (so any keep rule keeps the
    policy's favourite, here the longest text, ties to the smallest id)."""
    best = lambda ids: min(ids, key=lambda i: (-len(docs[i]), i))  # noqa: E731
    pos = {i: k for k, i in enumerate(sk.ids)}
    agree = lambda x, y: round(float(np.mean(sk.signatures[pos[x]] == sk.signatures[pos[y]])), 6)  # noqa: E731
    rep_of = {}
    for i in docs:
        group = [j for j in docs if normalise(docs[j]) == normalise(docs[i])]
        rep_of[i] = best(group)
    rows = []
    in_cluster = set()
    for c in clusters:
        kept = best(c)
        in_cluster |= set(c)
        for m in c:
            if m == kept:
                continue
            r = rep_of[m]
            if r == kept:
                rows.append(DuplicateRow(m, kept, kept, 1.0, 1.0, "exact"))
            else:
                rows.append(DuplicateRow(m, kept, kept, round(py_sim(docs[r], docs[kept], cfg), 6), agree(kept, r), "near"))
    for i in docs:
        if i not in in_cluster and rep_of[i] != i:
            rows.append(DuplicateRow(i, rep_of[i], rep_of[i], 1.0, 1.0, "exact"))
    return sorted(rows, key=lambda r: (r.cluster_id, r.id))


def _check_corpus(docs, clusters, cfg):
    """Preconditions of the corpus, checked here so the expected answer is known."""
    member = {m: k for k, c in enumerate(clusters) for m in c}
    for x, y in itertools.combinations(docs, 2):
        same = x in member and member.get(x) == member.get(y)
        if normalise(docs[x]) != normalise(docs[y]):
            assert (py_sim(docs[x], docs[y], cfg) >= cfg.threshold) == same, (x, y)


def _fetcher(docs, log=None):
    def fetch(ids):
        if log is not None:
            log.extend(ids)
        return {i: docs[i] for i in ids}
    return fetch


@pytest.mark.parametrize("keep_rule", ["coverage", "policy"])
def test_duplicate_rows_of_known_clusters(keep_rule):
    cfg = DedupConfig(keep_rule=keep_rule)
    docs, clusters = clusters_corpus()
    _check_corpus(docs, clusters, cfg)
    items = list(docs.items())
    keep = {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(items)}
    want = expected_rows(docs, clusters, cfg, sketch(items, cfg))
    assert {r.kind for r in want} == {"near", "exact"} and any(r.id == "c0-x" and r.kind == "near" for r in want)
    got = find_duplicates([sketch(items[s : s + 5], cfg) for s in range(0, len(items), 5)], keep, _fetcher(docs), cfg)
    assert got == want


def test_cluster_edges_gives_the_brute_force_rows():
    """The Ray engine's resolve (over edges it verified itself) on the same known clusters:
    edges from Python sets, including those of exact copies (which it must drop)."""
    cfg = DedupConfig()
    docs, clusters = clusters_corpus()
    items = list(docs.items())
    random.Random(4).shuffle(items)
    keep = {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(items)}
    sk = sketch(items, cfg)
    arrivals = Arrivals(sk.ids, sk.exact, np.asarray(sk.n_shingles, np.int64), sk.signatures)
    pairs = [(x, y, py_sim(items[x][1], items[y][1], cfg)) for x, y in itertools.combinations(range(len(items)), 2)]
    a, b, s = (np.array(col) for col in zip(*[p for p in pairs if p[2] >= cfg.threshold]))
    stats = ResolveStats()
    got = cluster_edges(arrivals, keep, a.astype(np.int64), b.astype(np.int64), s, _fetcher(docs), cfg, stats)
    assert got == expected_rows(docs, clusters, cfg, sk)
    assert cluster_edges(arrivals, keep, a.astype(np.int64), b.astype(np.int64), s, _fetcher(docs), cfg) == got  # stats optional
    assert stats.docs == len(docs) and stats.removed == len(got) and stats.components == 2 and stats.largest_component == 3


def test_cluster_edges_splits_a_giant_component_and_checks_its_kept_pairs():
    """Ray's resolve over a chain of overlapping windows longer than max_component: every removed
    document names a kept one it is verified-similar to, and the giant guard verifies the kept
    members' pairs (counted as for the embedded resolve)."""
    words = " ".join(ARTICLES).split()
    docs = {f"d{i:02d}": " ".join(words[i * 15 : i * 15 + 400]) for i in range(12)}
    cfg = DedupConfig(max_component=10)
    items = list(docs.items())
    keep = {i: KeepInfo(1, 0) for i in docs}
    sk = sketch(items, cfg)
    arrivals = Arrivals(sk.ids, sk.exact, np.asarray(sk.n_shingles, np.int64), sk.signatures)
    sims = {(x, y): py_sim(items[x][1], items[y][1], cfg) for x, y in itertools.combinations(range(len(items)), 2)}
    a, b, s = (np.array(col) for col in zip(*[(x, y, v) for (x, y), v in sims.items() if v >= cfg.threshold]))
    stats = ResolveStats()
    rows = cluster_edges(arrivals, keep, a, b, s, _fetcher(docs), cfg, stats)
    kept = sorted(set(docs) - {r.id for r in rows})
    assert len(kept) >= 2 and all(r.duplicate_of in kept for r in rows)
    for r in rows:
        assert r.similarity == round(py_sim(docs[r.id], docs[r.duplicate_of], cfg), 6) >= cfg.threshold
    pairs = list(itertools.combinations(kept, 2))
    over = sum(py_sim(docs[x], docs[y], cfg) >= cfg.threshold for x, y in pairs)
    assert (stats.giant_components_split, stats.giant_component_sizes, stats.largest_component) == (1, [12], 12)
    assert (stats.giant_kept_pairs_checked, stats.giant_kept_pairs_over_threshold, stats.giant_kept_docs_unchecked) == (len(pairs), over, 0)


def test_cluster_edges_completes_components_given_a_spanning_chain():
    """Ray may verify only some pairs of a component (its candidates): cluster_edges verifies the
    missing pairs of components of 3..max_component members itself."""
    words = " ".join(ARTICLES).split()
    docs = {f"w{i}": " ".join(words[i * 20 : i * 20 + 400]) for i in range(5)}
    cfg = DedupConfig(threshold=0.7)
    items = list(docs.items())
    sims = {(x, y): py_sim(items[x][1], items[y][1], cfg) for x, y in itertools.combinations(range(len(items)), 2)}
    chain = [(k, k + 1) for k in range(4)]
    assert all(sims[e] >= cfg.threshold for e in chain)
    missing = [e for e in sims if e not in chain]
    sk = sketch(items, cfg)
    arrivals = Arrivals(sk.ids, sk.exact, np.asarray(sk.n_shingles, np.int64), sk.signatures)
    stats, log = ResolveStats(), []
    rows = cluster_edges(arrivals, {i: KeepInfo(1, 0) for i in docs}, np.array([e[0] for e in chain]), np.array([e[1] for e in chain]),
                         np.array([sims[e] for e in chain]), _fetcher(docs, log), cfg, stats)
    assert (stats.completion_pairs_checked, stats.completion_pairs_verified) == (len(missing), sum(sims[e] >= cfg.threshold for e in missing))
    assert 0 < stats.completion_pairs_verified < len(missing) and sorted(set(log)) == sorted(docs)
    kept = set(docs) - {r.id for r in rows}
    for r in rows:
        assert r.duplicate_of in kept and r.similarity == round(py_sim(docs[r.id], docs[r.duplicate_of], cfg), 6) >= cfg.threshold


def test_a_pair_exactly_at_the_threshold_is_a_duplicate():
    """The threshold is the similarity a document must reach: 8 shared words of 10 is 0.8."""
    a = "one two three four five six seven eight nine"
    b = "one two three four five six seven eight ten"
    cfg = DedupConfig(shingle_size=1, bands=64, rows=2)
    assert py_sim(a, b, cfg) == 0.8 == cfg.threshold
    docs = {"a": a, "b": b}
    rows, st, _ = _check_stats(docs, cfg)
    assert [(r.id, r.duplicate_of, r.similarity) for r in rows] == [("b", "a", 0.8)]


def test_scratch_files_live_in_the_configured_tmp_dir_and_are_removed(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    docs, _ = clusters_corpus()
    cfg = DedupConfig(tmp_dir=str(scratch))
    seen = []

    def fetch(ids):
        seen.append(sorted(p.name for p in scratch.iterdir()))  # while resolve runs
        return {i: docs[i] for i in ids}

    items = list(docs.items())
    rows, st = find_duplicates_with_stats([sketch(items, cfg)], {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(items)}, fetch, cfg,
                                          memory_bytes=1)
    assert rows and st["band_store_spilled"] is True
    assert seen and all(len(names) == 1 and names[0].startswith("dedup-") for names in seen)
    assert list(scratch.iterdir()) == []


# ----------------------------------------------------------------------------- manifest statistics
STAT_KEYS = set(ResolveStats().to_dict()) | {"threshold", "similarity", "shingle", "num_perm", "bands", "rows", "lsh_threshold",
                                              "s_curve_at_threshold", "s_curve_at_threshold_minus_0.1", "seconds"}


def _check_stats(docs: dict[str, str], cfg: DedupConfig, batch: int = 6, memory_bytes=None):
    items = list(docs.items())
    keep = {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(items)}
    fetched: list[str] = []
    mb_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    rows, st = find_duplicates_with_stats([sketch(items[s : s + batch], cfg) for s in range(0, len(items), batch)], keep,
                                          _fetcher(docs, fetched), cfg, memory_bytes=memory_bytes)
    elapsed = time.perf_counter() - t0
    mb_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ref = reference_stats(docs, cfg)
    assert set(st) == STAT_KEYS
    for k, v in ref.items():
        if not k.startswith("_"):
            assert st[k] == v, (k, st[k], v)
    # the rows' own account
    assert st["removed"] == len(rows) and st["near_duplicates"] == len(rows) - ref["exact_duplicates"]
    assert st["clusters"] == len({r.duplicate_of for r in rows})
    # giant components: the pairs of their kept members are verified when there are at most
    # max_component kept members, else those members are counted as unchecked
    pairs, unchecked = [], 0
    for comp in ref["_giant"]:
        kept = sorted(comp - {r.id for r in rows})
        if len(kept) > cfg.max_component:
            unchecked += len(kept)
        else:
            pairs += itertools.combinations(kept, 2)
    over = sum(py_sim(docs[x], docs[y], cfg) >= cfg.threshold for x, y in pairs)
    assert (st["giant_kept_pairs_checked"], st["giant_kept_pairs_over_threshold"], st["giant_kept_docs_unchecked"]) == (len(pairs), over, unchecked)
    assert st["texts_fetched"] == ref["_fetched"]
    assert len(fetched) == ref["_fetched"] + len({v for p in pairs for v in p})  # the guard fetches after the count
    # the LSH parameters, recomputed
    bands, rows_per_band = lsh_params(cfg)
    t = cfg.lsh_threshold or cfg.threshold
    assert (st["threshold"], st["similarity"], st["shingle"], st["num_perm"]) == (cfg.threshold, cfg.similarity,
                                                                                 f"{cfg.shingle}-{cfg.shingle_size}", cfg.num_perm)
    assert (st["bands"], st["rows"], st["lsh_threshold"]) == (bands, rows_per_band, t)
    assert st["s_curve_at_threshold"] == round(1 - (1 - t**rows_per_band) ** bands, 6)
    assert st["s_curve_at_threshold_minus_0.1"] == round(1 - (1 - (t - 0.1) ** rows_per_band) ** bands, 6)
    # timings: seconds to the millisecond, each step within the whole, the whole within the call
    for k in ("seconds", "seconds_candidates", "seconds_verify"):
        assert isinstance(st[k], float) and 0 <= st[k] == round(st[k], 3), k
    assert st["seconds_candidates"] + st["seconds_verify"] <= st["seconds"] + 0.002 and st["seconds"] <= elapsed + 0.001
    # peak memory after each step: the process's peak RSS in MB, never decreasing
    peaks = st["peak_rss_mb_after"]
    assert list(peaks) == ["sketches", "ranks", "candidates", "verify", "completion"]
    assert list(peaks.values()) == sorted(peaks.values()) and all(v == round(v, 1) for v in peaks.values())
    assert mb_before - 0.05 <= peaks["sketches"] and peaks["completion"] <= mb_after + 0.05
    return rows, st, ref


def test_manifest_statistics_of_known_clusters_match_a_brute_force_count():
    docs, _ = clusters_corpus()
    rows, st, _ = _check_stats(docs, DedupConfig())
    assert st["verified_pairs"] == 4 and st["completion_pairs_checked"] == 0  # c1 and two copies: all candidates
    assert (st["band_store_spilled"], st["band_store_spilled_mb"], st["centre_not_policy_best"]) == (False, 0.0, 0)
    assert (st["giant_kept_pairs_checked"], st["giant_kept_pairs_over_threshold"], st["giant_kept_docs_unchecked"]) == (0, 0, 0)


def test_manifest_statistics_with_candidates_below_threshold_and_completion():
    """Loose LSH (many candidates verified away) and windows of one text, so that components of
    three or more get their missing pairs completed."""
    words = " ".join(ARTICLES).split()
    docs = {f"w{i}": " ".join(words[i * 40 : i * 40 + 400]) for i in range(6)}
    docs.update({f"s{k}": ARTICLES[k] for k in range(10, 16)})
    cfg = DedupConfig(bands=64, rows=2, threshold=0.7)
    _, st, ref = _check_stats(docs, cfg)
    assert st["rejected_candidates"] > 0 and ref["completion_pairs_checked"] > 0


@pytest.mark.parametrize("max_component, unchecked", [(3, True), (4, False), (10, False)])
def test_giant_components_are_split_and_their_kept_pairs_counted(max_component, unchecked):
    """A chain of overlapping windows is one component larger than max_component: reported,
    split on candidate edges, and its kept members' pairs verified (when at most max_component
    of them) or counted as unchecked."""
    words = " ".join(ARTICLES).split()
    docs = {f"d{i:02d}": " ".join(words[i * 15 : i * 15 + 400]) for i in range(12)}
    cfg = DedupConfig(max_component=max_component)
    rows, st, ref = _check_stats(docs, cfg)
    (comp,) = ref["_giant"]
    assert st["giant_components_split"] == 1 and st["giant_component_sizes"] == [12]
    kept = comp - {r.id for r in rows}
    assert len(kept) >= 2  # split, not merged into one cluster
    if unchecked:
        assert st["giant_kept_docs_unchecked"] == len(kept) > max_component
    else:
        assert st["giant_kept_pairs_checked"] == math.comb(len(kept), 2) > 0 and st["giant_kept_docs_unchecked"] == 0


def test_two_giant_components_count_their_unchecked_kept_members_together():
    words = " ".join(ARTICLES).split()
    docs = {f"d{i:02d}": " ".join(words[i * 15 : i * 15 + 400]) for i in range(12)}
    docs.update({f"e{i:02d}": " ".join(words[3000 + i * 15 : 3000 + i * 15 + 400]) for i in range(12)})
    rows, st, ref = _check_stats(docs, DedupConfig(max_component=2))  # both keep more than 2: unchecked
    assert st["giant_component_sizes"] == [12, 12] and st["giant_kept_docs_unchecked"] == len(docs) - len(rows) > 6


def test_spilled_band_store_reports_its_size_and_gives_the_same_rows():
    docs, _ = clusters_corpus()
    cfg = DedupConfig()
    rows, st, _ = _check_stats(docs, cfg)
    spilled_rows, spilled, _ = _check_stats(docs, cfg, memory_bytes=1)
    bands, _ = lsh_params(cfg)
    # every document's band hash is written once per band: 8-byte hash + 4-byte index
    assert spilled["band_store_spilled"] is True and spilled["band_store_spilled_mb"] == round(len(docs) * bands * 12 / 2**20, 3)
    assert spilled_rows == rows


def test_no_documents_and_no_duplicates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing is written to the working folder
    cfg = DedupConfig()
    rows, st = find_duplicates_with_stats([], {}, _fetcher({}), cfg)
    assert rows == [] and st["docs"] == 0 and st["candidate_pairs"] == 0 and st["peak_rss_mb_after"] == {}
    docs = {f"s{k}": ARTICLES[k] for k in range(5)}
    rows, st, _ = _check_stats(docs, cfg)
    assert rows == [] and st["removed"] == st["clusters"] == st["components"] == 0
    assert list(tmp_path.iterdir()) == []


def test_exact_off_finds_copies_as_near_duplicates_but_never_pairs_texts_without_shingles():
    """With exact dedup off, a copy is a near duplicate (similarity 1.0), also when its one
    shingle is the whole text; texts without any shingle are never near duplicates."""
    docs = {"a": ARTICLES[0], "b": ARTICLES[0].upper(), "c": ARTICLES[1], "s1": "Breaking news today", "s2": "BREAKING news today!",
            "e1": "", "e2": "?!"}
    cfg = DedupConfig(exact=False)
    assert len(shingles(docs["s1"], cfg)) == 1 and shingles(docs["e2"], cfg) == []
    items = list(docs.items())
    rows = find_duplicates([sketch(items, cfg)], {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(items)}, _fetcher(docs), cfg)
    assert rows == [DuplicateRow("b", "a", "a", 1.0, 1.0, "near"), DuplicateRow("s1", "s2", "s2", 1.0, 1.0, "near")]


def test_exact_groups_point_to_their_best_ranked_member():
    exact = np.array([5, 5, 3, 3, 3, 9, 7], np.uint64)  # by arrival
    order = np.array([4, 0, 6, 2, 1, 5, 3])  # rank -> arrival
    ranks = Ranks(order, np.argsort(order))
    rep = exact_groups(exact, ranks, True).rep
    # reference: per rank, the best (smallest) rank with the same hash
    by_rank = exact[order]
    assert rep.tolist() == [min(r for r in range(7) if by_rank[r] == by_rank[k]) for k in range(7)] == [0, 1, 2, 0, 1, 5, 0]
    assert exact_groups(exact, ranks, False).rep.tolist() == list(range(7))


# ----------------------------------------------------------------------------- read_sketches and the band store
def test_read_sketches_keeps_every_batch_and_the_spilled_store_holds_every_band_hash(tmp_path):
    cfg = DedupConfig(num_perm=32)
    texts = [(f"x{k}", ARTICLES[k % len(ARTICLES)] + f" number {k}") for k in range(23)]
    batches = [sketch(texts[:5], cfg), sketch([], cfg), sketch(texts[5:6], cfg), sketch(texts[6:], cfg)]
    # signatures of another integer type (e.g. read by another tool) are the same values
    batches[2] = Sketches(batches[2].ids, batches[2].exact, batches[2].signatures.astype(np.int64), batches[2].n_shingles)
    whole = sketch(texts, cfg)
    bands, rows = 8, 4
    # 96 bytes per document here: budget 500 spills twice (after the third and the last batch)
    for budget, spilled in ((1 << 30, False), (1, True), (500, True)):
        work = tmp_path / f"b{budget}"
        work.mkdir()
        arr = read_sketches(iter(batches), bands, rows, budget, str(work))
        assert arr.ids == whole.ids
        assert arr.exact.dtype == np.uint64 and arr.exact.tolist() == whole.exact.tolist()
        assert arr.n_shingles.tolist() == whole.n_shingles.tolist()
        assert np.array_equal(np.asarray(arr.signatures), whole.signatures)
        assert arr.store.spilled is spilled
        got = sorted((int(h), int(i)) for hs, idx in arr.store.groups() for h, i in zip(hs.tolist(), idx.tolist()))
        bh = band_hashes(whole.signatures, bands, rows)
        assert got == sorted((int(bh[i, b]), i) for i in range(len(texts)) for b in range(bands))


def test_read_sketches_errors(tmp_path):
    cfg = DedupConfig(num_perm=32)
    good = sketch([("a", ARTICLES[0])], cfg)
    assert read_sketches(iter([]), 8, 4, 1 << 20, str(tmp_path)).ids == []
    with pytest.raises(ValueError, match=r"^signatures have 32 permutations, LSH needs 9x4$"):
        read_sketches(iter([good]), 9, 4, 1 << 20, str(tmp_path))
    other = sketch([("b", ARTICLES[1])], DedupConfig(num_perm=64))
    with pytest.raises(ValueError, match="^sketches with different numbers of permutations$"):
        read_sketches(iter([good, other]), 8, 4, 1 << 20, str(tmp_path))
    bad = Sketches(["a", "b"], good.exact, good.signatures, good.n_shingles)
    with pytest.raises(ValueError, match=r"^signatures of shape \(1, 32\) for 2 ids$"):
        read_sketches(iter([bad]), 8, 4, 1 << 20, str(tmp_path))
    flat = Sketches(["a"], good.exact, good.signatures[0], good.n_shingles)
    with pytest.raises(ValueError, match=r"^signatures of shape \(32,\) for 1 ids$"):
        read_sketches(iter([flat]), 8, 4, 1 << 20, str(tmp_path))
    with pytest.raises(ValueError, match="^document id 'c' appears more than once$"):  # the repeated one, not the first
        read_sketches(iter([good, sketch([("c", "x y"), ("d", "y z"), ("c", "z w")], cfg)]), 8, 4, 1 << 20, str(tmp_path))


# ----------------------------------------------------------------------------- verifier and completion
def _random_texts(n: int, seed: int, words: int = 12) -> dict[str, str]:
    rng = random.Random(seed)
    vocab = [f"v{i}" for i in range(30)] + ["Café", "ZÜRICH", "naïve", "ｆｕｌｌ"]
    base = [rng.choice(vocab) for _ in range(words)]
    out = {}
    for k in range(n):
        w = list(base)
        for _ in range(rng.randrange(4)):
            w[rng.randrange(words)] = rng.choice(vocab)
        out[f"t{k:05d}"] = " ".join(w if k % 7 else w[: rng.randrange(words)])
    return out


@pytest.mark.parametrize("similarity", ["jaccard", "containment"])
def test_verifier_equals_set_arithmetic_across_batches(similarity):
    cfg = DedupConfig(shingle_size=2, verify_docs=100, similarity=similarity)  # 50 pairs per fetch
    texts = _random_texts(300, seed=1)
    ids = list(texts)
    rng = np.random.default_rng(2)
    order = rng.permutation(len(ids))
    ranks = Ranks(order, np.argsort(order))
    lo = rng.integers(0, 150, 333)
    hi = rng.integers(150, 300, 333)
    calls: list[list[str]] = []
    v = Verifier(ids, ranks, lambda want: calls.append(list(want)) or {i: texts[i] for i in want}, cfg)
    got = v(lo, hi)
    want = [py_sim(texts[ids[order[a]]], texts[ids[order[b]]], cfg) for a, b in zip(lo, hi)]
    assert got.tolist() == pytest.approx(want, abs=1e-12)
    assert min(want) < 0.5 and max(want) == 1.0 and len(set(want)) > 10
    # fetching is I/O: pairs go in batches of verify_docs // 2, so a batch holds at most
    # verify_docs texts (the memory bound), each fetched once per batch
    assert len(calls) == math.ceil(333 / 50) and all(len(c) == len(set(c)) <= cfg.verify_docs for c in calls)
    assert v.fetched == sum(map(len, calls))


def test_verifier_over_more_than_two_thousand_texts_in_one_fetch():
    cfg = DedupConfig(shingle_size=1)
    texts = _random_texts(4600, seed=3, words=6)
    ids = list(texts)
    ident = np.arange(len(ids))
    v = Verifier(ids, Ranks(ident, ident), _fetcher(texts), cfg)
    lo, hi = np.arange(0, 4600, 2), np.arange(1, 4600, 2)
    got = v(lo, hi)
    assert got.tolist() == pytest.approx([py_sim(texts[ids[a]], texts[ids[b]], cfg) for a, b in zip(lo, hi)], abs=1e-12)
    assert v.fetched == 4600


def test_verifier_names_a_text_the_fetch_did_not_return():
    ids = ["a", "b"]
    v = Verifier(ids, Ranks(np.arange(2), np.arange(2)), lambda want: {"a": "x y z"}, DedupConfig())
    with pytest.raises(ValueError, match="fetch_texts returned no text for 'b'"):
        v(np.array([0]), np.array([1]))
    assert v(np.array([], np.int64), np.array([], np.int64)).size == 0


def _edges(pairs, texts, ids, cfg):
    lo = np.array([a for a, _ in pairs], np.int64)
    hi = np.array([b for _, b in pairs], np.int64)
    return Edges(lo, hi, np.array([py_sim(texts[ids[a]], texts[ids[b]], cfg) for a, b in pairs]))


def test_complete_components_checks_every_missing_pair_of_small_components():
    """Components of verified pairs: size 2 as given; size 3 (= max_component) completed with
    every missing pair, only those >= threshold added; size 4 (> max_component) reported as a
    giant, not completed."""
    cfg = DedupConfig(shingle_size=1, max_component=3, threshold=9 / 11)
    texts = {
        "p": "a b c d e f g h i j", "q": "a b c d e f g h i k",  # pair
        "x": "k l m n o p q r s t", "y": "k l m n o p q r s u", "z": "k l m n o p q r v u",  # x-y missing
        "f": "1 2 3 4 5", "g": "1 2 3 4 6", "h": "1 2 3 6 7",  # chain f-g-h, f-h below threshold
        "m1": "aa bb cc dd ee", "m2": "aa bb cc dd ff", "m3": "aa bb cc ff gg", "m4": "aa bb ff gg hh",  # giant of 4
    }
    ids = list(texts)
    r = {i: k for k, i in enumerate(ids)}
    sims = {(x, y): py_sim(texts[x], texts[y], cfg) for x, y in itertools.combinations(ids, 2)}
    # x-y (9 of 11 words) is exactly at the threshold and missing; f-h is below it
    assert sims[("x", "y")] == cfg.threshold > sims[("f", "h")]
    given = [(r["p"], r["q"]), (r["x"], r["z"]), (r["y"], r["z"]), (r["f"], r["g"]), (r["g"], r["h"]),
             (r["m1"], r["m2"]), (r["m2"], r["m3"]), (r["m3"], r["m4"])]
    ident = np.arange(len(ids))
    log: list[str] = []
    stats = ResolveStats()
    edges, giant = complete_components(_edges(given, texts, ids, cfg), Verifier(ids, Ranks(ident, ident), _fetcher(texts, log), cfg), cfg, stats)
    want = given + [(r["x"], r["y"])]
    assert sorted(zip(edges.lo.tolist(), edges.hi.tolist())) == sorted(want)
    assert dict(zip(zip(edges.lo.tolist(), edges.hi.tolist()), edges.sim.tolist())) == pytest.approx(
        {(a, b): sims[(ids[a], ids[b])] for a, b in want})
    assert [sorted(m) for m in giant] == [[r["m1"], r["m2"], r["m3"], r["m4"]]]
    assert (stats.components, stats.largest_component, stats.giant_components_split, stats.giant_component_sizes) == (4, 4, 1, [4])
    assert (stats.completion_pairs_checked, stats.completion_pairs_verified) == (2, 1)
    assert sorted(log) == ["f", "h", "x", "y"]

    stats = ResolveStats()
    none = Edges(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    edges, giant = complete_components(none, Verifier(ids, Ranks(ident, ident), _fetcher(texts), cfg), cfg, stats)
    assert edges.lo.size == 0 and giant == [] and (stats.components, stats.largest_component, stats.completion_pairs_checked) == (0, 0, 0)


def test_giant_component_sizes_listed_largest_first_at_most_twenty():
    cfg = DedupConfig(max_component=2)
    sizes = [3, 5, 4] + [3] * 20
    pairs, start = [], 0
    for s in sizes:  # stars: no pair needs completing, so the verifier is never asked
        pairs += [(start, start + k) for k in range(1, s)]
        start += s
    e = Edges(np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]), np.ones(len(pairs)))
    stats = ResolveStats()
    _, giant = complete_components(e, Verifier([], Ranks(np.arange(0), np.arange(0)), _fetcher({}), cfg), cfg, stats)
    assert stats.giant_component_sizes == [5, 4] + [3] * 18 and len(giant) == stats.giant_components_split == 23
    assert stats.largest_component == 5 and stats.components == 23


# ----------------------------------------------------------------------------- small pieces
def test_components_list_their_members_in_order():
    """Members ascending (the keep decision takes a component's first member as its best rank),
    components by their smallest member; here two interleaved chains, evens and odds."""
    a = np.arange(0, 98, dtype=np.int64)
    comps = connected_components(a, a + 2)
    assert [c.tolist() for c in comps] == [list(range(0, 100, 2)), list(range(1, 100, 2))]


def test_union_find_root_is_the_smallest_member():
    rng = random.Random(7)
    for n in (1, 2, 10, 200):
        uf = UnionFind(n)
        groups = [{i} for i in range(n)]  # reference: explicit sets
        for _ in range(n):
            a, b = rng.randrange(n), rng.randrange(n)
            uf.union(a, b)
            ga = next(g for g in groups if a in g)
            gb = next(g for g in groups if b in g)
            if ga is not gb:
                groups.remove(gb)
                ga |= gb
        for g in groups:
            assert {uf.find(x) for x in g} == {min(g)}


def test_jaccard_follows_the_configured_similarity():
    a, b = ARTICLES[0], " ".join(ARTICLES[0].split(" ")[:100])
    for sim in ("jaccard", "containment"):
        cfg = DedupConfig(similarity=sim)
        assert jaccard(a, b, cfg) == pytest.approx(py_sim(a, b, cfg), abs=1e-12)
    assert jaccard(a, b, DedupConfig(similarity="containment")) == 1.0 > jaccard(a, b, DedupConfig())


def test_empty_duplicates_table_keeps_its_types():
    t = rows_to_table([])
    assert t.schema == pa.schema([("id", pa.string()), ("duplicate_of", pa.string()), ("cluster_id", pa.string()),
                                  ("similarity", pa.float64()), ("estimated_similarity", pa.float64()), ("kind", pa.string())])
