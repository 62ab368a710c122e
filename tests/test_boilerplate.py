"""boilerplate stage: the content model on real pages and articles, the cases the issue names
(a menu of words in no list, a short line inside an article, a one-sentence text, a list
article, a non-English page), and property tests on random text."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.document import Document, apply_edits
from pipeline.stages.boilerplate import Boilerplate, BoilerplateConfig
from pipeline.stages.content_features import NAMES, line_features
from pipeline.stages import content_model
from pipeline.stages.content_model import ContentModel, decide
from benchmarks.content_data import render_page
from benchmarks.scores import word_prf
from tests.helpers import apply_replayable, lines_of, seed

FIXTURES = Path(__file__).resolve().parent / "fixtures"
AEB = FIXTURES / "aeb"


def run(text: str, **doc):
    return apply_replayable(Boilerplate(), text, **doc)


def wikinews(n: int = 0, min_lines: int = 5) -> list[str]:
    """The lines of the n-th Wikinews fixture article with at least `min_lines` paragraphs."""
    with gzip.open(FIXTURES / "wikinews-300.jsonl.gz", "rt", encoding="utf-8") as fh:
        articles = [json.loads(line) for line in fh]
    long = [a for a in articles if len(lines_of(a["text"])) >= min_lines]
    return [long[n]["title"], *lines_of(long[n]["text"])]


def token_prf(pred: str, truth: str) -> tuple[float, float]:
    """WCXB's word precision and recall (the evaluation's own scorer)."""
    precision, recall, _ = word_prf(pred, truth)
    return precision, recall


# ---------------------------------------------------------------- the shipped model


def test_shipped_model_matches_its_feature_list():
    import numpy as np

    from pipeline.stages.content_features import LEXICAL_NAMES

    model = ContentModel.load()
    with np.load(content_model.WEIGHTS) as z:
        assert list(z["names"]) == list(NAMES + LEXICAL_NAMES)
    X = line_features(["Home", "News", "The council approved the budget on Tuesday after a long debate."], model.lexical)
    assert X.shape == (3, len(NAMES) + len(LEXICAL_NAMES))
    p = model.predict(X)
    assert p.shape == (3,) and ((p >= 0) & (p <= 1)).all()


def test_decide_is_stricter_outside_the_main_block():
    import numpy as np

    p = np.array([0.6, 0.0, 0.9, 0.35, 0.95, 0.9, 0.6, 0.1])
    # Main block: lines 2-6 (largest total of p - 0.3); inside, 0.35 stays; outside, 0.6 goes.
    assert decide(p, 0.3, 0.7, 0.3).tolist() == [False, False, True, True, True, True, True, False]
    assert decide(p, 0.3, 0.3, 0.3).tolist() == [True, False, True, True, True, True, True, False]


# ---------------------------------------------------------------- the cases the issue names


MENU = ["Zorbly", "Quintessa Hub", "Marlowe Deck", "Ploxen", "Vantrel Live", "Oskary", "Brimble"]


def test_menu_of_words_in_no_list_removed_around_a_long_article():
    """A site menu of invented words above and below a long real article: no word list knows
    them; the shape and the position against the article's block do."""
    article = wikinews(3, min_lines=10)
    assert len(article) >= 40
    kept = lines_of(run("\n".join(MENU + article + MENU) + "\n").doc.text)
    assert sum(m in kept for m in MENU) <= 1
    assert all(ln in kept for ln in article)


@pytest.mark.xfail(strict=True, reason="known gap: beside a short article (under ~12 lines) a menu of invented "
                   "single words scores 0.4-0.7 and stays; see benchmarks/README.md")
def test_menu_of_words_in_no_list_removed_around_a_short_article():
    article = wikinews(0)
    kept = lines_of(run("\n".join(MENU + article + MENU) + "\n").doc.text)
    assert not set(MENU) & set(kept)


def test_short_line_inside_an_article_stays():
    article = wikinews(1, min_lines=6)
    lines = article[:4] + ["The vote"] + article[4:]
    kept = lines_of(run("\n\n".join(lines) + "\n").doc.text)
    assert "The vote" in kept
    assert all(ln in kept for ln in article[1:])


