"""quality: document-level filters in the Gopher/C4/FineWeb family, tuned to keep short news.

`score(text)` measures signals; `QualityFilter.apply` compares them with config thresholds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from pipeline.core.document import Document, Outcome
from pipeline.core.registry import StageSpec
from pipeline.stages.language import UNSPACED, identify
from pipeline.stages.lines import CJK

NAME = "quality"
VERSION = "quality_v3"  # v3: language identified, kept documents carry it; v2: quality_score (issue 15)

_WORD = re.compile(r"\w+", re.UNICODE)
_DIGIT_US = re.compile(r"[\d_]", re.UNICODE)


class QualityConfig(BaseModel):
    """Thresholds; a document failing any one is rejected with that signal as the reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Real wire briefs can be ~25 words; below this it is a stub, a caption or a nav page.
    min_words: int = Field(20, ge=0)
    max_words: int = Field(200_000, ge=1)
    # Gopher: mean word length outside [3, 10] means code, tables of numbers or hash soup.
    min_mean_word_length: float = 2.5
    max_mean_word_length: float = 12.0
    # Share of non-space characters that are letters; junk is digits and symbols.
    min_alpha_ratio: float = Field(0.5, ge=0, le=1)
    # Gopher: share of lines that are bullets; a document that is all list is navigation.
    # 0.95 (was 0.9): on WCXB/trafilatura-eval, real list articles reach 0.91-0.94.
    max_bullet_line_ratio: float = Field(0.95, ge=0, le=1)
    # Share of characters in lines that repeat elsewhere in the same document. 0.6 (was 0.5):
    # an AEB news page (recipe lists) and two WCXB pages at 0.52-0.57 match their ground truth
    # at F1 >= 0.99; the boilerplate stage already removes repeated prose sentences.
    max_duplicate_line_char_ratio: float = Field(0.6, ge=0, le=1)


@dataclass(frozen=True, slots=True)
class QualitySignals:
    words: int
    mean_word_length: float
    alpha_ratio: float
    bullet_line_ratio: float
    duplicate_line_char_ratio: float
    language: str | None = None  # `language.identify`; None when undecided


# ASCII text is counted on its bytes with C-level `bytes.translate` (no object per word): the
# same \w, letter and whitespace sets as `re` and `str.split` give on ASCII (tested equal).
_ASCII = bytes(range(128))
_WORD_BYTES = frozenset(b for b in _ASCII if chr(b).isalnum() or b == ord("_"))
_TO_RUNS = bytes.maketrans(_ASCII, bytes(ord("a") if b in _WORD_BYTES else ord(" ") for b in _ASCII))
_NOT_WORD = bytes(b for b in _ASCII if b not in _WORD_BYTES)
_NOT_LETTER = bytes(b for b in _ASCII if not chr(b).isalpha())
_SPACE = bytes(b for b in _ASCII if chr(b).isspace())


def _counts(text: str) -> tuple[int, int, int, int]:
    """(`\\w+` runs, `\\w` characters, letters, non-space characters) of `text`."""
    if text.isascii():
        b = text.encode("ascii")
        runs = b.translate(_TO_RUNS)
        n_runs = runs.count(b" a") + runs.startswith(b"a")
        return n_runs, len(b.translate(None, _NOT_WORD)), len(b.translate(None, _NOT_LETTER)), len(b.translate(None, _SPACE))
    words = _WORD.findall(text)
    word_chars = "".join(words)  # every \w character of the text, in one string
    non_space = len("".join(text.split()))  # str.split and \s share Unicode's whitespace set
    # Letters = \w characters that are neither digits nor "_" (same set as [^\W\d_]), counted
    # without a match object per letter.
    return len(words), len(word_chars), len(word_chars) - len(_DIGIT_US.findall(word_chars)), non_space


