"""A small learned line scorer: logistic regression over hashed character n-grams of the
lowercased line plus the shape signals of `lines.measure` (length, sentence shape, stop words,
overlap with the rest of the document, position, link / letter / capital shares).

Trained by `benchmarks/train_line_model.py` (plain numpy; chrome/spam lines from the tune,
holdout and tune2 injection families vs ground-truth article lines); the weights ship as
`line_model.npz` next to this module. The n-gram hash is a fixed 64-bit polynomial over code
points with a final mix (stable across processes and Python versions; not the salted hash()).

`LineModel.predict` scores many lines in a handful of vectorised numpy passes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.stages.lines import Line

MODEL_PATH = Path(__file__).with_name("line_model.npz")
BITS = 18
NGRAMS = (3, 4, 5)
MAX_CHARS = 200  # longer lines are cut for the n-grams (the model only sees short-to-medium lines)
_P = np.uint64(0x100000001B3)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_SALT = {n: np.uint64(0x9E3779B97F4A7C15 * n & 0xFFFFFFFFFFFFFFFF) for n in NGRAMS}
N_DENSE = 16


def dense_features(ln: Line) -> list[float]:
    t = ln.text
    nch = max(len(t), 1)
    digits = sum(ch.isdigit() for ch in t)
    edge = min(ln.position, 1.0 - ln.position)
    return [
        min(np.log1p(ln.n_words) / 3.0, 1.5),
        float(ln.ends_sentence),
        float(ln.sentence_like),
        ln.stop_ratio,
        ln.url_share,
        ln.alpha_share,
        ln.title_share,
        float(ln.bullet),
        float(ln.isolated),
        ln.overlap,
        float(edge < 0.1),
        digits / nch,
        min(len(t), 400) / 200.0,
        float(":" in t),
        float("|" in t),
        1.0,  # bias
    ]


def hashed_grams(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bucket per gram, line index per gram, grams per line) for the lowercased texts."""
    padded = [" " + t.lower()[:MAX_CHARS] + " " for t in texts]
    lens = np.fromiter((len(s) for s in padded), dtype=np.int64, count=len(padded))
    if not len(padded):
        e = np.zeros(0, dtype=np.int64)
        return e, e, e
    cp = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    owner = np.repeat(np.arange(len(padded)), lens)
    buckets, owners = [], []
    mask_bits = np.uint64((1 << BITS) - 1)
    with np.errstate(over="ignore"):
        for n in NGRAMS:
            if len(cp) < n:
                continue
            m = len(cp) - n + 1
            h = np.zeros(m, dtype=np.uint64)
            for k in range(n):
                h = h * _P + cp[k:k + m]
            ok = owner[:m] == owner[n - 1:n - 1 + m]
            h = h[ok] ^ _SALT[n]
            h ^= h >> np.uint64(31)
            h *= _M1
            h ^= h >> np.uint64(29)
            buckets.append((h & mask_bits).astype(np.int64))
            owners.append(owner[:m][ok])
    b = np.concatenate(buckets) if buckets else np.zeros(0, dtype=np.int64)
    o = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
    counts = np.bincount(o, minlength=len(padded))
    return b, o, counts


class LineModel:
    def __init__(self, w_hash: np.ndarray, w_dense: np.ndarray) -> None:
        self.w_hash = w_hash.astype(np.float32)
        self.w_dense = w_dense.astype(np.float32)

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> "LineModel":
        with np.load(path) as z:
            return cls(z["w_hash"], z["w_dense"])

    def logits(self, lines: list[Line]) -> np.ndarray:
        if not lines:
            return np.zeros(0)
        b, o, counts = hashed_grams([ln.text for ln in lines])
        norm = 1.0 / np.sqrt(np.maximum(counts, 1))
        s = np.bincount(o, weights=self.w_hash[b], minlength=len(lines)) * norm
        d = np.array([dense_features(ln) for ln in lines], dtype=np.float32)
        return s + d @ self.w_dense

    def predict(self, lines: list[Line]) -> np.ndarray:
        z = self.logits(lines)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