@pytest.mark.parametrize("text", [
    "text of one article",
    "The council approved the budget on Tuesday.\n",
    "Share\nThe council approved the budget on Tuesday.",
])
def test_one_or_two_line_text_is_left_alone(text):
    out = run(text)
    assert out.doc.text == text and not out.edits


def test_list_article_items_stay():
    items = [
        ("Snowdon Ranger Path", "A steady climb from the youth hostel, with views over the lake the whole way up."),
        ("Pen y Fan horseshoe", "The classic Brecon Beacons round, busy at weekends but worth an early start."),
        ("Cadair Idris", "A steep path past a glacial lake to one of the finest summits in the south of Snowdonia."),
        ("Pembrokeshire coast", "Cliff-top walking above sandy coves, with seals below in the autumn."),
        ("Rhossili Down", "A short ridge above the longest beach on Gower, best walked at sunset."),
        ("Sugar Loaf", "An easy family hill near Abergavenny with a wide view of the Black Mountains."),
        ("Tryfan north ridge", "A scramble rather than a walk: hands on rock for most of the way to the top."),
        ("Offa's Dyke at Hay", "Rolling border country, second-hand bookshops waiting at the end of the day."),
        ("Llyn Idwal", "A gentle loop around a lake in a hanging valley, good for a wet afternoon."),
        ("Cwm Bychan", "Roman steps through heather and boulders into the quiet Rhinogydd hills."),
    ]
    lines = ["The 10 best walks in Wales",
             "From mountain ridges to sea cliffs, these are the routes our readers rated highest this year."]
    for i, (name, blurb) in enumerate(items, 1):
        lines += [f"{i}. {name}", blurb]
    text = "\n\n".join(lines) + "\n"
    kept = lines_of(run(text).doc.text)
    assert sum(ln in kept for ln in lines) >= len(lines) - 1


def _page_lines(html: bytes) -> list[str]:
    """Whole-page text as the content model's training data renders it."""
    return lines_of(render_page(html.decode("utf-8", "replace")))


@pytest.mark.parametrize("page", sorted(p.name for p in AEB.glob("*.html.gz")))
def test_whole_page_text_of_real_pages(page):
    """Every visible line of a real page (English and Japanese AEB pages): the stage raises
    token precision and keeps at least 95 % of the article's words."""
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))[page.split(".")[0]]["articleBody"]
    lines = _page_lines(gzip.decompress((AEB / page).read_bytes()))
    raw = "\n".join(lines) + "\n"
    out = run(raw)
    p0, r0 = token_prf(raw, truth)
    p1, r1 = token_prf(out.doc.text, truth)
    assert p1 >= p0 + 0.03, (p0, p1)
    assert r1 >= 0.95 * r0, (r0, r1)


JAPANESE_PAGE = "85439e26c41c75901820d01a13e8cea7836abb58635ea3986f71a163ab0311d3.html.gz"
_KNOWN_GAP = pytest.mark.xfail(strict=True, reason=(
    "known gap: after extraction the Japanese article loses two of its paragraphs (p 0.27-0.30, "
    "recall 0.88; 0.65 before Han and kana characters became words of their own): the model "
    "was trained on (almost only) English pages"))


@pytest.mark.parametrize("page", [pytest.param(p, marks=_KNOWN_GAP) if p == JAPANESE_PAGE else p
                                  for p in sorted(p.name for p in AEB.glob("*.html.gz"))])
def test_line_stages_after_extraction_do_not_eat_the_article(page):
    """trafilatura's extraction alone vs the same + boilerplate (the content model: plain text,
    no page-model scores) + spam, scored against the benchmark's human ground truth: recall may
    not drop by more than 3 %, precision may not drop. (The page model's own figures on these
    pages: tests/test_page_model.py.)"""
    from pipeline.core.document import RawDocument
    from pipeline.stages.decode import Decoder
    from pipeline.stages.extract import Extract, ExtractConfig
    from pipeline.stages.fix_encoding import FixEncoding
    from pipeline.stages.spam import Spam

    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))[page.split(".")[0]]["articleBody"]
    raw = RawDocument(id=page, source="fixture", data=gzip.decompress((AEB / page).read_bytes()), format="html")
    extract = Extract(ExtractConfig(method="trafilatura"))
    doc = FixEncoding().apply(extract.apply(Decoder().apply(raw).doc).doc).doc
    b = apply_replayable(Boilerplate(), doc.text)
    s = apply_replayable(Spam(), b.doc.text)
    p0, r0 = token_prf(doc.text, truth)
    p1, r1 = token_prf(s.doc.text, truth)
    assert p1 >= p0 - 1e-9
    assert r1 >= r0 - 0.03


