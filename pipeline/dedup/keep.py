"""Keep decision of dedup: which members of a verified cluster stay, and which kept document
each removed one is a duplicate of. Pure: no I/O, no hashing, no config object.

Input: members as keep ranks (0 = the configured policy's favourite; smaller is better) and the
verified edges (a, b, similarity >= threshold) between them. Output: the kept members and, for
every removed member, the kept member it is verified-similar to.

Rule ``coverage`` (default), a greedy set cover per connected component:
  1. among the members not yet decided, keep the one verified-similar to the most undecided
     members (the star centre); the keep policy's rank breaks ties;
  2. every undecided member verified-similar to it is removed as its duplicate;
  3. repeat until every member is decided. A member with no undecided neighbour left is kept.
Rule ``policy``: the same loop, but the best-ranked undecided member is always the next centre
(the policy wins outright; this is the greedy "removed only next to a kept document" pass).

Both rules guarantee: every removed member names a kept member it has a verified edge to, and no
two kept members share an edge. When every pair of a component was verified (components up to
``max_component``), no two kept documents of it are at or above the threshold of each other.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

import numpy as np

from pipeline.dedup.graph import connected_components

KeepRule = Literal["coverage", "policy"]


@dataclass
class KeepResult:
    kept: set[int]  # members (ranks) that stay
    dup_of: dict[int, tuple[int, float]]  # removed member -> (kept member, verified similarity)
    # components where the centre chosen by coverage is not the policy's favourite
    centre_not_policy_best: int = 0
    components: int = 0


def choose_kept(
    lo: Sequence[int],
    hi: Sequence[int],
    sim: Sequence[float],
    rule: KeepRule = "coverage",
    members: Iterable[int] = (),
) -> KeepResult:
    """Decide kept/removed for every member of the verified-edge graph (lo[i], hi[i], sim[i]).

    `members` may add isolated members (kept). Deterministic: depends on ranks and edges only,
    never on the order the edges are given in."""
    if rule not in ("coverage", "policy"):
        raise ValueError(f"unknown keep rule {rule!r}")
    adj: dict[int, list[tuple[int, float]]] = {m: [] for m in members}
    for a, b, s in zip(lo, hi, sim):
        a, b, s = int(a), int(b), float(s)
        if a == b:
            continue
        adj.setdefault(a, []).append((b, s))
        adj.setdefault(b, []).append((a, s))
    for v in adj:
        adj[v].sort()  # deterministic neighbour order; duplicates of an edge are harmless
    kept: set[int] = set()
    dup_of: dict[int, tuple[int, float]] = {}
    decided: set[int] = set()
    linked = [(a, b) for a, bs in adj.items() for b, _ in bs if a < b]
    comps = [c.tolist() for c in connected_components(np.array([e[0] for e in linked], np.int64), np.array([e[1] for e in linked], np.int64))]
    comps += [[v] for v in sorted(adj) if not adj[v]]  # isolated members: kept
    not_best = 0
    for comp in comps:
        if len(comp) == 1:
            kept.add(comp[0])
            decided.add(comp[0])
            continue
        # gain = number of undecided neighbours; heap of (-gain, rank) with lazy invalidation
        gain = {v: len({w for w, _ in adj[v]}) for v in comp}
        heap = [(-gain[v] if rule == "coverage" else 0, v) for v in comp]
        heapq.heapify(heap)
        first = True
        while heap:
            g, v = heapq.heappop(heap)
            if v in decided:
                continue
            if rule == "coverage" and -g != gain[v]:
                heapq.heappush(heap, (-gain[v], v))
                continue
            if first:
                not_best += v != comp[0]
                first = False
            kept.add(v)
            decided.add(v)
            newly = [v]
            best: dict[int, float] = {}
            for w, s in adj[v]:
                if w not in decided:
                    best[w] = max(best.get(w, 0.0), s)
            for w, s in best.items():
                dup_of[w] = (v, s)
                decided.add(w)
                newly.append(w)
            if rule == "coverage":
                for x in newly:  # x is no longer undecided: its undecided neighbours gain less
                    for w in {w for w, _ in adj[x]}:
                        if w not in decided:
                            gain[w] -= 1
                            heapq.heappush(heap, (-gain[w], w))
    return KeepResult(kept, dup_of, not_best, len(comps))


def kept_pairs(kept: Iterable[int], comp_of: dict[int, int]) -> list[tuple[int, int]]:
    """All pairs of kept members that share a component (what the giant-cluster guard leaves
    unverified), as (smaller, larger) rank pairs."""
    by: dict[int, list[int]] = {}
    for v in kept:
        if v in comp_of:
            by.setdefault(comp_of[v], []).append(v)
    out = []
    for vs in by.values():
        vs.sort()
        out.extend((vs[i], vs[j]) for i in range(len(vs)) for j in range(i + 1, len(vs)))
    return out
