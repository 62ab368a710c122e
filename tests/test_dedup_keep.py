"""Keep policy by coverage (pipeline/dedup/keep.py): property tests over random verified-edge
graphs and over random clusters of edited copies run through find_duplicates."""

from __future__ import annotations

import json
import random
from itertools import combinations
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.dedup import DedupConfig, KeepInfo, find_duplicates_with_stats, jaccard, sketch
from pipeline.dedup.keep import choose_kept

FIX = Path(__file__).parent / "fixtures" / "dedup"
ARTICLES = [json.loads(line) for line in (FIX / "wikinews_sample.jsonl").read_text(encoding="utf-8").splitlines()]
LONG = [d["text"] for d in ARTICLES if len(d["text"].split()) >= 150]


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 25))
    p = draw(st.floats(0.05, 0.9))
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    edges = [(a, b, round(rnd.uniform(0.8, 1.0), 4)) for a, b in combinations(range(n), 2) if rnd.random() < p]
    rnd.shuffle(edges)
    return n, edges


def _check_invariants(n, edges, res):
    es = {(min(a, b), max(a, b)): s for a, b, s in edges}
    removed = set(res.dup_of)
    assert res.kept.isdisjoint(removed)
    assert res.kept | removed == set(range(n))
    for v, (k, s) in res.dup_of.items():
        assert k in res.kept, "removed against a document that is itself removed"
        assert es[(min(v, k), max(v, k))] == s, "removed without a verified edge to its kept document"
    for a, b in combinations(sorted(res.kept), 2):
        assert (a, b) not in es, "two kept documents are verified-similar"


def _old_greedy(edges):
    """The pre-coverage rule: in rank order, removed next to the best-ranked kept neighbour."""
    dup_of = {}
    for a, b, s in sorted(((min(a, b), max(a, b), s) for a, b, s in edges), key=lambda e: (e[1], e[0])):
        if b in dup_of or a in dup_of:
            continue
        dup_of[b] = (a, s)
    return dup_of


@settings(max_examples=300, deadline=None, derandomize=True)
@given(graphs(), st.sampled_from(["coverage", "policy"]))
def test_random_graphs_keep_invariants(g, rule):
    n, edges = g
    res = choose_kept([e[0] for e in edges], [e[1] for e in edges], [e[2] for e in edges], rule, members=range(n))
    _check_invariants(n, edges, res)
    # order of the edge list never matters
    rev = edges[::-1]
    res2 = choose_kept([e[1] for e in rev], [e[0] for e in rev], [e[2] for e in rev], rule, members=range(n))
    assert res2.kept == res.kept and res2.dup_of == res.dup_of
    if rule == "policy":
        assert res.dup_of == _old_greedy(edges)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(graphs())
def test_coverage_first_centre_is_the_most_connected_member(g):
    n, edges = g
    if not edges:
        return
    deg = {v: 0 for v in range(n)}
    for a, b, _ in edges:
        deg[a] += 1
        deg[b] += 1
    res = choose_kept([e[0] for e in edges], [e[1] for e in edges], [e[2] for e in edges], "coverage", members=range(n))
    top = max(deg.values())
    centre = min(v for v in range(n) if deg[v] == top)  # ties: best rank (smallest)
    assert centre in res.kept
    assert all(v in res.dup_of and res.dup_of[v][0] == centre for v in range(n) if any(
        {a, b} == {v, centre} for a, b, _ in edges))


def test_source_with_copies_that_are_not_similar_to_each_other_keeps_the_source():
    # the case: c1 ~ s, c2 ~ s, c1 !~ c2; the policy prefers c1 (rank 0)
    c1, s, c2 = 0, 1, 2
    res = choose_kept([c1, s], [s, c2], [0.9, 0.9], "coverage")
    assert res.kept == {s} and res.dup_of == {c1: (s, 0.9), c2: (s, 0.9)}
    assert res.centre_not_policy_best == 1
    pol = choose_kept([c1, s], [s, c2], [0.9, 0.9], "policy")
    assert pol.kept == {c1, c2}  # the policy winning outright keeps two versions of the story


# ----------------------------------------------------------------------------- real texts
def _mutate(text: str, rnd: random.Random, strength: float) -> str:
    paras = [p for p in text.split("\n") if p.strip()]
    if len(paras) > 3 and rnd.random() < 0.5 * strength:
        del paras[rnd.randrange(1, len(paras))]
    if rnd.random() < 0.4:
        paras.insert(rnd.randrange(len(paras) + 1), rnd.choice(LONG).split("\n")[0][:200])
    words = "\n".join(paras).split(" ")
    for _ in range(int(len(words) * 0.04 * strength * rnd.random())):
        words[rnd.randrange(len(words))] = rnd.choice(["alpha", "beta", "gamma", "delta"])
    out = " ".join(words)
    if rnd.random() < 0.5:
        out += "\n\nCopyright 2024 Metro Wire. All rights reserved."
    return out


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2**32 - 1), st.sampled_from(["coverage", "policy"]), st.sampled_from([100, 3]))
def test_random_clusters_through_find_duplicates(seed, rule, max_component):
    rnd = random.Random(seed)
    docs: dict[str, str] = {}
    for c in range(rnd.randint(1, 3)):
        src = rnd.choice(LONG)
        docs[f"s{c}"] = src
        for k in range(rnd.randint(1, 5)):
            base = docs[rnd.choice([d for d in docs if d.startswith(f"s{c}") or d.startswith(f"c{c}")])]
            docs[f"c{c}-{k}"] = _mutate(base, rnd, rnd.random())
    cfg = DedupConfig(keep_rule=rule, max_component=max_component, keep=rnd.choice(["longest", "first_seen"]))
    items = list(docs.items())
    keep = {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(items)}
    rows, stats = find_duplicates_with_stats([sketch(items, cfg)], keep, lambda ids: {i: docs[i] for i in ids}, cfg)
    removed = {r.id: r for r in rows}
    kept = set(docs) - set(removed)
    for r in rows:
        assert r.duplicate_of in kept
        assert jaccard(docs[r.id], docs[r.duplicate_of], cfg) >= cfg.threshold
    over = sum(jaccard(docs[a], docs[b], cfg) >= cfg.threshold for a, b in combinations(sorted(kept), 2))
    if stats["giant_components_split"] == 0:
        assert over == 0
    else:  # the documented guard: such pairs only inside giant components, and counted
        assert over == stats["giant_kept_pairs_over_threshold"]
        assert stats["giant_kept_docs_unchecked"] == 0


def test_pipeline_dedup_cli_keep_rule(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from pipeline.cli.dedup import dedup_command

    words = " ".join(d["text"] for d in ARTICLES).split()
    docs = {c: " ".join(words[i * 40 : i * 40 + 400]) for i, c in enumerate("abc")}  # a~b, b~c, a!~c
    pq.write_table(pa.table({"id": list(docs), "text": list(docs.values())}), tmp_path / "in.parquet")
    got = {}
    for rule in ("coverage", "policy"):
        res = CliRunner().invoke(dedup_command, [str(tmp_path / "in.parquet"), "--out", str(tmp_path / rule), "--keep", "first_seen", "--keep-rule", rule])
        assert res.exit_code == 0, res.output
        got[rule] = sorted(pq.read_table(tmp_path / rule / "corpus").column("id").to_pylist())
    assert got == {"coverage": ["b"], "policy": ["a", "c"]}
