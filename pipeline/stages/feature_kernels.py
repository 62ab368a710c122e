"""Compiled kernels of the content features for big batches: one pass over the lines' bytes
(every word, as `content_features` finds them with Python's regex, and per-line counts of the
characters the features count), and the words' counts per page and per line.

The content model's features need the words of a whole shard's lines (~250 per news article)
and a few character counts per line. Python's `re.findall` per line and one Arrow regex pass
per count cost ~50 us per article, a fifth of the boilerplate stage (issue 13). This numba
kernel walks the lines' UTF-8 bytes once, classifying each code point with one table: `\\w` is
dedup's table (`str.isalnum()` or "_"), so the words, their order and their lines are those of
`re.findall(r"\\w+", line)` (or, with a class of one-character words such as Han and kana, of
the regex that splits those off), and each counted class is read off the same regex character
class the Arrow path counts with. Tests compare the two paths on real pages and on any Unicode.

Counting each word's occurrences in its page and its line by sorting (`np.unique`) cost another
~30 us per article; `word_groups` counts them in one pass per page with a vocabulary-sized
scratch table instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache, wraps

import numpy as np
import pyarrow as pa

def _kernel(build):
    """A compiled kernel made once, on first use: `build(jit)` with numba's
    `njit(cache=True, nogil=True)`; None without numba (each caller then takes its Python /
    NumPy path)."""

    @lru_cache(maxsize=1)
    @wraps(build)
    def made():
        try:
            from numba import njit
        except ImportError:  # pragma: no cover - numba is a declared dependency
            return None
        return build(njit(cache=True, nogil=True))

    return made


@dataclass(frozen=True)
class LineScan:
    words: pa.Array  # every word of every line, flat, large_string
    parent: np.ndarray  # the line of each word
    counts: np.ndarray  # (lines, classes): characters of each counted class per line


def class_ranges(char_class: str) -> list[tuple[int, int]]:
    """Code-point ranges [start, end) of a plain regex character class such as "[a-z_]"."""
    body = char_class[1:-1]
    assert char_class[0] == "[" and char_class[-1] == "]" and "\\" not in body and not body.startswith("^")
    return [(ord(m[1]), ord(m[2] or m[1]) + 1) for m in re.finditer(r"(.)(?:-(.))?", body, re.S)]


@lru_cache(maxsize=4)
def class_table(char_classes: tuple[str, ...]) -> np.ndarray:
    """uint8 per code point: bit 0 set for `\\w`, bit k for the k-th of `char_classes`."""
    from pipeline.dedup._kernels import is_word_table

    table = is_word_table().copy()
    for k, char_class in enumerate(char_classes, 1):
        for a, b in class_ranges(char_class):
            table[a:b] |= 1 << k
    return table


@_kernel
def _compiled_scan(jit):
    """The compiled kernel, or None without numba (the caller then uses Python and Arrow)."""
    from pipeline.core.utf8_numba import code_point

    @jit
    def scan(buf, offsets, table, n_classes, solo):  # pragma: no cover - compiled
        n = offsets.shape[0] - 1
        out = np.empty(offsets[n] - offsets[0], dtype=np.uint8)
        out_offs = np.zeros((offsets[n] - offsets[0]) // 2 + n + 2, dtype=np.int64)  # <= 1 word per 2 bytes + 1
        parent = np.empty(out_offs.shape[0], dtype=np.int64)
        counts = np.zeros((n, n_classes), dtype=np.int64)
        o = 0
        m = 0
        for d in range(n):
            i = offsets[d]
            e = offsets[d + 1]
            inside = False
            while i < e:
                cp, ln = code_point(buf, i)
                bits = table[cp]
                if bits & 1:
                    alone = bits & solo  # a word of its own: it closes the open word, and itself
                    if inside and alone:
                        m += 1
                        out_offs[m] = o
                    if not inside or alone:
                        inside = True
                        parent[m] = d
                    for k in range(ln):
                        out[o] = buf[i + k]
                        o += 1
                    if alone:
                        inside = False
                        m += 1
                        out_offs[m] = o
                elif inside:
                    inside = False
                    m += 1
                    out_offs[m] = o
                if bits > 1:
                    for k in range(n_classes):
                        if bits & (2 << k):
                            counts[d, k] += 1
                i += ln
            if inside:
                m += 1
                out_offs[m] = o
        return out[:o], out_offs[:m + 1], parent[:m], counts

    return scan


@_kernel
def compiled_word_groups(jit):
    """The compiled kernel of `word_groups`, or None without numba."""

    @jit
    def groups(word_id, parent, page, vocab):  # pragma: no cover - compiled
        m = word_id.shape[0]
        in_page = np.empty(m, dtype=np.int64)
        in_line = np.empty(m, dtype=np.int64)
        group = np.empty(m, dtype=np.int64)
        first = np.empty(m, dtype=np.int64)
        count = np.zeros(vocab, dtype=np.int64)
        group_of = np.zeros(vocab, dtype=np.int64)
        n_groups = 0
        for span, within_page in ((page, True), (parent, False)):
            i = 0
            while i < m:
                j = i
                while j < m and span[j] == span[i]:
                    j += 1
                for k in range(i, j):
                    w = word_id[k]
                    if within_page and count[w] == 0:
                        group_of[w] = n_groups
                        first[n_groups] = k
                        n_groups += 1
                    count[w] += 1
                for k in range(i, j):
                    w = word_id[k]
                    if within_page:
                        in_page[k] = count[w]
                        group[k] = group_of[w]
                    else:
                        in_line[k] = count[w]
                for k in range(i, j):
                    count[word_id[k]] = 0
                i = j
        return in_page, in_line, group, first[:n_groups]

    return groups


@_kernel
def compiled_window_means(jit):
    """The compiled kernel of `window_means`, or None without numba."""

    @jit
    def means(cols, first, end, offsets):  # pragma: no cover - compiled
        n, m = cols.shape
        out = np.zeros((offsets.shape[0], n, m))
        for q in range(offsets.shape[0]):
            for i in range(n):
                lo = min(max(i + offsets[q, 0], first[i]), end[i])
                hi = min(max(i + offsets[q, 1] + 1, first[i]), end[i])
                if hi <= lo:
                    continue
                for c in range(m):
                    total = 0.0
                    for j in range(lo, hi):
                        total += cols[j, c]
                    out[q, i, c] = total / (hi - lo)
        return out

    return means


def window_means(cols: np.ndarray, first: np.ndarray, end: np.ndarray,
                 windows: tuple[tuple[int, int], ...]) -> list[np.ndarray] | None:
    """Per window (a, b) of `windows`: the mean of each column of `cols` (float64, one row per
    line) over lines i+a .. i+b within [first[i], end[i]) (its page), 0 where that is empty;
    summed line by line in window order, as `content_features._window_means` sums them (lines
    outside the page add +0.0 there, which leaves a sum as it is). None without numba."""
    kernel = compiled_window_means()
    if kernel is None:
        return None
    out = kernel(np.ascontiguousarray(cols, dtype=np.float64), first.astype(np.int64), end.astype(np.int64),
                 np.array(windows, dtype=np.int64).reshape(-1, 2))
    return list(out)


@_kernel
def compiled_ranks(jit):
    """The compiled kernel of `ranks_in_page`, or None without numba."""

    @jit
    def ranks(key_page, key_count):  # pragma: no cover - compiled
        n = key_page.shape[0]
        rank = np.empty(n, dtype=np.int64)
        a = 0
        while a < n:
            b = a
            while b < n and key_page[b] == key_page[a]:
                b += 1
            order = np.argsort(-key_count[a:b], kind="mergesort")  # stable: ties stay in key order
            for r in range(b - a):
                rank[a + order[r]] = r
            a = b
        return rank

    return ranks


def ranks_in_page(key_page: np.ndarray, key_count: np.ndarray) -> np.ndarray | None:
    """Rank of each key among its page's keys by count, highest first, ties in key order, for
    keys numbered as `word_groups` numbers its groups (by page, then first occurrence): the
    order `np.lexsort((key_first, -key_count, key_page))` gives. None without numba."""
    kernel = compiled_ranks()
    if kernel is None:
        return None
    return kernel(key_page.astype(np.int64), key_count.astype(np.int64))


def word_groups(word_id: np.ndarray, parent: np.ndarray, page: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """Per word (ids dense from 0, `parent` its line and `page` its page, both non-decreasing):
    the count of the same word in its page and in its line, the index of its (page, word)
    group, and each group's first word (groups numbered in order of first occurrence). None
    without numba."""
    kernel = compiled_word_groups()
    if kernel is None:
        return None
    vocab = int(word_id.max()) + 1 if len(word_id) else 1
    return kernel(word_id.astype(np.int64), parent.astype(np.int64), page.astype(np.int64), vocab)


def scan_lines(lines: pa.Array, char_classes: tuple[str, ...], solo_class: int | None = None) -> LineScan | None:
    """Words and class counts of `lines` (a large_string array without nulls), or None without
    numba. `char_classes` are plain regex character classes ("[0-9]"), counted per line; each
    word character of the class numbered `solo_class` is a word of its own (the words of
    `(?=[class])\\w|(?:(?![class])\\w)+`), else the words are `\\w+`'s."""
    kernel = _compiled_scan()
    if kernel is None:
        return None
    _validity, offsets_buf, data_buf = lines.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    solo = 0 if solo_class is None else 2 << solo_class
    out, out_offs, parent, counts = kernel(data, offsets, class_table(char_classes), len(char_classes), solo)
    words = pa.LargeStringArray.from_buffers(len(parent), pa.py_buffer(out_offs), pa.py_buffer(out))
    return LineScan(words, parent, counts)
