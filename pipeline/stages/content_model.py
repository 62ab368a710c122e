"""The content model: gradient-boosted trees over line features, walked in numpy, then a
decision over the whole page.

`first` scores each line from its shape, its neighbours' and its position
(`content_features.NAMES`); `line` scores the line's own shape alone (`BASE`), as a second
opinion inside the article block. `ContentModel.predict` gives each line's probability of being
content (pure, no threshold); `decide` applies the thresholds, a stricter one outside the page's
main block.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.stages.content_features import BASE, NAMES, compiled_pays, main_span
from pipeline.stages.lexical import MIN_COVERAGE, LexicalModel

WEIGHTS = Path(__file__).with_name("content_model.npz")
_CJK = BASE.index("cjk_share")
_FIELDS = ("feature", "threshold", "left", "right", "leaf", "value")


@dataclass(frozen=True)
class Trees:
    """Flat arrays of fitted trees: per tree and node the split feature and threshold, the
    children, whether it is a leaf and the leaf value (benchmarks/train_content_model.py)."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray
    baseline: float
    depth: int

    @classmethod
    def from_arrays(cls, z, prefix: str) -> "Trees":
        """Read the arrays `tree_arrays` wrote; every leaf's children are made the leaf itself, so
        a walk takes exactly `depth` steps with no test for having arrived (see `_compiled_walk`)."""
        leaf = z[f"{prefix}leaf"]
        itself = np.broadcast_to(np.arange(leaf.shape[1]), leaf.shape)
        left = np.where(leaf, itself, z[f"{prefix}left"]).astype(np.intp)
        right = np.where(leaf, itself, z[f"{prefix}right"]).astype(np.intp)
        return cls(feature=z[f"{prefix}feature"].astype(np.intp), threshold=z[f"{prefix}threshold"],
                   left=left, right=right, leaf=leaf, value=z[f"{prefix}value"],
                   baseline=float(z[f"{prefix}baseline"]), depth=int(z[f"{prefix}depth"]))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probability of the positive class (content) for each row."""
        X = np.ascontiguousarray(X, dtype=np.float32)
        raw = np.zeros(len(X), dtype=np.float64)
        if len(X):
            _walk(X, self.feature, self.threshold, self.left, self.right, self.value, raw, self.depth)
        return (1.0 / (1.0 + np.exp(-(raw + self.baseline)))).astype(np.float32)


def _walk_numpy(X, feature, threshold, left, right, value, raw, depth) -> None:
    """Add the sum of every tree's leaf value to `raw`: all rows and trees at once, `depth` steps
    down (a leaf is its own child, so a path that reached it stays there), on the flattened node
    arrays (`take` on flat indices costs half of 2-D fancy indexing); the leaf values summed tree
    after tree (cumsum is sequential), in float64, as the compiled walk sums them."""
    n_trees, size = feature.shape
    tree_base = (np.arange(n_trees) * size)[None, :]
    f, th, lo, hi = feature.ravel(), threshold.ravel(), left.ravel(), right.ravel()
    flat_x = X.ravel()
    row_base = (np.arange(len(X)) * X.shape[1])[:, None]
    node = np.broadcast_to(tree_base, (len(X), n_trees)).copy()  # flat index of each path's node
    for _ in range(depth):
        go_left = flat_x.take(row_base + f.take(node)) <= th.take(node)
        node = np.where(go_left, lo.take(node), hi.take(node)) + tree_base
    raw += np.cumsum(value.ravel().take(node).astype(np.float64), axis=1)[:, -1]


def _walk(X, feature, threshold, left, right, value, raw, depth) -> None:
    walk = _compiled_walk() if compiled_pays(len(X)) else None
    if walk is None:
        _walk_numpy(X, feature, threshold, left, right, value, raw, depth)
    else:
        walk(X, feature, threshold, left, right, value, raw, depth)


# Rows per block of the compiled walk (89 float32 features: ~180 KB). On the 15k lines of 2,000
# news articles, the 200-tree forest: one row at a time down each tree until its leaf 95 ms,
# four rows at a fixed depth 55 ms, eight 48 ms, eight in blocks of 256-1024 rows 40 ms (2048: 44).
_ROW_BLOCK = 512


@lru_cache(maxsize=1)
def _compiled_walk():
    """The numba walk (tree by tree, so one tree's nodes stay in cache; same sums in the same
    order as `_walk_numpy`), or None without numba."""
    try:
        from numba import njit
    except ImportError:  # pragma: no cover - numba is a declared dependency
        return None

    @njit(cache=True, nogil=True)
    def walk(X, feature, threshold, left, right, value, raw, depth):  # pragma: no cover - compiled
        n = X.shape[0]
        # Blocks of rows small enough to stay in the L2 cache while every tree walks them.
        for start in range(0, n, _ROW_BLOCK):
            stop = min(start + _ROW_BLOCK, n)
            eight = stop - (stop - start) % 8
            for t in range(feature.shape[0]):
                f, th, lo, hi, v = feature[t], threshold[t], left[t], right[t], value[t]
                # Eight rows walk down together, `depth` steps each with no exit test: the eight
                # independent chains of loads overlap in the CPU, and no branch waits on a guess
                # of which child comes next.
                for i in range(start, eight, 8):
                    a = b = c = d = e = g = h = k = 0
                    for _ in range(depth):
                        a = lo[a] if X[i, f[a]] <= th[a] else hi[a]
                        b = lo[b] if X[i + 1, f[b]] <= th[b] else hi[b]
                        c = lo[c] if X[i + 2, f[c]] <= th[c] else hi[c]
                        d = lo[d] if X[i + 3, f[d]] <= th[d] else hi[d]
                        e = lo[e] if X[i + 4, f[e]] <= th[e] else hi[e]
                        g = lo[g] if X[i + 5, f[g]] <= th[g] else hi[g]
                        h = lo[h] if X[i + 6, f[h]] <= th[h] else hi[h]
                        k = lo[k] if X[i + 7, f[k]] <= th[k] else hi[k]
                    for j, end in enumerate((a, b, c, d, e, g, h, k)):
                        raw[i + j] += v[end]
                for i in range(eight, stop):
                    node = 0
                    for _ in range(depth):
                        node = lo[node] if X[i, f[node]] <= th[node] else hi[node]
                    raw[i] += v[node]

    return walk


def tree_arrays(nodes_per_tree: list, baseline: float, prefix: str) -> dict[str, np.ndarray]:
    """scikit-learn's HistGradientBoosting predictor nodes -> the flat arrays `Trees` reads."""
    size = max(len(t) for t in nodes_per_tree)
    dtypes = {"feature": np.int16, "threshold": np.float32, "left": np.int16, "right": np.int16,
              "leaf": np.bool_, "value": np.float32}
    source = {"feature": "feature_idx", "threshold": "num_threshold", "left": "left", "right": "right",
              "leaf": "is_leaf", "value": "value"}
    out = {f"{prefix}{k}": np.zeros((len(nodes_per_tree), size), dtype=dt) for k, dt in dtypes.items()}
    for t, nodes in enumerate(nodes_per_tree):
        for k in _FIELDS:
            out[f"{prefix}{k}"][t, :len(nodes)] = nodes[source[k]]
    out[f"{prefix}baseline"] = np.float32(baseline)
    out[f"{prefix}depth"] = np.int16(max(int(nodes["depth"].max()) for nodes in nodes_per_tree))
    return out


