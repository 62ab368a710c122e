"""Line features for the content model: the shape of each line and of the lines around it.

No vocabulary decides here. Every feature measures shape (length, sentence end, case, digits,
symbols, links), function-word density (a small multilingual stop-word list, or on a page in a
language it does not cover the page's own most frequent short words; and those frequent words
in any case), repetition inside the document, and position; each is then also measured over
the neighbouring lines, and against the document's long prose lines, because chrome and
content come in blocks.

`page_features` computes them for many pages at once: the lines of a whole batch of documents
go through Arrow's string kernels and NumPy as flat arrays (no Python loop per line or word),
which is what makes the boilerplate stage cheap on a crawl (issue 13). `line_features` is the
same for one page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.stages.lexical import LexicalModel, word_hashes
from pipeline.stages.lines import CJK_CHARS, STOPWORDS
from pipeline.stages.feature_kernels import LineScan, ranks_in_page, scan_lines, window_means, word_groups

# Scripts written without spaces between words (Han, kana, Thai): there a `\w+` run is a
# whole clause, so each of their characters counts as a word of its own; the page's own
# frequent "words" then find its particles as they find English function words.
_NOSPACE = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0e7f]"
_WORD = re.compile(rf"(?={_NOSPACE})\w|(?:(?!{_NOSPACE})\w)+")
_SEPARATORS = "[|•·»›/>–—:]"
_SENTENCE_END = pa.array(list(".!?…。！？؟"))
_CLOSERS = "\"'”’»)]*"
# Characters counted per line, by plain regex character classes.
COUNTED = {"digits": "[0-9]", "commas": "[,]", "spaces": "[ ]", "separators": _SEPARATORS, "cjk": CJK_CHARS,
           "nospace": _NOSPACE}
_SOLO = list(COUNTED).index("nospace")  # the compiled scan's class of one-character words
_STOPWORDS = pa.array(sorted(STOPWORDS))
# A page where fewer of the words are in the stop-word list is in a language the list does not
# cover (Korean, Japanese, Indonesian... pages: 0.00-0.06; English ones: 0.10-0.40, below 0.03
# for 0.2 % of WCXB dev's whole pages): its function words are then its own frequent words.
STOP_COVERAGE = 0.03
STOP_COVERAGE_WORDS = 50  # a shorter page says too little about its language
_BULLET = r"^(?:[•·*\-–—▪►●○◦■□➤>»›✓✔]|\(?\d{1,3}[.)/]\s)"
# A batch of this many lines (a shard of plain-text articles) takes the compiled kernels (words
# here, the tree walk in content_model): they cost numba's import and first kernel load once,
# ~0.6 s CPU in a fresh process, and save ~40 us per line after. Smaller batches take the
# bit-identical Python / NumPy paths until the process has featurised COMPILED_AFTER_ROWS lines
# in all: by then the slow path has cost what the load costs (ski rental), so a crawl of small
# HTML shards switches after a few shards, and a page cleaned on its own never loads numba.
COMPILED_MIN_ROWS = 5000
COMPILED_AFTER_ROWS = 15000
_rows_scored = 0


def compiled_pays(rows: int) -> bool:
    """Whether a batch of `rows` lines takes the compiled kernels. (Process-wide on purpose,
    like a cache: it changes cost, never a result.)"""
    return rows >= COMPILED_MIN_ROWS or _rows_scored >= COMPILED_AFTER_ROWS


def _count_rows(rows: int) -> None:
    global _rows_scored
    _rows_scored += rows


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
# The learned lexical score (`lexical.py`) of the line and its page's coverage, after `NAMES` in
# the content model's rows (the page model reads `NAMES` alone). The line's own score only: a
# neighbour's would carry an injected menu's low score onto the paragraph beside it.
LEXICAL_NAMES = ("lexical", "lexical_coverage@page")
_COL = {name: j for j, name in enumerate(BASE)}


class _Pages:
    """Where each line of the flat batch sits: its page, the page's first and end line."""

    def __init__(self, sizes: np.ndarray) -> None:
        self.sizes = sizes
        self.ends = np.cumsum(sizes)
        self.starts = self.ends - sizes
        self.page = np.repeat(np.arange(len(sizes)), sizes)
        self.first = self.starts[self.page]
        self.end = self.ends[self.page]
        self.local = np.arange(int(self.ends[-1]) if len(sizes) else 0) - self.first

    def total(self, values: np.ndarray) -> np.ndarray:
        """Per-page sum of a per-line column."""
        return np.bincount(self.page, weights=values, minlength=len(self.sizes))

    def cumsum_before(self, values: np.ndarray) -> np.ndarray:
        """For each line, the sum of `values` over the earlier lines of its page."""
        c = np.cumsum(values, dtype=np.float64)
        return c - values - (c[self.first] - values[self.first])


