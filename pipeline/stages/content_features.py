"""Line features for the content model: the shape of each line and of the lines around it.

No vocabulary decides here. Every feature measures shape (length, sentence end, case, digits,
symbols, links), language-light function-word density (the document's own most frequent words,
plus a small multilingual stop-word list), repetition inside the document, and position; each
is then also measured over the neighbouring lines, and against the document's long prose lines,
because chrome and content come in blocks.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from pipeline.stages.lines import CJK, STOPWORDS

WORD = re.compile(r"\w+")
_DIGITS = str.maketrans("", "", "0123456789")
_SEPARATORS = "|•·»›/>–—:"
_SENTENCE_END = frozenset(".!?…。！？؟")
_CLOSERS = "\"'”’»)]*"
_BULLET_START = frozenset("•·*-–—▪►●○◦■□➤>»›✓✔")
_NUMBERED = re.compile(r"^\(?\d{1,3}[.)/]\s")
# Long lines anchor the main text: at least this many words and a sentence end.
LONG_WORDS = 12

BASE = (
    "log_chars", "log_words", "rel_chars", "ends_sentence", "ends_colon", "commas_per_word", "title_share",
    "upper_share", "digit_share", "symbol_share", "separators", "bullet", "link", "avg_word_len",
    "stop_share", "frequent_share", "shared_share", "repeats", "is_long", "cjk_share",
)
# Base features also averaged over neighbourhoods.
CONTEXT = ("log_words", "ends_sentence", "title_share", "digit_share", "symbol_share", "link", "stop_share",
           "frequent_share", "shared_share", "is_long", "bullet", "repeats")
WINDOWS = ((-1, -1), (1, 1), (-3, -1), (1, 3), (-8, 8))
POSITIONAL = ("position", "long_words_before", "long_words_after", "dist_long_before", "dist_long_after",
              "doc_log_lines", "doc_long_share", "doc_log_words", "doc_max_log_words")
NAMES = BASE + tuple(f"{f}@{a}:{b}" for a, b in WINDOWS for f in CONTEXT) + POSITIONAL


def _frequent_words(counts: Counter, total: int) -> set[str]:
    """The document's own function words: its most frequent short words (any language)."""
    k = max(8, min(40, total // 25))
    return {w for w, _ in counts.most_common(k) if len(w) <= 6 and not w.isdigit()}


def _base_rows(lines: list[str]) -> tuple[np.ndarray, list[list[str]]]:
    tokens = [WORD.findall(ln) for ln in lines]
    lowered = [[w.lower() for w in ws] for ws in tokens]
    counts: Counter = Counter()
    for ws in lowered:
        counts.update(ws)
    total = sum(counts.values())
    frequent = _frequent_words(counts, total)
    line_counts = Counter(lines)
    longest = max((len(ln) for ln in lines), default=1) or 1
    rows = np.zeros((len(lines), len(BASE)), dtype=np.float32)
    for i, ln in enumerate(lines):
        ws, low = tokens[i], lowered[i]
        n_chars = len(ln)
        cjk = len(CJK.findall(ln)) if not ln.isascii() else 0
        n_words = max(len(ws), cjk // 2) if cjk else len(ws)
        nw = max(n_words, 1)
        digits = n_chars - len(ln.translate(_DIGITS))
        letters = sum(len(w) for w in ws) - digits
        stripped = ln.rstrip(_CLOSERS)
        last = stripped[-1:] if stripped else ""
        own = Counter(low)
        rows[i] = (
            math.log1p(n_chars),
            math.log1p(n_words),
            n_chars / longest,
            last in _SENTENCE_END,
            last == ":",
            ln.count(",") / nw,
            sum(1 for w in ws if w[:1].isupper()) / nw,
            sum(1 for w in ws if w.isupper() and len(w) > 1) / nw,
            digits / max(n_chars, 1),
            (n_chars - letters - digits - ln.count(" ")) / max(n_chars, 1),
            sum(ln.count(s) for s in _SEPARATORS),
            ln[:1] in _BULLET_START or bool(_NUMBERED.match(ln)),
            ("://" in ln) or ("www." in ln) or ("@" in ln and "." in ln),
            letters / max(len(ws), 1),
            sum(1 for w in low if w in STOPWORDS) / nw,
            sum(1 for w in low if w in frequent) / nw,
            sum(1 for w in low if counts[w] > own[w]) / nw,
            math.log(line_counts[ln]),
            n_words >= LONG_WORDS and last in _SENTENCE_END,
            cjk / max(n_chars, 1),
        )
    return rows, lowered


def _window_means(col: np.ndarray, a: int, b: int) -> np.ndarray:
    """Mean of `col` over lines i+a .. i+b (clipped at the document's ends; 0 where empty)."""
    n = len(col)
    csum = np.concatenate(([0.0], np.cumsum(col, dtype=np.float64)))
    idx = np.arange(n)
    lo = np.clip(idx + a, 0, n)
    hi = np.clip(idx + b + 1, 0, n)
    width = hi - lo
    out = np.zeros(n, dtype=np.float32)
    ok = width > 0
    out[ok] = (csum[hi[ok]] - csum[lo[ok]]) / width[ok]
    return out


def _distance_to(mask: np.ndarray, forward: bool) -> np.ndarray:
    """Lines to the nearest masked line strictly before (or after) each line; n when none."""
    n = len(mask)
    out = np.full(n, float(n), dtype=np.float32)
    last = None
    order = range(n) if not forward else range(n - 1, -1, -1)
    for i in order:
        if last is not None:
            out[i] = abs(i - last)
        if mask[i]:
            last = i
    return out


def line_features(lines: list[str]) -> np.ndarray:
    """One row of `NAMES` features per (non-blank, stripped) line."""
    n = len(lines)
    if n == 0:
        return np.zeros((0, len(NAMES)), dtype=np.float32)
    base, _ = _base_rows(lines)
    col = {name: base[:, j] for j, name in enumerate(BASE)}
    context = [_window_means(col[f], a, b) for a, b in WINDOWS for f in CONTEXT]
    long_mask = col["is_long"] > 0
    words = np.expm1(col["log_words"])
    long_words = np.where(long_mask, words, 0.0)
    total_long = long_words.sum() or 1.0
    before = (np.cumsum(long_words) - long_words) / total_long
    positional = [
        np.arange(n, dtype=np.float32) / max(n - 1, 1),
        before,
        1.0 - before - long_words / total_long,
        np.log1p(_distance_to(long_mask, forward=False)),
        np.log1p(_distance_to(long_mask, forward=True)),
        np.full(n, math.log1p(n)),
        np.full(n, long_mask.mean()),
        np.full(n, math.log1p(words.sum())),
        np.full(n, col["log_words"].max()),
    ]
    return np.column_stack([base, *context, *positional]).astype(np.float32)


# The decision finds the page's main block from the line probabilities.
def main_span(probs: np.ndarray, base: float = 0.5) -> tuple[int, int]:
    """The run of lines with the largest total (p - base): the page's main block (Kadane)."""
    best, best_span, run, start = -1.0, (0, 0), 0.0, 0
    for i, g in enumerate((probs - base).tolist()):
        if run <= 0:
            run, start = 0.0, i
        run += g
        if run > best:
            best, best_span = run, (start, i + 1)
    return best_span