@pytest.mark.parametrize("page", ["0ec95c7261d122f304728e90c983450ef1ce1e0b423546835c397d50aaf0d0f2", JAPANESE_PAGE.split(".")[0]])
def test_clean_article_in_a_language_the_model_never_saw_keeps_its_text(page):
    """The Korean and Japanese AEB ground-truth articles alone (a clean text, no chrome) keep
    nearly all their words. Before the features split Han and kana into one-character words
    and measured function words on the page's own frequent words where the stop-word list
    covers none, the Japanese article lost 35 % of its words and the Korean one 11 %."""
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))[page]["articleBody"]
    out = run(truth)
    kept = 0.0 if out.doc is None else token_prf(out.doc.text, truth)[1]
    assert kept >= 0.85, kept


def test_seed_004_menu_removed_article_kept():
    text = seed("004")
    out = run(text)
    kept = lines_of(out.doc.text)
    menu = ["• Live", "• Audio Only", "• google plus", "• facebook", "• twitter"]
    assert sum(c not in kept for c in menu) >= 4, [c for c in menu if c in kept]
    article = [ln for ln in lines_of(text)[6:-1]]
    assert all(ln in kept for ln in article)


def test_clean_seed_000_untouched():
    text = seed("000")
    assert run(text).doc.text == text


def test_date_of_a_removed_byline_moves_to_metadata():
    lines = ["Home", "World", "Business", "Sport", "By Jane Roe | Published 9 December 2021",
             *wikinews(2)[1:], "About us", "Contact", "Privacy"]
    out = run("\n".join(lines) + "\n")
    if "By Jane Roe | Published 9 December 2021" not in lines_of(out.doc.text):
        assert out.doc.date == "2021-12-09"
    assert run("\n".join(lines) + "\n", date="2020-01-01").doc.date == "2020-01-01"


def test_threshold_above_one_disables_removal():
    text = seed("004")
    out = Boilerplate(BoilerplateConfig(threshold=1.01)).apply(Document(id="t", text=text))
    assert out.doc.text == text and not out.edits


def test_every_removal_has_reason_and_score():
    out = run(seed("004"))
    assert out.edits
    for e in out.edits:
        family = e.reason.split(" | ")[0]
        assert family in ("boilerplate:chrome", "boilerplate:outside_main", "boilerplate:line_shape")
        assert 0.0 <= e.score <= 1.0 and "p_content=" in e.reason


# ---------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=12).map("\n".join))
def test_random_text_never_raises_and_edits_replay(text):
    out = Boilerplate().apply(Document(id="r", text=text))
    assert out.doc is not None
    assert apply_edits(text, out.edits) == out.doc.text


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["", "Share", "Photo: AP", "351", "A real sentence that is long enough to be prose here.",
                                 "Home", "Another paragraph of the story, with several clauses, ends here."]),
                min_size=3, max_size=25).map("\n".join))
def test_chrome_mixes_replay_exactly(text):
    out = Boilerplate().apply(Document(id="m", text=text))
    assert apply_edits(text, out.edits) == out.doc.text
    if out.edits:  # removals never leave a new run of blank lines at the end
        assert not out.doc.text.endswith("\n\n\n") or text.endswith("\n\n\n")


# ---------------------------------------------------------------- batches (issue 13)


def _real_pages() -> list[str]:
    """The AEB fixture pages as whole-page text (chrome and all) and Wikinews articles."""
    pages = ["\n".join(_page_lines(gzip.decompress(p.read_bytes()))) for p in sorted(AEB.glob("*.html.gz"))]
    return pages + ["\n\n".join(wikinews(n)) for n in range(6)]