@dataclass(frozen=True)
class Words:
    """Every word of a batch of lines, flat: the distinct lowercased words (`vocab`), each
    word's index in it and each word's line."""

    vocab: pa.Array
    word_id: np.ndarray
    parent: np.ndarray


def _group_count(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count of each element's key, inverse index, first occurrence of each unique key)."""
    uniq, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    return counts[inverse], inverse, first


def _words(texts: Sequence[str], scan: LineScan | None) -> tuple[pa.Array, np.ndarray]:
    """Every word (`_WORD`: `\\w+`, or one Han / kana / Thai character) of every line, flat,
    with the index of its line: from the compiled scan of a big batch, else from Python's regex
    engine (Arrow's RE2 compiles a Unicode word class anew on every call, ~5 ms, which a page
    cleaned on its own cannot afford), each line's words travelling to Arrow joined by a
    separator no word contains, and one literal split making the flat array."""
    if scan is not None:
        return scan.words, scan.parent
    joined = pa.array(["\x1f".join(_WORD.findall(t)) for t in texts], type=pa.large_string())
    pieces = pc.split_pattern(joined, "\x1f")
    parent = pc.list_parent_indices(pieces).to_numpy()
    flat = pc.list_flatten(pieces)
    nonempty = pc.greater(pc.utf8_length(flat), 0)  # a line without words gives one ""
    return flat.filter(nonempty), parent[nonempty.to_numpy(zero_copy_only=False)]


def _word_features(texts: Sequence[str], scan: LineScan | None, pages: _Pages,
                   n: int) -> tuple[dict[str, np.ndarray], "Words"]:
    """Per-line sums over the line's words: tokens, letters, title and upper case, function
    words (`_stop_words`), the page's frequent words, words shared with other lines of the page;
    and the words themselves (for the lexical score)."""
    words, parent = _words(texts, scan)
    per_line = lambda w: np.bincount(parent, weights=w, minlength=n)  # noqa: E731
    # Each distinct spelling is measured once and its figures taken back to every occurrence (a
    # shard of 2,000 news articles: 33k spellings among 506k words); `vocab` holds each distinct
    # lowercased word.
    spelled = pc.dictionary_encode(words)
    spelling = spelled.indices.to_numpy().astype(np.int64)
    forms = spelled.dictionary
    as_np = lambda a: a.to_numpy(zero_copy_only=False)  # noqa: E731
    length = pc.utf8_length(forms).to_numpy().astype(np.float64)[spelling]
    title = as_np(pc.utf8_is_upper(pc.utf8_slice_codeunits(forms, 0, 1)))[spelling]
    upper = as_np(pc.utf8_is_upper(forms))[spelling] & (length > 1)
    lowered = pc.dictionary_encode(pc.utf8_lower(forms))
    word_id = lowered.indices.to_numpy().astype(np.int64)[spelling]
    vocab = lowered.dictionary
    page = pages.page[parent]
    # A big batch counts in one compiled pass; a small one sorts (same counts, tested).
    found = word_groups(word_id, parent, page) if scan is not None else None
    if found is not None:
        in_page, in_line, key_inverse, key_first = found
    else:
        size = len(vocab) or 1
        in_page, key_inverse, key_first = _group_count(page * size + word_id)
        in_line, _, _ = _group_count(parent * size + word_id)
    page_words = np.bincount(page, minlength=len(pages.sizes))
    frequent = _frequent(page, in_page, key_inverse, key_first, length, vocab, word_id, page_words,
                         keys_in_order=found is not None)
    stop = _stop_words(vocab, word_id, frequent, page, page_words)
    return {
        "tokens": per_line(np.ones(len(parent))),
        "letters_digits": per_line(length),
        "title": per_line(title),
        "upper": per_line(upper),
        "stop": per_line(stop),
        "frequent": per_line(frequent),
        "shared": per_line(in_page > in_line),
    }, Words(vocab, word_id, parent)


def _stop_words(vocab: pa.Array, word_id: np.ndarray, frequent: np.ndarray, page: np.ndarray,
                page_words: np.ndarray) -> np.ndarray:
    """Whether each word is a function word: in the stop-word list, or on a page of at least
    `STOP_COVERAGE_WORDS` words that the list does not cover (`STOP_COVERAGE`) one of the page's
    own frequent words, so that prose in any language measures as prose. (`vocab`: the distinct
    lowercased words, `word_id` each word's index in it.)"""
    listed = pc.is_in(vocab, value_set=_STOPWORDS).to_numpy(zero_copy_only=False)[word_id]
    coverage = np.bincount(page, weights=listed, minlength=len(page_words)) / np.maximum(page_words, 1)
    uncovered = (coverage < STOP_COVERAGE) & (page_words >= STOP_COVERAGE_WORDS)
    return np.where(uncovered[page], frequent, listed)


def _frequent(page: np.ndarray, in_page: np.ndarray, key_inverse: np.ndarray, key_first: np.ndarray,
              length: np.ndarray, vocab: pa.Array, word_id: np.ndarray, page_words: np.ndarray,
              keys_in_order: bool = False) -> np.ndarray:
    """Whether each word is one of its page's own function words: among the page's k most
    frequent words (ties by first occurrence), at most 6 characters and not a number, with
    k = 8..40 growing with the page's word count (`page_words`, per page). `keys_in_order`: the
    (page, word) keys are numbered by page, then first occurrence (`word_groups`), so a compiled
    stable sort per page ranks them."""
    n_keys = len(key_first)
    if n_keys == 0:
        return np.zeros(0, dtype=bool)
    key_page, key_count = page[key_first], in_page[key_first]
    rank = ranks_in_page(key_page, key_count) if keys_in_order else None
    if rank is None:
        order = np.lexsort((key_first, -key_count, key_page))
        first_key_of_page = np.searchsorted(key_page[order], np.arange(len(page_words)))
        rank = np.empty(n_keys, dtype=np.int64)
        rank[order] = np.arange(n_keys) - first_key_of_page[key_page[order]]
    k = np.clip(page_words // 25, 8, 40)
    digit = pc.utf8_is_decimal(vocab).to_numpy(zero_copy_only=False)
    is_frequent = (rank < k[key_page]) & (length[key_first] <= 6) & ~digit[word_id[key_first]]
    return is_frequent[key_inverse]


def _class_counts(lines: pa.Array, scan: LineScan | None) -> dict[str, np.ndarray]:
    """Characters of each class of `COUNTED` per line: from the compiled scan, else Arrow."""
    if scan is not None:
        return {name: scan.counts[:, k].astype(np.float64) for k, name in enumerate(COUNTED)}
    return {name: pc.count_substring_regex(lines, char_class).to_numpy(zero_copy_only=False).astype(np.float64)
            for name, char_class in COUNTED.items()}


def _has_link(texts: Sequence[str]) -> np.ndarray:
    """A URL or an e-mail address on the line. (Python's substring search is a third of the
    cost of Arrow's `match_substring` here, four of which it took.)"""
    found = (("://" in t) or ("www." in t) or ("@" in t and "." in t) for t in texts)
    return np.fromiter(found, dtype=np.float64, count=len(texts))


def _line_shape(texts: Sequence[str], lines: pa.Array, scan: LineScan | None) -> dict[str, np.ndarray]:
    """Per-line counts and flags read straight off the line's characters."""
    as_np = lambda a: a.to_numpy(zero_copy_only=False).astype(np.float64)  # noqa: E731
    last = pc.utf8_slice_codeunits(pc.utf8_rtrim(lines, characters=_CLOSERS), -1)
    return {
        "chars": as_np(pc.utf8_length(lines)),
        **_class_counts(lines, scan),
        "ends_sentence": as_np(pc.is_in(last, value_set=_SENTENCE_END)),
        "ends_colon": as_np(pc.equal(last, ":")),
        "bullet": as_np(pc.match_substring_regex(lines, _BULLET)),
        "link": _has_link(texts),
    }


def _base(texts: Sequence[str], pages: _Pages) -> tuple[np.ndarray, Words]:
    n = len(texts)
    lines = pa.array(texts, type=pa.large_string())
    # A big batch is scanned once by a compiled kernel (words and class counts); a small one
    # by Python's regex and Arrow's kernels. Same features either way (tested).
    _count_rows(n)
    scan = scan_lines(lines, tuple(COUNTED.values()), _SOLO) if compiled_pays(n) else None
    s = _line_shape(texts, lines, scan)
    w, words = _word_features(texts, scan, pages, n)
    chars, tokens = s["chars"], w["tokens"]
    # Words as a reader counts them (~2 characters each in CJK text) for the length features;
    # shares of the line's words are taken over the words found (single characters there).
    n_words = np.where(s["cjk"] > 0, np.maximum(tokens - s["nospace"], s["cjk"] // 2), tokens)
    nw = np.maximum(n_words, 1)
    per_word = np.maximum(np.where(s["nospace"] > 0, tokens, n_words), 1)
    letters = w["letters_digits"] - s["digits"]
    longest = np.maximum(np.maximum.reduceat(chars, pages.starts), 1) if n else np.zeros(0)
    line_id = pc.dictionary_encode(lines).indices.to_numpy().astype(np.int64)
    repeats, _, _ = _group_count(pages.page * n + line_id)
    per_char = np.maximum(chars, 1)
    cols = {
        "log_chars": np.log1p(chars), "log_words": np.log1p(n_words), "rel_chars": chars / longest[pages.page],
        "ends_sentence": s["ends_sentence"], "ends_colon": s["ends_colon"], "commas_per_word": s["commas"] / nw,
        "title_share": w["title"] / per_word, "upper_share": w["upper"] / per_word, "digit_share": s["digits"] / per_char,
        "symbol_share": (chars - letters - s["digits"] - s["spaces"]) / per_char, "separators": s["separators"],
        "bullet": s["bullet"], "link": s["link"], "avg_word_len": letters / np.maximum(tokens, 1),
        "stop_share": w["stop"] / per_word, "frequent_share": w["frequent"] / per_word, "shared_share": w["shared"] / per_word,
        "repeats": np.log(repeats), "is_long": (n_words >= LONG_WORDS) & (s["ends_sentence"] > 0),
        "cjk_share": s["cjk"] / per_char,
    }
    return np.column_stack([cols[name] for name in BASE]).astype(np.float32), words


def _window_means(cols: np.ndarray, pages: _Pages) -> list[np.ndarray]:
    """Mean of each column over lines i+a .. i+b of the same page, per window of `WINDOWS`
    (clipped at the page's ends; 0 where the window is empty). Sums are taken line by line
    over the window, never as differences of running sums over the batch, so a page's values
    never depend on which other pages share its batch. A big batch takes the compiled kernel
    (the same sums in the same order, tested)."""
    found = window_means(cols, pages.first, pages.end, WINDOWS) if compiled_pays(len(cols)) else None
    if found is not None:
        return found
    idx = np.arange(len(cols))
    out = []
    for a, b in WINDOWS:
        total = np.zeros(cols.shape, dtype=np.float64)
        for k in range(a, b + 1):
            j = idx + k
            inside = (j >= pages.first) & (j < pages.end)
            total += np.where(inside[:, None], cols[np.clip(j, 0, len(cols) - 1)], 0.0)
        lo = np.clip(idx + a, pages.first, pages.end)
        hi = np.clip(idx + b + 1, pages.first, pages.end)
        width = (hi - lo)[:, None]
        out.append(np.where(width > 0, total / np.maximum(width, 1), 0.0))
    return out


def _distance_to_long(long_mask: np.ndarray, pages: _Pages) -> tuple[np.ndarray, np.ndarray]:
    """Lines to the nearest long line strictly before / after each line in its page (the
    page's line count when there is none)."""
    n = len(long_mask)
    idx = np.arange(n)
    last = np.maximum.accumulate(np.where(long_mask, idx, -1))
    prev = np.concatenate(([-1], last[:-1]))
    size = pages.sizes[pages.page].astype(np.float64)
    before = np.where(prev >= pages.first, idx - prev, size)
    nxt_rev = np.maximum.accumulate(np.where(long_mask[::-1], idx, -1))  # in reversed positions
    nxt = n - 1 - np.concatenate(([-1], nxt_rev[:-1]))[::-1]
    after = np.where(nxt < pages.end, nxt - idx, size)
    return before, after


def _positional(base: np.ndarray, pages: _Pages) -> list[np.ndarray]:
    long_mask = base[:, _COL["is_long"]] > 0
    log_words = base[:, _COL["log_words"]].astype(np.float64)
    words = np.rint(np.expm1(log_words))  # whole counts: running sums over the batch stay exact
    long_words = np.where(long_mask, words, 0.0)
    total_long = pages.total(long_words)[pages.page]
    total_long = np.where(total_long > 0, total_long, 1.0)
    before = pages.cumsum_before(long_words) / total_long
    dist_before, dist_after = _distance_to_long(long_mask, pages)
    size = pages.sizes[pages.page]
    max_log_words = np.maximum.reduceat(log_words, pages.starts)[pages.page]
    return [
        pages.local / np.maximum(size - 1, 1),
        before,
        1.0 - before - long_words / total_long,
        np.log1p(dist_before.astype(np.float32)),
        np.log1p(dist_after.astype(np.float32)),
        np.log1p(size),
        (pages.total(long_mask.astype(np.float64)) / pages.sizes)[pages.page],
        np.log1p(pages.total(words))[pages.page],
        max_log_words,
    ]


def page_features(pages: Sequence[Sequence[str]], lexical: LexicalModel | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Features of every line of many pages at once: (rows of `NAMES`, line count per page);
    with a `lexical` model, rows of `NAMES + LEXICAL_NAMES`. Each page is its non-blank,
    stripped lines in order; rows follow pages, then lines."""
    sizes = np.fromiter((len(p) for p in pages), dtype=np.int64, count=len(pages))
    width = len(NAMES) + (len(LEXICAL_NAMES) if lexical is not None else 0)
    if not sizes.sum():
        return np.zeros((0, width), dtype=np.float32), sizes
    keep = sizes > 0
    layout = _Pages(sizes[keep])
    base, words = _base([ln for p in pages for ln in p], layout)
    context = _window_means(base[:, [_COL[f] for f in CONTEXT]].astype(np.float64), layout)
    columns = [base, *context, *_positional(base, layout)]
    if lexical is not None:
        vocab_hash = word_hashes(words.vocab)
        word_hash = vocab_hash[words.word_id]
        coverage = lexical.coverage(vocab_hash, words.word_id, layout.page[words.parent], len(layout.sizes))[layout.page]
        columns += [lexical.scores(word_hash, words.parent, len(base)), coverage]
    return np.column_stack(columns).astype(np.float32), sizes


def lexical_columns(scores: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """The `LEXICAL_NAMES` rows from the lines' scores and their pages' coverage (one value per line)."""
    return np.column_stack([scores, coverage]).astype(np.float32)


def page_words(pages: Sequence[Sequence[str]]) -> tuple[Words, np.ndarray]:
    """The words of many pages' lines (as the features find them) and each page's line count."""
    sizes = np.fromiter((len(p) for p in pages), dtype=np.int64, count=len(pages))
    layout = _Pages(sizes[sizes > 0])
    return _base([ln for p in pages for ln in p], layout)[1], sizes


def line_features(lines: Sequence[str], lexical: LexicalModel | None = None) -> np.ndarray:
    """One row of features per (non-blank, stripped) line of one page (see `page_features`)."""
    return page_features([lines], lexical)[0]


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
