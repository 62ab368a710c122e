"""The page model: which lines of an HTML page's whole-page text are its content.

Scores each line from its text shape (`content_features`), the markup it sat in
(`page_structure`) and how much of it trafilatura's extraction repeats; `extract` attaches the
scores to the document (`SCORES_KEY`), `boilerplate` decides over the page from them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.stages.content_features import NAMES as TEXT_NAMES, line_features
from pipeline.stages.content_model import Trees, decide
from pipeline.stages.page_structure import KINDS, PageText, shared_ngram_share

__all__ = ["NAMES", "PageModel", "SCORES_KEY", "decide_page", "decode_scores", "encode_scores", "page_features"]

WEIGHTS = Path(__file__).with_name("page_model.npz")
# The document annotation (`Document.meta`) carrying each non-blank line's content probability
# from `extract` to `boilerplate`; boilerplate removes it once it has decided.
SCORES_KEY = "page_model_scores"
# Neighbourhoods: a menu is a run of link lines, an article a run of paragraphs.
STRUCTURE_WINDOWS = (1, 3, 10)
OVERLAP_WINDOWS = (1, 3)
# The decision's bars, chosen on grouped 3-fold CV over WCXB dev (folds by domain) by the content
# model's rule, the best whole-page F1 on article pages: 0.9458 (P 0.931, R 0.976) against 0.9451
# for the content model's 0.3 / 0.7 and 0.9454 for 0.5 / 0.7 (a flat optimum; all page types 0.849).
THRESHOLD = 0.4
OUTSIDE_THRESHOLD = 0.8
BLOCK_BASE = 0.3
NAMES = (list(TEXT_NAMES)
         + [f"{k}{'' if r == 0 else f'@{r}'}" for r in (0, *STRUCTURE_WINDOWS) for k in KINDS]
         + [f"{k}@page" for k in KINDS]
         + [f"extracted{'' if r == 0 else f'@{r}'}" for r in (0, *OVERLAP_WINDOWS)] + ["extracted@page"])


def _window_means(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean of each row's neighbours within `radius` rows (fewer at the page's ends)."""
    n = len(values)
    sums = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    i = np.arange(n)
    lo, hi = np.clip(i - radius, 0, n), np.clip(i + radius + 1, 0, n)
    return (sums[hi] - sums[lo]) / (hi - lo)[:, None]


def _with_context(values: np.ndarray, windows: tuple[int, ...]) -> np.ndarray:
    """The columns themselves, their means over each window, and their page means."""
    values = values.astype(np.float64)
    page = np.broadcast_to(values.mean(axis=0, keepdims=True), values.shape)
    return np.hstack([values, *(_window_means(values, r) for r in windows), page])


def page_features(lines: list[str], structure: np.ndarray, extracted: str) -> np.ndarray:
    """One row of `NAMES` per line: text shape, markup kinds, and the share of the line's words
    that `extracted` (trafilatura's text of the same page) repeats."""
    if not lines:
        return np.zeros((0, len(NAMES)), dtype=np.float32)
    overlap = np.array(shared_ngram_share(lines, extracted), dtype=np.float64)[:, None]
    X = np.hstack([line_features(lines), _with_context(structure, STRUCTURE_WINDOWS),
                   _with_context(overlap, OVERLAP_WINDOWS)])
    return X.astype(np.float32)


@dataclass(frozen=True)
class PageModel:
    """Gradient-boosted trees over `NAMES` (benchmarks/train_page_model.py), walked in numpy."""

    trees: Trees

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> "PageModel":
        with np.load(path) as z:
            return cls(Trees.from_arrays(z, "page_"))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probability that each line (a row of `NAMES`) is content."""
        return self.trees.predict(X)

    def score(self, page: PageText, extracted: str) -> np.ndarray:
        """Content probability of each line of `page` (pure, no threshold)."""
        return self.predict(page_features(page.lines, page.structure, extracted))

    def keep(self, page: PageText, extracted: str) -> tuple[np.ndarray, np.ndarray]:
        """Keep mask and content probability of each line of `page` (decided over the page as
        `content_model.decide` does: a main block, a stricter bar outside it)."""
        probs = self.score(page, extracted)
        return decide_page(probs), probs


def decide_page(probs: np.ndarray, threshold: float = THRESHOLD,
                outside_threshold: float = OUTSIDE_THRESHOLD) -> np.ndarray:
    """Keep mask over a page from its lines' page-model scores: the main block (p - BLOCK_BASE),
    `threshold` inside it, `outside_threshold` before and after it."""
    return decide(probs, threshold=threshold, outside_threshold=outside_threshold, block_base=BLOCK_BASE)


def encode_scores(probs: np.ndarray) -> str:
    """Probabilities as a `meta` string: base64 of the float32 values, exact and ~5 chars a line."""
    return base64.b64encode(np.asarray(probs, dtype="<f4").tobytes()).decode("ascii")


def decode_scores(text: str) -> np.ndarray:
    """`encode_scores` read back."""
    return np.frombuffer(base64.b64decode(text.encode("ascii")), dtype="<f4").astype(np.float32)


@lru_cache(maxsize=1)
def shared() -> PageModel:
    """The shipped model, loaded once per process."""
    return PageModel.load()
