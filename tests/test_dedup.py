"""Dedup: datasketch-compatible signatures, verification, anti-chaining, keep policies,
determinism, spilling, streaming API and CLI. Runs on tests/fixtures/dedup (Wikinews, CC BY 2.5)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from datasketch import MinHash

from pipeline.dedup import (
    DedupConfig,
    Deduplicator,
    KeepInfo,
    find_duplicates,
    find_duplicates_with_stats,
    lsh_params,
    sketch,
    sketches_from_table,
    sketches_to_table,
)
from pipeline.dedup import _kernels as K
from pipeline.dedup import jaccard, normalise, s_curve, shingles
from pipeline.cli.dedup import dedup_command

FIX = Path(__file__).parent / "fixtures" / "dedup"
ARTICLES = [json.loads(line) for line in (FIX / "wikinews_sample.jsonl").read_text(encoding="utf-8").splitlines()]
TEXTS = {f"w{d['id']}": d["text"] for d in ARTICLES}


def run(docs: dict[str, str], config: DedupConfig, keep: dict[str, KeepInfo] | None = None, batch: int = 7, **kw):
    items = list(docs.items())
    keep = keep or {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(items)}
    sk = [sketch(items[s : s + batch], config) for s in range(0, len(items), batch)]
    return find_duplicates_with_stats(sk, keep, lambda ids: {i: docs[i] for i in ids}, config, **kw)


def edit(text: str, rng: random.Random, n_subst: int = 3, footer: bool = True) -> str:
    words = text.split(" ")
    for _ in range(n_subst):
        words[rng.randrange(len(words))] = rng.choice(["alpha", "beta", "gamma", "delta"])
    return " ".join(words) + ("\n\nCopyright 2024 Metro Wire. All rights reserved." if footer else "")


# ----------------------------------------------------------------------------- signatures
@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize("shingle,k", [("word", 5), ("char", 5), ("word", 1)])
def test_signatures_equal_datasketch(scheme, shingle, k):
    cfg = DedupConfig(shingle=shingle, shingle_size=k, minhash_scheme=scheme, num_perm=64, seed=7)
    texts = [d["text"] for d in ARTICLES[:6]] + ["Short.", "", "東京で会議が開かれた。ｆｕｌｌ－ｗｉｄｔｈ ①"]
    s = sketch([(str(i), t) for i, t in enumerate(texts)], cfg)
    for i, t in enumerate(texts):
        m = MinHash(num_perm=64, seed=7, scheme=scheme)
        m.update_batch(shingles(t, cfg))
        assert np.array_equal(m.hashvalues.astype(np.uint32), s.signatures[i]), (i, shingle)
        assert s.n_shingles[i] == len(shingles(t, cfg))


def test_numpy_fallback_gives_identical_sketches():
    code = (
        "import json,sys,numpy as np;from pipeline.dedup import sketch,DedupConfig;from pipeline.dedup import _kernels as K;"
        "docs=json.load(sys.stdin);s=sketch(docs,DedupConfig());"
        "print(json.dumps([K.HAVE_NUMBA,s.signatures.tolist(),s.exact.tolist()]))"
    )
    docs = [(i, t) for i, t in list(TEXTS.items())[:5]] + [("x", "Ünïcödé — ‘quotes’ and ﬁ ligatures, 42 times.")]
    env = {**os.environ, "PIPELINE_DEDUP_NO_NUMBA": "1", "PYTHONPATH": str(Path(__file__).parents[1])}
    res = subprocess.run([sys.executable, "-c", code], input=json.dumps(docs), capture_output=True, text=True, env=env, check=True)
    have_numba, sigs, exact = json.loads(res.stdout)
    assert have_numba is False
    s = sketch(docs, DedupConfig())
    assert np.array_equal(np.array(sigs, dtype=np.uint32), s.signatures)
    assert exact == s.exact.tolist()


def test_normalisation_folds_case_punctuation_unicode_but_keeps_digits():
    assert normalise("Hello,   WORLD!! ﬁne\u00a0day") == "hello world fine day"
    assert normalise("Ｆｕｌｌ　ｗｉｄｔｈ") == "full width"
    assert normalise("Profit 1987: 3.5 mln") == "profit 1987 3 5 mln"
    assert K.batch_normalise(["A—b’c  D", "x_y z"], normalise) == [b"a b c d", b"x_y z"]
    # the shipped \w table matches this Python's re on every code point
    every = np.frombuffer(bytes(1 if chr(c).isalnum() or c == 95 else 0 for c in range(0x110000)), dtype=np.uint8)
    assert np.array_equal(K.is_word_table(), every)
    rng = random.Random(2)
    samples = ["".join(chr(rng.randrange(0x20, 0x30000)) for _ in range(40)) for _ in range(300)]
    samples = [t.encode("utf-8", "ignore").decode("utf-8") for t in samples]
    assert K.batch_normalise(samples, normalise) == [normalise(t).encode("utf-8") for t in samples]


def test_sketch_table_roundtrip():
    s = sketch(list(TEXTS.items())[:4], DedupConfig())
    t = sketches_to_table(s)
    back = sketches_from_table(pa.Table.from_batches(t.to_batches()))
    assert back.ids == s.ids and np.array_equal(back.signatures, s.signatures)
    assert np.array_equal(back.exact, s.exact) and np.array_equal(back.n_shingles, s.n_shingles)


# ----------------------------------------------------------------------------- LSH parameters
def test_lsh_params_put_s_curve_below_threshold():
    for t in (0.5, 0.7, 0.8, 0.9):
        for p in (64, 112, 128, 256):
            b, r = lsh_params(DedupConfig(threshold=t, num_perm=p))
            assert b * r <= p and s_curve(t, b, r) >= 0.99
            # one more row per band would miss the recall target: the curve is as steep as allowed
            assert s_curve(t, p // (r + 1), r + 1) < 0.99 or p // (r + 1) == 0
    assert lsh_params(DedupConfig()) == (21, 6)


def test_bands_rows_must_come_together():
    with pytest.raises(ValueError, match="both bands and rows"):
        DedupConfig(bands=10)
    with pytest.raises(ValueError, match="exceeds num_perm"):
        DedupConfig(bands=20, rows=8, num_perm=128)


# ----------------------------------------------------------------------------- results
def test_planted_near_copy_merged_and_exact_copy_found():
    rng = random.Random(1)
    docs = dict(TEXTS)
    src_id = next(iter(TEXTS))
    docs["copy"] = edit(TEXTS[src_id], rng)
    docs["exact"] = TEXTS[src_id].upper().replace(".", " . ")  # same normalised text
    keep = {i: KeepInfo(len(t), 0 if i == src_id else 1) for i, t in docs.items()}
    rows, stats = run(docs, DedupConfig(keep="first_seen"), keep=keep)
    by_id = {r.id: r for r in rows}
    assert set(by_id) == {"copy", "exact"}
    kept = by_id["copy"].duplicate_of
    assert kept == src_id == by_id["exact"].duplicate_of
    assert by_id["exact"].kind == "exact" and by_id["copy"].kind == "near"
    j = jaccard(docs["copy"], docs[kept], DedupConfig())
    assert by_id["copy"].similarity == pytest.approx(j, abs=1e-6) and j >= 0.8
    assert abs(by_id["copy"].estimated_similarity - j) < 0.15
    assert stats["exact_duplicates"] == 1 and stats["verified_pairs"] >= 1


def test_candidates_below_threshold_are_verified_away():
    base = TEXTS[next(iter(TEXTS))]
    words = base.split(" ")
    half = " ".join(words[: len(words) * 2 // 3]) + " " + " ".join(reversed(words[len(words) * 2 // 3 :]))
    docs = {"a": base, "b": half}
    cfg = DedupConfig(bands=64, rows=2)  # nearly every related pair becomes a candidate
    j = jaccard(base, half, cfg)
    assert 0.3 < j < 0.8
    rows, stats = run(docs, cfg)
    assert rows == [] and stats["candidate_pairs"] == 1 and stats["rejected_candidates"] == 1


def _chain(words: list[str], shift: int, n: int = 3, length: int = 400) -> dict[str, str]:
    return {c: " ".join(words[i * shift : i * shift + length]) for i, c in zip(range(n), "abc")}


def test_no_chaining_through_an_intermediate():
    words = " ".join(TEXTS.values()).split()
    docs = _chain(words, 40)
    cfg = DedupConfig()
    j = lambda x, y: jaccard(docs[x], docs[y], cfg)  # noqa: E731
    assert j("a", "b") >= 0.8 and j("b", "c") >= 0.8 and j("a", "c") < 0.8
    # equal lengths, policy wins outright: "a" ranks first; b is removed next to a, c has no
    # kept neighbour >= 0.8 and stays
    pol = cfg.model_copy(update={"keep_rule": "policy"})
    rows, _ = run(docs, pol, keep={k: KeepInfo(400, 0) for k in docs})
    assert [(r.id, r.duplicate_of) for r in rows] == [("b", "a")]
    # by coverage (default): b, similar to both, is the centre; a and c go, never chained
    rows, _ = run(docs, cfg, keep={k: KeepInfo(400, 0) for k in docs})
    assert sorted((r.id, r.duplicate_of) for r in rows) == [("a", "b"), ("c", "b")]
    # when b is the one kept, both neighbours go
    keep = {"a": KeepInfo(1, 1), "b": KeepInfo(1, 0), "c": KeepInfo(1, 2)}
    rows, _ = run(docs, cfg.model_copy(update={"keep": "first_seen"}), keep=keep)
    assert sorted((r.id, r.duplicate_of) for r in rows) == [("a", "b"), ("c", "b")]
    for r in rows:
        assert r.similarity >= 0.8 and r.cluster_id == "b"


@pytest.mark.parametrize(
    "policy,expected",
    [("longest", "c2"), ("earliest_date", "c3"), ("first_seen", "c1"), ("best_quality", "c4")],
)
def test_keep_policies(policy, expected):
    rng = random.Random(3)
    src = TEXTS[next(iter(TEXTS))]
    docs = {f"c{i}": edit(src, rng, n_subst=2, footer=False) for i in range(1, 5)}
    keep = {
        "c1": KeepInfo(100, 0, "2020-05-01", 0.1),
        "c2": KeepInfo(900, 3, "2020-03-01", 0.2),
        "c3": KeepInfo(100, 2, "2019-01-01", 0.3),
        "c4": KeepInfo(100, 1, None, 0.9),
    }
    rows, _ = run(docs, DedupConfig(keep=policy), keep=keep)
    assert {r.duplicate_of for r in rows} == {expected}
    assert {r.id for r in rows} == set(docs) - {expected}


def test_tie_break_is_smallest_id():
    src = TEXTS[next(iter(TEXTS))]
    docs = {"z": src, "m": src + " Extra.", "b": src + " Extra!"}
    rows, _ = run(docs, DedupConfig(keep="best_quality"), keep={k: KeepInfo(1, 0) for k in docs})
    assert {r.duplicate_of for r in rows} == {"b"}


def _rows_key(rows):
    return [(r.id, r.duplicate_of, r.cluster_id, r.similarity, r.estimated_similarity, r.kind) for r in rows]


def _corpus_with_dups() -> dict[str, str]:
    rng = random.Random(5)
    docs = dict(TEXTS)
    for n, (i, t) in enumerate(list(TEXTS.items())[:15]):
        docs[f"{i}-copy"] = edit(t, rng, n_subst=rng.randint(0, 12), footer=n % 2 == 0)
        if n % 3 == 0:
            docs[f"{i}-copy2"] = edit(docs[f"{i}-copy"], rng, n_subst=6, footer=False)
    return docs


def test_deterministic_across_batch_splits_order_workers_and_spilling():
    docs = _corpus_with_dups()
    cfg = DedupConfig()
    items = list(docs.items())
    keep = {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(items)}
    fetch = lambda ids: {i: docs[i] for i in ids}  # noqa: E731
    ref, stats = find_duplicates_with_stats([sketch(items, cfg)], keep, fetch, cfg)
    assert len(ref) >= 10
    rng = random.Random(0)
    for batch in (1, 4, 13):
        sk = [sketch(items[s : s + batch], cfg) for s in range(0, len(items), batch)]
        rng.shuffle(sk)
        assert _rows_key(find_duplicates(sk, keep, fetch, cfg)) == _rows_key(ref)
    shuffled = items[:]
    rng.shuffle(shuffled)
    with ProcessPoolExecutor(2) as pool:
        sk = list(pool.map(sketch, [shuffled[s : s + 9] for s in range(0, len(shuffled), 9)], [cfg] * 9))
    sk = [sketches_from_table(sketches_to_table(s)) for s in sk]
    got, st2 = find_duplicates_with_stats(sk, keep, fetch, cfg, memory_bytes=1)
    assert st2["band_store_spilled"] is True and stats["band_store_spilled"] is False
    assert _rows_key(got) == _rows_key(ref)


def test_every_removed_doc_is_verified_against_its_kept_doc_and_giant_components_split():
    words = " ".join(TEXTS.values()).split()
    docs = {f"d{i:02d}": " ".join(words[i * 15 : i * 15 + 400]) for i in range(12)}  # a long chain
    cfg = DedupConfig(max_component=4)
    rows, stats = run(docs, cfg, keep={k: KeepInfo(1, 0) for k in docs})
    assert stats["giant_components_split"] == 1 and stats["largest_component"] == 12
    kept = set(docs) - {r.id for r in rows}
    assert len(kept) >= 2  # the chain was split, not merged into one cluster
    for r in rows:
        assert r.duplicate_of in kept
        assert jaccard(docs[r.id], docs[r.duplicate_of], cfg) >= 0.8


def test_unrelated_articles_not_merged_and_char_shingles_work():
    rows, stats = run(dict(TEXTS), DedupConfig())
    assert rows == [] and stats["docs"] == len(TEXTS)
    cjk = "東京都は本日、新しい交通計画を発表した。計画では二〇三〇年までに全てのバスを電気化する。"
    docs = {"j1": cjk, "j2": cjk + "詳細は後日。", "j3": "大阪府では今日、大雨の警報が出された。交通機関に影響が出ている。"}
    rows, _ = run(docs, DedupConfig(shingle="char", shingle_size=3))
    assert [(r.id, r.duplicate_of) for r in rows] == [("j1", "j2")]


def test_containment_flags_a_quoted_excerpt():
    src = TEXTS[next(iter(TEXTS))]
    excerpt = " ".join(src.split(" ")[30:150])
    docs = {"src": src, "quote": "As reported earlier: " + excerpt, "other": list(TEXTS.values())[1]}
    cfg = DedupConfig(similarity="containment", threshold=0.8, lsh_threshold=0.2, shingle_size=3)
    rows, _ = run(docs, cfg)
    assert [(r.id, r.duplicate_of) for r in rows] == [("quote", "src")]
    assert run(docs, DedupConfig())[0] == []  # Jaccard alone does not merge them


def test_errors_are_clear():
    s = sketch([("a", "x y z")], DedupConfig())
    with pytest.raises(ValueError, match="appears more than once"):
        find_duplicates([s, s], {"a": KeepInfo(1, 0)}, lambda ids: {}, DedupConfig())
    with pytest.raises(ValueError, match="no keep info"):
        find_duplicates([s], {}, lambda ids: {}, DedupConfig())


# ----------------------------------------------------------------------------- streaming API + CLI
def test_deduplicator_streaming():
    docs = _corpus_with_dups()
    dd = Deduplicator(DedupConfig(), batch_size=8)
    for i, t in docs.items():
        dd.add(i, t)
    rows = dd.duplicates()
    ref, _ = run(docs, DedupConfig())
    assert _rows_key(rows) == _rows_key(ref) and dd.stats["docs"] == len(docs)
    with pytest.raises(ValueError, match="added twice"):
        dd.add(next(iter(docs)), "again")


def test_cli_writes_duplicates_and_filtered_corpus(tmp_path):
    docs = _corpus_with_dups()
    src = tmp_path / "in"
    src.mkdir()
    items = list(docs.items())
    for k in range(2):
        part = items[k::2]
        pq.write_table(pa.table({"id": [i for i, _ in part], "text": [t for _, t in part], "n": list(range(len(part)))}), src / f"p{k}.parquet")
    out = tmp_path / "out"
    res = CliRunner().invoke(dedup_command, [str(src), "--out", str(out), "--workers", "2", "--batch-size", "7"])
    assert res.exit_code == 0, res.output
    dups = pq.read_table(out / "duplicates.parquet").to_pylist()
    ref, _ = run(docs, DedupConfig())
    assert sorted(d["id"] for d in dups) == sorted(r.id for r in ref)
    kept = pq.read_table(out / "corpus").column("id").to_pylist()
    assert sorted(kept) == sorted(set(docs) - {r.id for r in ref})
    assert pq.read_table(out / "corpus" / "p0.parquet").column_names == ["id", "text", "n"]

    bad = CliRunner().invoke(dedup_command, [str(tmp_path / "nope"), "--out", str(out)])
    assert bad.exit_code == 1 and "no such file" in bad.output and "Traceback" not in bad.output
    pq.write_table(pa.table({"id": ["a"], "body": ["x"]}), tmp_path / "wrong.parquet")
    bad = CliRunner().invoke(dedup_command, [str(tmp_path / "wrong.parquet"), "--out", str(out)])
    assert bad.exit_code == 1 and "no column 'text'" in bad.output
    bad = CliRunner().invoke(dedup_command, [str(src), "--out", str(out), "--threshold", "2"])
    assert bad.exit_code == 1 and "threshold" in bad.output


def test_small_batches_take_the_fallback_with_the_same_sketches(monkeypatch):
    """Below COMPILED_MIN_BYTES a run never loads numba (start-up of small runs); the sketches
    are the compiled kernels' to the bit."""
    docs = [(i, t) for i, t in list(TEXTS.items())[:8]] + [("x", "Ünïcödé — ‘quotes’ and ﬁ ligatures, 42 times.")]
    compiled = sketch(docs, DedupConfig())
    monkeypatch.setattr(K, "COMPILED_MIN_BYTES", 1 << 40)
    assert K._compiled(10**9) is None
    fallback = sketch(docs, DedupConfig())
    assert np.array_equal(compiled.signatures, fallback.signatures)
    assert compiled.exact.tolist() == fallback.exact.tolist()
