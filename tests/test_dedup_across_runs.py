"""Dedup across runs (`pipeline run NEW --out OUT2 --against OUT1 --against OUT0`): three runs,
each against the earlier ones, compared with one run over the three inputs."""

from __future__ import annotations

import json
import random
from itertools import combinations
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.config import PipelineConfig
from pipeline.dedup import DedupConfig, jaccard, sketch
from pipeline.dedup.index import load_index
from pipeline.errors import InputError
from pipeline.engine.run import run
from pipeline.io.layout import RunLayout

FIX = Path(__file__).parent / "fixtures" / "dedup"
ARTICLES = [json.loads(line)["text"] for line in (FIX / "wikinews_sample.jsonl").read_text(encoding="utf-8").splitlines()]
CFG = PipelineConfig().with_overrides(
    dedup={"keep": "first_seen", "keep_rule": "policy"},
    repeated_lines={"enabled": False},  # corpus-wide line counts would differ between 1 and 3 runs
    run={"store_input": False},
)


def _edit(text: str, rng: random.Random, n: int) -> str:
    words = text.split(" ")
    for _ in range(n):
        words[rng.randrange(len(words))] = rng.choice(["alpha", "beta", "gamma", "delta"])
    return " ".join(words) + ("\n\nCopyright 2024 Metro Wire. All rights reserved." if n % 2 else "")


def _inputs(tmp: Path) -> list[Path]:
    rng = random.Random(11)
    o = ARTICLES
    words = " ".join(o).split()
    chain = [" ".join(words[i * 40 : i * 40 + 400]) for i in range(3)]  # a~b, b~c, a!~c
    days: list[dict[str, str]] = [{}, {}, {}]
    for k in range(10):
        days[0][f"o{k}"] = o[k]
    days[0]["d0-copy-a"] = _edit(o[0], rng, 3)
    days[0]["d0-copy-b"] = _edit(o[0], rng, 9)
    days[0]["chain-a"] = chain[0]
    for k in (0, 1, 2, 5):
        days[1][f"d1-copy-o{k}"] = _edit(o[k], rng, rng.randint(0, 14))
    for k in range(10, 15):
        days[1][f"o{k}"] = o[k]
    days[1]["d1-copy-o10"] = _edit(o[10], rng, 4)
    days[1]["d1-copy-of-d0-copy-a"] = _edit(days[0]["d0-copy-a"], rng, 6)
    days[1]["chain-b"] = chain[1]
    for k in (1, 10, 11, 3):
        days[2][f"d2-copy-o{k}"] = _edit(o[k], rng, rng.randint(0, 14))
    for k in range(15, 20):
        days[2][f"o{k}"] = o[k]
    days[2]["d2-copy-o15"] = _edit(o[15], rng, 5)
    days[2]["d2-exact-o4"] = o[4]
    days[2]["chain-c"] = chain[2]
    folders = []
    for d, docs in enumerate(days):
        f = tmp / f"in{d}"
        f.mkdir()
        for i, t in docs.items():
            (f / f"r{d}_{i}.txt").write_text(t, encoding="utf-8")
        folders.append(f)
    return folders


def _corpus(out: Path) -> dict[str, str]:
    t = pq.read_table(out / "corpus")
    return dict(zip(t.column("id").to_pylist(), t.column("text").to_pylist()))


def _dups(out: Path):
    return pq.read_table(out / "duplicates.parquet").to_pylist()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("across")
    ins = _inputs(tmp)
    outs = [tmp / f"out{d}" for d in range(3)]
    run([ins[0]], outs[0], CFG)
    run([ins[1]], outs[1], CFG, against=[outs[0]])
    run([ins[2]], outs[2], CFG, against=[outs[1], outs[0]])
    single = tmp / "single"
    run(ins, single, CFG)
    return ins, outs, single


def test_union_of_corpora_holds_no_pair_at_or_above_threshold(runs):
    _, outs, _ = runs
    union: dict[str, str] = {}
    for o in outs:
        c = _corpus(o)
        assert not set(c) & set(union)
        union.update(c)
    cfg = CFG.dedup
    assert len(union) > 20
    over = [(a, b) for a, b in combinations(sorted(union), 2) if jaccard(union[a], union[b], cfg) >= cfg.threshold]
    assert over == []


