"""quality: for every rule, one document just inside the threshold (kept) and one just outside
(rejected with that rule's reason). Thresholds are read from the config object, so the texts
follow the defaults when they move."""

from __future__ import annotations

import math
import string

import pytest

from pipeline.core.document import Document
from pipeline.stages.quality import QualityConfig, QualityFilter, QualitySignals, score

CFG = QualityConfig()


def tag(i: int, width: int = 4) -> str:
    """A distinct all-letter token for i (digits would move the letter share)."""
    out = ""
    for _ in range(width):
        i, r = divmod(i, 26)
        out += string.ascii_lowercase[r]
    return out


def words_of_lengths(lengths: list[int]) -> str:
    return " ".join("w" * n for n in lengths)


def with_total_chars(n_words: int, chars: int) -> str:
    """n_words letter-only words on one line, `chars` letters in all (mean = chars / n_words)."""
    base, extra = divmod(chars, n_words)
    return words_of_lengths([base + 1] * extra + [base] * (n_words - extra))


def letters_and_digits(letters: int, digits: int, word: int = 5) -> str:
    s = "a" * letters + "1" * digits
    return " ".join(s[i : i + word] for i in range(0, len(s), word))


def lines_text(n_lines: int, n_bullets: int) -> str:
    """n_lines distinct prose-like lines, the first n_bullets starting with a bullet."""
    return "\n".join(("- " if i < n_bullets else "") + f"Council notes item {tag(i)} about the harbour ferry" for i in range(n_lines))


def repeated_text(n_lines: int, n_repeats: int) -> str:
    """n_lines lines of equal length; one of them appears n_repeats + 1 times."""
    unique = [f"The council discussed harbour matter {tag(i)} today." for i in range(n_lines - n_repeats)]
    return "\n".join(unique + [unique[0]] * n_repeats)


def reason_of(text: str) -> str | None:
    doc = Document(id="q", text=text)
    out = QualityFilter(CFG).apply(doc)
    if out.reason is None:
        # kept with its text as it is (the filter never edits; it records meta["quality_score"])
        assert out.doc.text == doc.text and out.edits == ()
        return None
    assert out.doc is None
    return out.reason


def check(inside: str, outside: str, rule: str) -> None:
    assert reason_of(inside) is None, (rule, score(inside), reason_of(inside))
    got = reason_of(outside)
    assert got is not None and got.startswith(f"quality:{rule}"), (rule, score(outside), got)


def test_too_short():
    n = CFG.min_words
    assert score(with_total_chars(n, 5 * n)).words == n
    check(with_total_chars(n, 5 * n), with_total_chars(n - 1, 5 * (n - 1)), "too_short")


def test_too_long():
    n = CFG.max_words
    inside, outside = " ".join(["news"] * n), " ".join(["news"] * (n + 1))
    assert score(outside).words == n + 1
    check(inside, outside, "too_long")


def test_not_prose_letter_share():
    total = 1000  # non-space characters; letters + digits
    letters = math.ceil(CFG.min_alpha_ratio * total)
    inside, outside = letters_and_digits(letters, total - letters), letters_and_digits(letters - 1, total - letters + 1)
    assert score(inside).alpha_ratio >= CFG.min_alpha_ratio > score(outside).alpha_ratio
    check(inside, outside, "not_prose")


def test_word_length_too_short_on_average():
    n = 200
    chars = math.ceil(CFG.min_mean_word_length * n)
    inside, outside = with_total_chars(n, chars), with_total_chars(n, chars - 1)
    assert score(inside).mean_word_length >= CFG.min_mean_word_length > score(outside).mean_word_length
    check(inside, outside, "word_length")


def test_word_length_too_long_on_average():
    n = 200
    chars = math.floor(CFG.max_mean_word_length * n)
    inside, outside = with_total_chars(n, chars), with_total_chars(n, chars + 1)
    assert score(inside).mean_word_length <= CFG.max_mean_word_length < score(outside).mean_word_length
    check(inside, outside, "word_length")