def test_features_of_a_page_do_not_depend_on_its_batch():
    """A page's feature rows are bit-identical alone and inside any batch: sharding (and so
    the worker count or the engine) can never change a decision."""
    from pipeline.stages.content_features import page_features

    pages = [[ln.strip() for ln in p.splitlines() if ln.strip()] for p in _real_pages()]
    lexical = ContentModel.load().lexical  # its columns too: the score and the page's coverage
    together, sizes = page_features(pages, lexical)
    assert list(sizes) == [len(p) for p in pages]
    alone = [line_features(p, lexical) for p in pages]
    import numpy as np

    assert np.array_equal(together, np.vstack(alone))
    backwards, _ = page_features(pages[::-1], lexical)
    assert np.array_equal(backwards, np.vstack(alone[::-1]))


def test_batch_gives_what_one_document_at_a_time_gives():
    pages = _real_pages()
    docs = [Document(id=str(i), source="t", text=t) for i, t in enumerate(pages + ["One sentence only."])]
    stage = Boilerplate()
    batch = stage.apply_batch(docs)
    single = [stage.apply(d) for d in docs]
    assert [o.doc.text for o in batch] == [o.doc.text for o in single]
    assert [o.edits for o in batch] == [o.edits for o in single]
    assert sum(bool(o.edits) for o in batch) >= 3  # the chrome-laden AEB pages do lose lines


