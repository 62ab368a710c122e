"""A learned lexical score per line: how much the words and word pairs of a line are those of
page chrome, by logistic-regression weights fitted on real labelled pages (WCXB dev).

Each line's words are the content features' own (`\\w+`, lowercased; one Han, kana or Thai
character a word), hashed with CRC-32 into `BUCKETS` buckets, word pairs within the line too.
The score is the intercept plus the mean weight of the line's unigrams and bigrams (the logistic
regression saw each line's bucket counts divided by their sum), a logit: high for content.
Nothing here names a word: the weights are learned (`benchmarks/train_content_model.py`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

BUCKETS = 1 << 17
_MASK = np.uint64(BUCKETS - 1)
_PAIR = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier: a pair hashes unlike either word


def word_hashes(vocab: pa.Array) -> np.ndarray:
    """CRC-32 of each distinct lowercased word's UTF-8 (the same in every process, unlike hash())."""
    return np.fromiter((zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in vocab.to_pylist()),
                       dtype=np.uint64, count=len(vocab))


def line_ngrams(word_hash: np.ndarray, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bucket and line of every unigram and every bigram (two consecutive words of one line),
    from each word's hash and line (`parent`, non-decreasing)."""
    pairs = parent[1:] == parent[:-1] if len(parent) else np.zeros(0, dtype=bool)
    with np.errstate(over="ignore"):  # wrap-around multiplication is the hash
        pair_hash = word_hash[:-1][pairs] * _PAIR + word_hash[1:][pairs]
    buckets = np.concatenate([word_hash & _MASK, (pair_hash >> np.uint64(20)) & _MASK]).astype(np.int64)
    owner = np.concatenate([parent, parent[:-1][pairs]]).astype(np.int64)
    return buckets, owner


# A page is read by the lexical score only when at least this share of its words are words the
# regression was trained on (`LexicalModel.known`); other pages (in languages the training pages
# do not hold: WCXB dev is English) are scored by the forest without it. Half: not tuned (the
# training pages are all above it), the point where most of what a line says is known.
MIN_COVERAGE = 0.5


@dataclass(frozen=True)
class LexicalModel:
    """Weight per bucket and intercept of the fitted logistic regression, and the CRC-32 of the
    words it was trained on (seen at least a few times), sorted."""

    weights: np.ndarray  # float32, BUCKETS
    intercept: float
    known: np.ndarray  # uint64, sorted

    @classmethod
    def from_arrays(cls, z, prefix: str = "lex_") -> "LexicalModel | None":
        if f"{prefix}weights" not in z.files:
            return None
        return cls(z[f"{prefix}weights"].astype(np.float32), float(z[f"{prefix}intercept"]),
                   z[f"{prefix}known"].astype(np.uint64))

    def coverage(self, vocab_hash: np.ndarray, word_id: np.ndarray, page: np.ndarray, n_pages: int) -> np.ndarray:
        """Share of each page's words that are known words (0 for a page without words), from
        the hashes of the distinct words (`vocab_hash`), each word's index in them and page."""
        if len(self.known):  # looked up once per distinct word, not per occurrence
            at = np.minimum(np.searchsorted(self.known, vocab_hash), len(self.known) - 1)
            known = (self.known[at] == vocab_hash)[word_id]
        else:
            known = np.zeros(len(word_id), bool)
        return np.bincount(page, weights=known, minlength=n_pages) / np.maximum(np.bincount(page, minlength=n_pages), 1)

    def scores(self, word_hash: np.ndarray, parent: np.ndarray, n_lines: int) -> np.ndarray:
        """Logit of each of `n_lines` lines (a line without words: the intercept alone)."""
        buckets, owner = line_ngrams(word_hash, parent)
        total = np.bincount(owner, weights=self.weights[buckets].astype(np.float64), minlength=n_lines)
        count = np.bincount(owner, minlength=n_lines)
        return self.intercept + total / np.maximum(count, 1)