def test_list_page():
    n = 100
    bullets = math.floor(CFG.max_bullet_line_ratio * n)
    inside, outside = lines_text(n, bullets), lines_text(n, bullets + 1)
    assert score(inside).bullet_line_ratio <= CFG.max_bullet_line_ratio < score(outside).bullet_line_ratio
    check(inside, outside, "list_page")


def test_repetitive():
    n = 100
    repeats = math.floor(CFG.max_duplicate_line_char_ratio * n)
    inside, outside = repeated_text(n, repeats), repeated_text(n, repeats + 1)
    assert score(inside).duplicate_line_char_ratio <= CFG.max_duplicate_line_char_ratio < score(outside).duplicate_line_char_ratio
    check(inside, outside, "repetitive")


@pytest.mark.parametrize("text", ["", "   \n\t\n", "... --- !!!"])
def test_no_words_is_empty(text):
    assert reason_of(text) == "quality:empty"


def test_thresholds_come_from_the_config():
    strict = QualityFilter(QualityConfig(min_words=50))
    text = with_total_chars(40, 200)
    assert reason_of(text) is None
    assert strict.apply(Document(id="q", text=text)).reason.startswith("quality:too_short | 40 words < 50")


def test_cjk_counts_characters_as_words():
    text = "東京都は月曜日に新しい交通計画を発表した。" * 3  # 63 CJK characters, no spaces
    s = score(text)
    assert s.words >= CFG.min_words and s.mean_word_length == 5.0
    assert reason_of(text) is None


def test_signals_of_nothing_are_zero():
    assert score("") == QualitySignals(0, 0.0, 0.0, 0.0, 0.0)
    assert score("... !!!") == QualitySignals(0, 0.0, 0.0, 0.0, 0.0)


def test_cjk_word_count_and_mean_length():
    assert score("東京" * 10).words == 1 + 20 // 2  # one \w run + ~2 characters per word
    assert score("東京" * 10).mean_word_length == 5.0
    assert score("中中 a").mean_word_length == 1.5  # as many CJK characters as words: lengths count


def test_bullets_and_repeats_exactly():
    assert score("X marks the spot\nplain line").bullet_line_ratio == 0.0
    assert score("• one\n- two\n> three\nfour").bullet_line_ratio == 0.75
    assert score("a line here\na line here").duplicate_line_char_ratio == 0.5
    assert score("a line here\na line here\na line here\nother").duplicate_line_char_ratio == 22 / 38