def score(text: str) -> QualitySignals:
    """Measure the signals on one text; pure, no thresholds."""
    n_runs, n_word_chars, alpha, non_space = _counts(text)
    cjk = 0 if text.isascii() else len(CJK.findall(text))
    n_words = n_runs + cjk // 2  # ~2 CJK characters per word
    mean_len = (n_word_chars / n_runs) if n_runs else 0.0
    language, _share = identify(text)
    if language in UNSPACED or (language is None and cjk > n_runs):
        mean_len = 5.0  # word length is meaningless for scripts written without spaces
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    bullets = sum(1 for ln in lines if ln[:1] in "•·*-–—▪►●○◦■□➤>")
    seen: dict[str, int] = {}
    for ln in lines:
        seen[ln] = seen.get(ln, 0) + 1
    dup_chars = sum(len(ln) * (n - 1) for ln, n in seen.items() if n > 1)
    total_chars = sum(len(ln) for ln in lines)
    return QualitySignals(
        words=n_words,
        mean_word_length=mean_len,
        alpha_ratio=alpha / non_space if non_space else 0.0,
        bullet_line_ratio=bullets / len(lines) if lines else 0.0,
        duplicate_line_char_ratio=dup_chars / total_chars if total_chars else 0.0,
        language=language,
    )


class QualityFilter:
    """Reject documents that are empty, too short or not prose; never edits text."""

    name = NAME
    version = VERSION

    def __init__(self, config: QualityConfig | None = None) -> None:
        self.config = config or QualityConfig()

    def decide(self, s: QualitySignals) -> str | None:
        c = self.config
        if s.words == 0:
            return "quality:empty"
        if s.words < c.min_words:
            return f"quality:too_short | {s.words} words < {c.min_words}"
        if s.words > c.max_words:
            return f"quality:too_long | {s.words} words > {c.max_words}"
        if s.alpha_ratio < c.min_alpha_ratio:
            return f"quality:not_prose | letters {s.alpha_ratio:.2f} < {c.min_alpha_ratio}"
        if not c.min_mean_word_length <= s.mean_word_length <= c.max_mean_word_length:
            return f"quality:word_length | mean {s.mean_word_length:.1f}"
        if s.bullet_line_ratio > c.max_bullet_line_ratio:
            return f"quality:list_page | bullets {s.bullet_line_ratio:.2f}"
        if s.duplicate_line_char_ratio > c.max_duplicate_line_char_ratio:
            return f"quality:repetitive | {s.duplicate_line_char_ratio:.2f} of chars repeated"
        return None

    def quality_score(self, s: QualitySignals) -> float:
        """One number per kept document for ranking and sampling: the mean of five margins in
        [0, 1], each 0 at its rejection threshold and 1 where typical prose is (>= 25 x min_words
        words, >= 80 % letters, mean word length >= 2 away from both limits, no bullets, no
        repeated lines)."""
        import math

        c = self.config

        def clip(x: float) -> float:
            return min(1.0, max(0.0, x))

        words = clip(math.log(s.words / c.min_words) / math.log(25)) if c.min_words and s.words else float(s.words > 0)
        alpha = clip((s.alpha_ratio - c.min_alpha_ratio) / max(0.8 - c.min_alpha_ratio, 1e-9))
        wl = clip(min(s.mean_word_length - c.min_mean_word_length, c.max_mean_word_length - s.mean_word_length) / 2.0)
        bullets = clip(1 - s.bullet_line_ratio / c.max_bullet_line_ratio) if c.max_bullet_line_ratio else 1.0
        dup = clip(1 - s.duplicate_line_char_ratio / c.max_duplicate_line_char_ratio) if c.max_duplicate_line_char_ratio else 1.0
        return round((words + alpha + wl + bullets + dup) / 5, 4)

    def apply(self, doc: Document) -> Outcome:
        signals = score(doc.text)
        reason = self.decide(signals)
        if reason:
            return Outcome.drop(reason)
        meta = {"quality_score": f"{self.quality_score(signals):.4f}"}
        if signals.language:
            meta["language"] = signals.language
        return Outcome.keep(doc.with_meta(**meta))


# Reason codes this stage emits (document rejections; the measured value follows " | ").
REASONS = {
    "quality:empty": "no text left after the line stages",
    "quality:too_short": "fewer words than quality.min_words",
    "quality:too_long": "more words than quality.max_words",
    "quality:not_prose": "too small a share of letters (tables of numbers, symbols, code)",
    "quality:word_length": "mean word length outside the range of prose",
    "quality:list_page": "most lines are bullets: a list or index page, not an article",
    "quality:repetitive": "too large a share of characters in repeated lines",
}

SPEC = StageSpec(NAME, VERSION, QualityConfig, QualityFilter, reasons=REASONS)