def test_removed_against_earlier_runs_name_a_kept_document_and_its_run(runs):
    _, outs, _ = runs
    cross = [(d, r) for r, o in enumerate(outs) for d in _dups(o) if d["duplicate_of_run"] is not None]
    assert len(cross) >= 6  # the planted copies of earlier days
    kept = {str(o): _corpus(o) for o in outs}
    for d, r in cross:
        assert d["duplicate_of_run"] in {str(o) for o in outs[:r]}
        earlier = kept[d["duplicate_of_run"]]
        assert d["duplicate_of"] in earlier, "removed against a document that was itself removed"
        assert d["similarity"] >= CFG.dedup.threshold
    # exact copy of an earlier kept article
    assert any(d["id"] == "r2_d2-exact-o4" and d["kind"] == "exact" and d["duplicate_of"] == "r0_o4" for d, _ in cross)
    # the chain: b is removed against a (day 0); c resembles only b, which is gone, so c stays
    assert any(d["id"] == "r1_chain-b" and d["duplicate_of"] == "r0_chain-a" for d, _ in cross)
    assert "r2_chain-c" in _corpus(outs[2])


def test_removed_set_equals_one_run_over_the_three_inputs(runs):
    _, outs, single = runs
    removed = {d["id"] for o in outs for d in _dups(o)}
    assert removed == {d["id"] for d in _dups(single)}
    assert set().union(*(_corpus(o) for o in outs)) == set(_corpus(single))


def test_index_is_written_beside_the_corpus_and_reused(runs):
    _, outs, _ = runs
    for o in outs:
        idx = load_index(o, CFG.dedup)
        assert sorted(idx.ids) == sorted(_corpus(o))  # kept documents only
        assert idx.corpus_part and all((o / "corpus" / p).is_file() for p in set(idx.corpus_part))
        assert idx.band_keys.shape[1] == json.loads((o / "index" / "index.json").read_text())["layout"]["bands"]
    # the stored signatures are what sketching the kept text gives (nothing recomputed later)
    idx = load_index(outs[1], CFG.dedup)
    texts = _corpus(outs[1])
    sk = sketch([(i, texts[i]) for i in idx.ids], CFG.dedup)
    assert np.array_equal(sk.signatures, idx.signatures)
    m = json.loads((outs[2] / "manifest.json").read_text())
    assert m["dedup"]["against"]["runs"][0]["run"] == str(outs[1]) and m["accounting"]["ok"]


def test_against_errors_are_one_line(runs, tmp_path):
    ins, outs, _ = runs
    with pytest.raises(InputError, match="no dedup index"):
        run([ins[0]], tmp_path / "x", CFG, against=[tmp_path])
    other = CFG.with_overrides(dedup={"num_perm": 64})
    with pytest.raises(InputError, match="num_perm"):
        run([ins[0]], tmp_path / "y", other, against=[outs[0]])
    res = CliRunner().invoke(main, ["run", str(ins[2]), "--out", str(tmp_path / "z"), "--against", str(tmp_path), "-q"])
    assert res.exit_code != 0 and "no dedup index" in res.output and "Traceback" not in res.output
    with pytest.raises(InputError, match="local engine only"):  # refused before Ray is imported or OUT is touched
        run([ins[0]], tmp_path / "r", CFG, engine="ray", against=[outs[0]])
    assert not (tmp_path / "r").exists()


def test_cli_against(runs, tmp_path):
    ins, outs, _ = runs
    res = CliRunner().invoke(main, ["run", str(ins[1]), "--out", str(tmp_path / "c"), "--against", str(outs[0]),
                                    "--config", str(_cfg_file(tmp_path))])
    assert res.exit_code == 0, res.output
    n_earlier = sum(d["duplicate_of_run"] is not None for d in _dups(outs[1]))
    assert f"({n_earlier} of earlier runs' documents)" in res.output
    assert {d["id"] for d in _dups(tmp_path / "c")} == {d["id"] for d in _dups(outs[1])}


def _cfg_file(tmp: Path) -> Path:
    import yaml

    p = tmp / "cfg.yaml"
    p.write_text(yaml.safe_dump({"dedup": {"keep": "first_seen", "keep_rule": "policy"}, "repeated_lines": {"enabled": False},
                                 "run": {"store_input": False}}))
    return p


def test_matching_is_independent_of_dedup_config_object_identity():
    # layout() is what must match; threshold alone may differ only if bands/rows stay equal
    from pipeline.dedup.index import layout

    assert layout(DedupConfig()) == layout(DedupConfig(keep="first_seen"))
    assert layout(DedupConfig()) != layout(DedupConfig(threshold=0.5))