def test_compiled_tree_walk_equals_the_numpy_walk():
    """The numba kernel and its NumPy fallback add the same leaf values in the same order."""
    import numpy as np

    from pipeline.stages import content_model

    with gzip.open(FIXTURES / "wikinews-300.jsonl.gz", "rt", encoding="utf-8") as fh:
        articles = [json.loads(line)["text"] for line in fh][:200]
    pages = [[ln.strip() for ln in p.splitlines() if ln.strip()] for p in _real_pages() + articles]
    model = ContentModel.load()
    X = np.vstack([line_features(p, model.lexical) for p in pages])
    trees = model.first
    arrays = (trees.feature, trees.threshold, trees.left, trees.right, trees.value)
    X = np.ascontiguousarray(X[:len(X) // 8 * 8 - 3], dtype=np.float32)  # 5 rows after the eights
    assert len(X) > 2 * content_model._ROW_BLOCK  # several blocks, the last one partial
    compiled = np.zeros(len(X))
    content_model._compiled_walk()(X, *arrays, compiled, trees.depth)
    fallback = np.zeros(len(X))
    content_model._walk_numpy(X, *arrays, fallback, trees.depth)
    assert len(X) > 200 and np.array_equal(compiled, fallback)
    # Both against the plain walk: each row down each tree until a leaf, summed tree by tree.
    for i in (0, 1, len(X) // 2, len(X) - 1):
        total = 0.0
        for t in range(len(trees.feature)):
            node = 0
            while not trees.leaf[t, node]:
                go_left = X[i, trees.feature[t, node]] <= trees.threshold[t, node]
                node = trees.left[t, node] if go_left else trees.right[t, node]
            total += float(trees.value[t, node])
        assert compiled[i] == total


def _findall_words(lines: list[str], pattern: str = r"\w+") -> tuple[list[str], list[int]]:
    import re

    found = [(w, i) for i, ln in enumerate(lines) for w in re.findall(pattern, ln)]
    return [w for w, _ in found], [i for _, i in found]


def test_compiled_words_are_pythons_words_on_real_pages():
    """The compiled word kernel (big batches) finds exactly `re.findall(r"\\w+")`'s words, in order,
    each with its line: the AEB pages (one Korean), the Wikinews articles, cut mid-array."""
    import pyarrow as pa

    from pipeline.stages.feature_kernels import scan_lines

    with gzip.open(FIXTURES / "wikinews-300.jsonl.gz", "rt", encoding="utf-8") as fh:
        articles = [json.loads(line)["text"] for line in fh]
    lines = [ln for p in _real_pages() + articles for ln in lines_of(p)]
    array = pa.array(["", *lines, ""], type=pa.large_string()).slice(1, len(lines))
    scan = scan_lines(array, ())
    words, parent = scan.words, scan.parent
    expected_words, expected_parent = _findall_words(lines)
    assert len(expected_words) > 50_000 and any("가" <= w[0] <= "힣" for w in expected_words)
    assert words.to_pylist() == expected_words and parent.tolist() == expected_parent


def test_compiled_words_split_scripts_without_spaces_as_python_does():
    """With the content features' classes, each Han / kana / Thai word character is a word of its
    own in both paths (the Japanese AEB page, Korean stays whole words)."""
    import pyarrow as pa

    from pipeline.stages import content_features
    from pipeline.stages.feature_kernels import scan_lines

    lines = [ln for p in _real_pages() for ln in lines_of(p)]
    scan = scan_lines(pa.array(lines, type=pa.large_string()), tuple(content_features.COUNTED.values()),
                      content_features._SOLO)
    expected = _findall_words(lines, content_features._WORD.pattern)
    assert "販" in expected[0] and any(len(w) > 1 and "가" <= w[0] <= "힣" for w in expected[0])
    assert (scan.words.to_pylist(), scan.parent.tolist()) == expected


_MIXED = st.text(st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from("日本語のテキストー・、。ภาษาไทย한국어 ab1_")))


@settings(max_examples=300, deadline=None)
@given(st.lists(_MIXED, min_size=1, max_size=12))
def test_compiled_words_are_pythons_words_on_any_text(lines):
    """Any Unicode (combining marks, digits of every script, emoji, controls, CJK next to Latin):
    same words as `\\w+`, and as the features' regex when Han / kana / Thai go one by one."""
    import pyarrow as pa

    from pipeline.stages.content_features import _SOLO, _WORD, COUNTED
    from pipeline.stages.feature_kernels import scan_lines

    array = pa.array(lines, type=pa.large_string())
    scan = scan_lines(array, tuple(COUNTED.values()))
    assert (scan.words.to_pylist(), scan.parent.tolist()) == _findall_words(lines)
    solo = scan_lines(array, tuple(COUNTED.values()), _SOLO)
    assert (solo.words.to_pylist(), solo.parent.tolist()) == _findall_words(lines, _WORD.pattern)
    import re

    expected = [[len(re.findall(c, ln)) for c in COUNTED.values()] for ln in lines]
    assert scan.counts.tolist() == expected


def test_scan_classes_are_the_regex_classes_on_every_code_point():
    """The kernel's class table says what each regex character class matches, for every code
    point but surrogates (which no UTF-8 text holds)."""
    import re

    import numpy as np

    from pipeline.stages.content_features import COUNTED
    from pipeline.stages.feature_kernels import class_table

    table = class_table(tuple(COUNTED.values()))
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(map(chr, points))
    for k, char_class in enumerate(COUNTED.values(), 1):
        expected = np.zeros(0x110000, dtype=bool)
        expected[[ord(m) for m in re.findall(char_class, text)]] = True
        assert np.array_equal((table & (1 << k)) > 0, expected), char_class
    words = np.zeros(0x110000, dtype=bool)
    words[[ord(m) for m in re.findall(r"\w", text)]] = True
    assert np.array_equal((table & 1) > 0, words)


def test_features_equal_on_the_compiled_and_python_word_paths(monkeypatch):
    """The compiled kernels (big batches: the scan of the lines, the word counts per page and
    line, the neighbour-window means) and the Python / Arrow / sorting / NumPy path (small
    ones) give bit-identical feature rows:
    the kernels change cost, never a feature."""
    import numpy as np

    from pipeline.stages import content_features

    with gzip.open(FIXTURES / "wikinews-300.jsonl.gz", "rt", encoding="utf-8") as fh:
        pages = [lines_of(json.loads(line)["text"]) for line in fh]
    pages = pages + [lines_of(p) for p in _real_pages()]
    monkeypatch.setattr(content_features, "COMPILED_MIN_ROWS", 1)
    compiled, _ = content_features.page_features(pages)
    monkeypatch.setattr(content_features, "COMPILED_MIN_ROWS", 10**9)
    monkeypatch.setattr(content_features, "COMPILED_AFTER_ROWS", 10**12)
    python_path, _ = content_features.page_features(pages)
    assert len(compiled) > 2000 and np.array_equal(compiled, python_path)
