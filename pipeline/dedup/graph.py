"""The similarity graph of dedup: the one similarity formula, union-find, connected components.

Shared by the embedded resolve step and the Ray engine, so both measure and group alike.
"""

from __future__ import annotations

import numpy as np

from pipeline.dedup.config import Similarity


def similarity(inter: np.ndarray, na: np.ndarray, nb: np.ndarray, kind: Similarity) -> np.ndarray:
    """Similarity of shingle sets from their sizes and intersection: Jaccard, or containment
    (of the smaller set). Two empty sets are identical (1.0)."""
    inter, na, nb = (np.asarray(x, dtype=np.float64) for x in (inter, na, nb))
    den = np.minimum(na, nb) if kind == "containment" else na + nb - inter
    return np.where(den > 0, inter / np.maximum(den, 1), 1.0)


def set_similarity(a: np.ndarray, b: np.ndarray, kind: Similarity) -> float:
    """`similarity` of two sorted, unique arrays of shingle hashes."""
    inter = np.intersect1d(a, b, assume_unique=True).size
    return float(similarity(inter, a.size, b.size, kind))


class UnionFind:
    """Union-find over 0..n-1 with path compression; the root of a set is its smallest member."""

    def __init__(self, n: int) -> None:
        self.p = np.arange(n, dtype=np.int64)

    def find(self, x: int) -> int:
        p = self.p
        root = x
        while p[root] != root:
            root = p[root]
        while p[x] != root:
            p[x], x = root, p[x]
        return int(root)

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.p[rb] = ra
            else:
                self.p[ra] = rb


def connected_components(a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """Connected components of an edge list over any int64 node keys, ordered by their smallest
    node. Memory is O(nodes + edges) on one machine (docs/ray.md: the limit, and the
    distributed alternative)."""
    if not len(a):
        return []
    nodes, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    m = len(a)
    uf = UnionFind(len(nodes))
    for u, v in zip(inv[:m].tolist(), inv[m:].tolist()):
        uf.union(u, v)
    roots = np.array([uf.find(i) for i in range(len(nodes))])
    order = np.argsort(roots, kind="stable")
    cuts = np.flatnonzero(np.diff(roots[order])) + 1
    return [nodes[g] for g in np.split(order, cuts)]