@dataclass(frozen=True)
class ContentModel:
    """`first`: trees over all line features (shape + neighbourhood + position); `line`: trees
    over the line's own shape only (`content_features.BASE`), so that a line shaped like chrome
    ("Comments", "Subscribe now", "👍 494") goes even where its neighbours are all article."""

    first: Trees
    line: Trees | None = None
    # The learned lexical score: `first` then reads `NAMES + LEXICAL_NAMES` (page_features), and
    # `plain`, the forest over `NAMES` alone, scores the pages whose words the lexical regression
    # mostly never saw (`lexical.MIN_COVERAGE`).
    lexical: LexicalModel | None = None
    plain: Trees | None = None

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> "ContentModel":
        with np.load(path) as z:
            line = Trees.from_arrays(z, "line_") if "line_feature" in z.files else None
            plain = Trees.from_arrays(z, "plain_") if "plain_feature" in z.files else None
            return cls(first=Trees.from_arrays(z, "first_"), line=line, lexical=LexicalModel.from_arrays(z), plain=plain)

    def predict_line(self, X: np.ndarray) -> np.ndarray | None:
        """Content probability of each line from its own shape alone (None without those trees).
        Lines mostly in a script written without spaces get 1: their "words" are whole runs of
        characters, a shape the (mostly European-language) training pages hardly hold, and on
        its own, without neighbours, the line's shape then says nothing reliable."""
        if self.line is None:
            return None
        p = self.line.predict(X[:, :len(BASE)])
        p[X[:, _CJK] >= 0.2] = 1.0
        return p

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probability that each line (a row of `content_features.NAMES`, then `LEXICAL_NAMES`
        when the model has a lexical score) is content."""
        if self.lexical is None:
            return self.first.predict(X)
        if X.shape[1] == len(NAMES):  # rows without the lexical columns
            return self.plain.predict(X)
        read = X[:, -1] >= MIN_COVERAGE  # the page's lexical coverage
        if read.all():  # the usual batch: no copy of the rows to split them
            return self.first.predict(X)
        probs = np.empty(len(X), dtype=np.float32)
        probs[read] = self.first.predict(X[read])
        probs[~read] = self.plain.predict(X[~read, :len(NAMES)])
        return probs


def decide(probs: np.ndarray, threshold: float = 0.3, outside_threshold: float = 0.7,
           block_base: float = 0.3, line_probs: np.ndarray | None = None,
           line_threshold: float = 0.25) -> np.ndarray:
    """Keep mask over the whole page: the main block is the run of lines with the largest total
    (p - block_base); inside it a line stays at p >= threshold, before or after it (where menus,
    related headlines and footers sit) only at p >= outside_threshold; and anywhere a line whose
    own shape alone scores below `line_threshold` goes."""
    if len(probs) == 0:
        return np.zeros(0, dtype=bool)
    start, end = main_span(probs, block_base)
    inside = np.zeros(len(probs), dtype=bool)
    inside[start:end] = True
    keep = np.where(inside, probs >= threshold, probs >= outside_threshold)
    if line_probs is not None:
        keep &= line_probs >= line_threshold
    return keep