def test_default_coverage_rule_across_runs_keeps_the_union_free_of_duplicates(tmp_path):
    ins = _inputs(tmp_path)
    cfg = PipelineConfig().with_overrides(repeated_lines={"enabled": False}, run={"store_input": False})
    outs = [tmp_path / f"cov{d}" for d in range(3)]
    for d in range(3):
        run([ins[d]], outs[d], cfg, against=outs[:d][::-1])
    union: dict[str, str] = {}
    for o in outs:
        union.update(_corpus(o))
    assert not [(a, b) for a, b in combinations(sorted(union), 2) if jaccard(union[a], union[b], cfg.dedup) >= cfg.dedup.threshold]
    for r, o in enumerate(outs):
        for d in _dups(o):
            home = _corpus(Path(d["duplicate_of_run"])) if d["duplicate_of_run"] else _corpus(o)
            assert d["duplicate_of"] in home


def test_report_of_a_run_against_an_earlier_one(runs):
    from pipeline.report.sample import sample_clusters

    _, outs, _ = runs
    clusters, _ = sample_clusters(outs[2], 10)
    labels = [k for k, _ in clusters]
    assert any(k.startswith("r0_o4 (kept by ") for k in labels)
    from pipeline.report.html import build_report

    html = build_report(outs[2])
    assert "kept by " in html and "r2_d2-exact-o4" in html


# ----------------------------------------------------------------------------- API level, random days
def _api_run(tmp: Path, day: int, docs: list[tuple[str, str]], earlier: list[Path], cfg: DedupConfig) -> set[str]:
    """One run at the dedup API level: match against earlier runs' indexes, then among itself;
    writes this run's corpus part and index. Returns the removed ids."""
    import pyarrow as pa

    from pipeline.dedup import KeepInfo, find_duplicates
    from pipeline.dedup.index import match_against, without, write_index

    text = dict(docs)
    fetch = lambda ids: {i: text[i] for i in ids}  # noqa: E731
    batches = [sketch(docs[s : s + 5], cfg) for s in range(0, len(docs), 5)]
    rows, _ = match_against(batches, [load_index(e, cfg) for e in earlier], fetch, cfg)
    gone = {r.id for r in rows}
    keep = {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(docs)}
    removed = gone | {r.id for r in find_duplicates(list(without(batches, gone)), keep, fetch, cfg)}
    out = tmp / f"day{day}"
    (out / "corpus").mkdir(parents=True)
    kept = [(i, t) for i, t in docs if i not in removed]
    pq.write_table(pa.table({"id": [i for i, _ in kept], "text": [t for _, t in kept]}), out / "corpus" / "part-00000.parquet")
    parts = [[("part-00000.parquet", sum(i not in removed for i in b.ids))] for b in batches]
    write_index(RunLayout(out), batches, removed, cfg, corpus_parts=parts)
    return removed


@pytest.mark.parametrize("seed", range(6))
def test_random_days_match_one_run_in_input_order(tmp_path, seed):
    from pipeline.dedup import KeepInfo, find_duplicates

    rng = random.Random(seed)
    cfg = DedupConfig(keep="first_seen", keep_rule="policy")
    pool = [t for t in ARTICLES if len(t.split()) > 80]
    days: list[list[tuple[str, str]]] = [[], [], []]
    made: list[str] = []
    for k in range(36):
        d = k % 3
        if made and rng.random() < 0.6:
            t = _edit(rng.choice(made), rng, rng.randint(0, 12))  # a copy of anything seen so far
        else:
            t = rng.choice(pool)
        made.append(t)
        days[d].append((f"d{d}-{k:02d}", t))
    removed: set[str] = set()
    for d in range(3):
        removed |= _api_run(tmp_path, d, days[d], [tmp_path / f"day{e}" for e in range(d)][::-1], cfg)
    every = [x for day in days for x in day]
    text = dict(every)
    keep = {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(every)}
    single = {r.id for r in find_duplicates([sketch(every, cfg)], keep, lambda ids: {i: text[i] for i in ids}, cfg)}
    assert removed == single
    kept = [i for i in text if i not in removed]
    assert not [(a, b) for a, b in combinations(kept, 2) if jaccard(text[a], text[b], cfg) >= cfg.threshold]
