"""Dedup pieces the Ray engine and the finish step use, tested directly and fast: connected
components, keep_info_table and KeepColumns, rows_to_table, set similarity, the estimated similarity. (Ray's
resolve over verified edges, cluster_edges, is checked against a brute-force answer in
test_dedup_resolve.py.)"""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline.dedup import DedupConfig, KeepInfo, find_duplicates, keep_info_table, sketch
from pipeline.dedup.cluster import DuplicateRow, jaccard, rows_to_table
from pipeline.dedup.graph import connected_components, set_similarity


def test_connected_components():
    a, b = np.array([5, 1, 7, 9], np.int64), np.array([1, 9, 8, 9], np.int64)
    assert [c.tolist() for c in connected_components(a, b)] == [[1, 5, 9], [7, 8]]
    assert connected_components(np.array([], np.int64), np.array([], np.int64)) == []
    assert [c.tolist() for c in connected_components(np.array([3]), np.array([2]))] == [[2, 3]]


def test_set_similarity_and_jaccard():
    a, b = np.array([1, 2, 3, 4], np.uint64), np.array([3, 4, 5], np.uint64)
    assert set_similarity(a, b, "jaccard") == 2 / 5
    assert set_similarity(a, b, "containment") == 2 / 3
    empty = np.array([], np.uint64)
    assert set_similarity(empty, empty, "jaccard") == 1.0 and set_similarity(a, empty, "jaccard") == 0.0
    cfg = DedupConfig(shingle_size=2)
    assert jaccard("a b c d", "a b c d", cfg) == 1.0
    assert jaccard("a b c d", "a b c e", cfg) == 2 / 4
    assert jaccard("a b c", "x y z", cfg) == 0.0


def test_keep_info_table():
    t = pa.table({"id": ["a", "b"], "n_chars": [10, 20], "seq": [0, 5], "date": ["2024-01-01", None], "n_words": [3, 4]})
    assert keep_info_table(t) == {"a": KeepInfo(n_chars=10, seq=0, date="2024-01-01", quality=3.0),
                                  "b": KeepInfo(n_chars=20, seq=5, date=None, quality=4.0)}


def test_rows_to_table():
    rows = [DuplicateRow("b", "a", "a", 0.9, 0.88, "near"), DuplicateRow("c", "a", "a", 1.0, 1.0, "exact")]
    t = rows_to_table(rows)
    assert t.schema.names == ["id", "duplicate_of", "cluster_id", "similarity", "estimated_similarity", "kind"]
    assert [t.schema.field(n).type for n in t.schema.names] == [pa.string()] * 3 + [pa.float64()] * 2 + [pa.string()]
    assert t.to_pylist() == [
        dict(id="b", duplicate_of="a", cluster_id="a", similarity=0.9, estimated_similarity=0.88, kind="near"),
        dict(id="c", duplicate_of="a", cluster_id="a", similarity=1.0, estimated_similarity=1.0, kind="exact")]
    assert rows_to_table([]).num_rows == 0


def _corpus(seed: int = 3) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(400)]
    docs = []
    for k in range(12):
        base = [rng.choice(vocab) for _ in range(120)]
        docs.append((f"d{k:02d}", " ".join(base)))
        for c in range(k % 3):  # near copies: a few words changed
            words = list(base)
            for _ in range(2 + c):
                words[rng.randrange(len(words))] = rng.choice(vocab)
            docs.append((f"d{k:02d}-near{c}", " ".join(words)))
        if k % 4 == 0:
            docs.append((f"d{k:02d}-exact", " ".join(base).upper()))
    rng.shuffle(docs)
    return docs


def test_estimated_similarity_is_the_signature_agreement():
    """The duplicate rows' estimated_similarity: the share of equal MinHash values (Jaccard), or
    that estimate turned into containment of the smaller set; exact copies are 1.0."""
    docs = _corpus()
    for cfg in (DedupConfig(), DedupConfig(similarity="containment")):
        texts = dict(docs)
        keep = {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(docs)}
        sk = sketch(docs, cfg)
        pos = {i: k for k, i in enumerate(sk.ids)}
        rows = find_duplicates([sk], keep, lambda ids: {i: texts[i] for i in ids}, cfg)
        near = [r for r in rows if r.kind == "near"]
        assert near
        for r in near:
            x, y = sk.signatures[pos[r.id]], sk.signatures[pos[r.duplicate_of]]
            j = float(np.mean(x == y))
            if cfg.similarity == "containment":
                na, nb = int(sk.n_shingles[pos[r.duplicate_of]]), int(sk.n_shingles[pos[r.id]])
                j = min(1.0, j * (na + nb) / (1 + j) / min(na, nb))
            assert r.estimated_similarity == round(j, 6), r
            assert 0 < r.similarity <= 1 and r.similarity >= cfg.threshold
        assert all((r.similarity, r.estimated_similarity) == (1.0, 1.0) for r in rows if r.kind == "exact")


_KEPT_COLUMNS = ["id", "n_chars", "seq", "date", "n_words"]
# Ids and dates where UTF-8 byte order and Python's code point order could part (accents,
# full-width and astral characters, an empty date) and keys that tie, so the id decides.
_kept_rows = st.lists(
    st.tuples(st.sampled_from(["", "2020-01-01", "2020-01-01T00:00:00+00:00", "2019-12-31", None, "z"]),
              st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)),
    min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(rows=_kept_rows, id_chars=st.text(alphabet="aAzé\u00ff\u0100\uff5a\U0001f600_-0", min_size=1, max_size=3),
       keep=st.sampled_from(["longest", "earliest_date", "first_seen", "best_quality"]), seed=st.integers(0, 1000))
def test_keep_columns_rank_like_keep_info(rows, id_chars, keep, seed):
    """`rank` on KeepColumns (Arrow sort, what the finish step uses) gives the order `rank` on
    a dict of KeepInfo gives (Python's sort with rank_key), for every policy, ties included,
    and for ids asked in another order or a subset of the table (the --against pass)."""
    from pipeline.dedup.cluster import KeepColumns
    from pipeline.dedup.resolve import rank

    ids = [f"{id_chars}{k}" if k % 3 else f"{k}{id_chars}" for k in range(len(rows))]
    assume(len(set(ids)) == len(ids))
    table = pa.table(dict(zip(_KEPT_COLUMNS, [ids, *map(list, zip(*((n, q, d, w) for d, n, q, w in rows)))])),
                     schema=pa.schema([("id", pa.string()), ("n_chars", pa.int64()), ("seq", pa.int64()),
                                       ("date", pa.string()), ("n_words", pa.int64())]))
    asked = random.Random(seed).sample(ids, k=max(1, len(ids) - seed % 3))
    config = DedupConfig(keep=keep)
    by_columns = rank(asked, KeepColumns.of([table.slice(0, 5), table.slice(5)]), config)
    by_dict = rank(asked, keep_info_table(table), config)
    assert by_columns.order.tolist() == by_dict.order.tolist()
    assert by_columns.rank_of.tolist() == by_dict.rank_of.tolist()


def test_keep_columns_name_a_missing_id():
    from pipeline.dedup.cluster import KeepColumns

    cols = KeepColumns.of([pa.table({"id": ["a", "b"], "n_chars": [1, 2], "seq": [0, 1], "date": [None, None], "n_words": [1, 1]})])
    assert cols.positions(["b", "a"]).tolist() == [1, 0]
    with pytest.raises(ValueError, match="'c'"):
        cols.positions(["a", "c"])
    assert len(KeepColumns.of([])) == 0