def test_ascii_byte_counts_equal_the_regex_counts_on_real_articles():
    """`_counts` counts ASCII texts on their bytes; a reference with `re` and `str.split` on the
    Wikinews articles and on every ASCII character (controls and \\x1c-\\x1f included)."""
    import gzip
    import json
    import re
    from pathlib import Path

    from pipeline.stages.quality import _counts

    fixture = Path(__file__).resolve().parent / "fixtures" / "wikinews-300.jsonl.gz"
    with gzip.open(fixture, "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    texts = [t for t in texts if t.isascii()] + ["".join(map(chr, range(128))) * 2, "a_b 12_3\x1c\x1fx\x0b\x0cy", "", "_", "9 "]
    assert len(texts) > 150

    def reference(t):
        words = re.findall(r"\w+", t)
        return len(words), sum(map(len, words)), len(re.findall(r"[^\W\d_]", t)), sum(not c.isspace() for c in t)

    assert [_counts(t) for t in texts] == [reference(t) for t in texts]


# ---------------------------------------------------------------- quality_score (the corpus column)
# Its definition (QualityFilter.quality_score's docstring, the report's glossary): the mean of five
# margins in [0, 1], each 0 at its rejection threshold and 1 where typical prose is: >= 25 x
# min_words words (on a log scale), >= 80 % letters, a mean word length >= 2 from both limits,
# no bullet lines, no repeated lines; rounded to 4 decimals. The expected values below follow
# from that definition and the config's thresholds.

def _signals(**changes) -> QualitySignals:
    """Typical prose: every margin at 1."""
    base = dict(words=25 * CFG.min_words, mean_word_length=CFG.min_mean_word_length + 2.0, alpha_ratio=0.8,
                bullet_line_ratio=0.0, duplicate_line_char_ratio=0.0)
    return QualitySignals(**{**base, **changes})


def test_quality_score_is_one_for_typical_prose_and_stays_one_beyond_it():
    qf = QualityFilter()
    assert qf.quality_score(_signals()) == 1.0
    assert qf.quality_score(_signals(words=1000 * CFG.min_words, alpha_ratio=1.0)) == 1.0


MARGIN_AT_THRESHOLD = {
    "words": CFG.min_words,
    "alpha_ratio": CFG.min_alpha_ratio,
    "mean_word_length": CFG.min_mean_word_length,
    "bullet_line_ratio": CFG.max_bullet_line_ratio,
    "duplicate_line_char_ratio": CFG.max_duplicate_line_char_ratio,
}
MARGIN_HALFWAY = {
    "words": 5 * CFG.min_words,  # log 5 / log 25
    "alpha_ratio": (CFG.min_alpha_ratio + 0.8) / 2,
    "mean_word_length": CFG.min_mean_word_length + 1.0,
    "bullet_line_ratio": CFG.max_bullet_line_ratio / 2,
    "duplicate_line_char_ratio": CFG.max_duplicate_line_char_ratio / 2,
}


@pytest.mark.parametrize("field", sorted(MARGIN_AT_THRESHOLD))
def test_each_margin_is_zero_at_its_threshold_and_one_half_halfway(field):
    qf = QualityFilter()
    assert qf.quality_score(_signals(**{field: MARGIN_AT_THRESHOLD[field]})) == 0.8
    assert qf.quality_score(_signals(**{field: MARGIN_HALFWAY[field]})) == 0.9


def test_word_length_margin_measures_the_nearer_limit():
    qf = QualityFilter()
    assert qf.quality_score(_signals(mean_word_length=CFG.max_mean_word_length - 1.0)) == 0.9
    assert qf.quality_score(_signals(mean_word_length=CFG.max_mean_word_length)) == 0.8


@pytest.mark.parametrize("changes", [
    {"words": 1}, {"alpha_ratio": 0.0}, {"mean_word_length": 40.0}, {"mean_word_length": 1.0},
    {"bullet_line_ratio": 1.0}, {"duplicate_line_char_ratio": 1.0},
])
def test_a_margin_past_its_threshold_is_zero_not_negative(changes):
    assert QualityFilter().quality_score(_signals(**changes)) == 0.8


def test_quality_score_is_rounded_to_four_decimals():
    # words = 2 x min_words: margin log 2 / log 25 = 0.21533..., mean (0.21533 + 4) / 5 = 0.843066...
    assert QualityFilter().quality_score(_signals(words=2 * CFG.min_words)) == round((math.log(2) / math.log(25) + 4) / 5, 4) == 0.8431


def test_a_disabled_rule_gives_a_full_margin():
    qf = QualityFilter(QualityConfig(min_words=0, max_bullet_line_ratio=0.0, max_duplicate_line_char_ratio=0.0))
    typical = _signals(words=3, bullet_line_ratio=0.5, duplicate_line_char_ratio=0.5)
    assert qf.quality_score(typical) == 1.0
    assert qf.quality_score(_signals(words=0, bullet_line_ratio=0.5)) == 0.8


def test_kept_documents_carry_their_quality_score():
    """The filter records the score it computes in the document's meta (the corpus column)."""
    text = " ".join(tag(i) for i in range(30 * CFG.min_words)) + "."
    outcome = QualityFilter().apply(Document(id="d", source="t", text=text))
    assert outcome.doc is not None
    recorded = float(outcome.doc.meta["quality_score"])  # meta holds strings: "0.9500"
    # 4-letter words: 1.5 above the minimum mean length, so that margin is 0.75, the rest 1.
    assert recorded == QualityFilter().quality_score(score(text)) == 0.95
