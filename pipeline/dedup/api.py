"""Exact and near-duplicate detection: map-phase sketches, then one global resolve step.

PLACEHOLDER implementation (datasketch per document); to be replaced by the vectorised one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from pipeline.dedup.config import DedupConfig

_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class KeepInfo:
    """What the keep policy looks at for one document."""

    n_chars: int
    seq: int  # position in input order (first_seen)
    date: str | None = None
    quality: float = 0.0


@dataclass(frozen=True, slots=True)
class DuplicateRow:
    id: str
    duplicate_of: str
    cluster_id: str
    similarity: float  # verified Jaccard of shingle sets (1.0 for exact)
    estimated_similarity: float  # MinHash estimate (1.0 for exact)
    kind: str  # "exact" | "near"


@dataclass
class Sketches:
    """Map-phase output for a batch of documents, keyed by id (never by position alone)."""

    ids: list[str]
    exact: np.ndarray  # uint64, hash of normalised text
    signatures: np.ndarray  # (n, num_perm) uint32


def normalise(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def shingles(text: str, config: DedupConfig) -> set[str]:
    toks = normalise(text)
    k = config.shingle_size
    if config.shingle == "char":
        s = " ".join(toks)
        return {s[i : i + k] for i in range(max(1, len(s) - k + 1))}
    return {" ".join(toks[i : i + k]) for i in range(max(1, len(toks) - k + 1))}


def sketch(docs: Sequence[tuple[str, str]], config: DedupConfig) -> Sketches:
    from datasketch import MinHash

    ids, exact, sigs = [], [], []
    for doc_id, text in docs:
        ids.append(doc_id)
        norm = " ".join(normalise(text))
        exact.append(int.from_bytes(hashlib.blake2b(norm.encode(), digest_size=8).digest(), "little"))
        m = MinHash(num_perm=config.num_perm, seed=config.seed)
        m.update_batch([s.encode() for s in shingles(text, config)])
        sigs.append(m.hashvalues.astype(np.uint32))
    return Sketches(ids, np.array(exact, dtype=np.uint64), np.array(sigs, dtype=np.uint32).reshape(len(ids), config.num_perm))


def find_duplicates(
    sketches: Iterable[Sketches],
    keep_info: Mapping[str, KeepInfo],
    fetch_texts: Callable[[Sequence[str]], Mapping[str, str]],
    config: DedupConfig,
) -> list[DuplicateRow]:
    """Resolve all sketches into duplicate rows (one per removed document)."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm)
    by_exact: dict[int, str] = {}
    rows: list[DuplicateRow] = []
    sig_of: dict[str, np.ndarray] = {}

    def rank(i: str):
        k = keep_info[i]
        return (-k.n_chars, i)

    allids = []
    for batch in sketches:
        for i, e, s in zip(batch.ids, batch.exact.tolist(), batch.signatures):
            allids.append((i, e, s))
    allids.sort(key=lambda t: rank(t[0]))
    for i, e, s in allids:
        if config.exact and e in by_exact:
            rows.append(DuplicateRow(i, by_exact[e], by_exact[e], 1.0, 1.0, "exact"))
            continue
        by_exact[e] = i
        m = MinHash(num_perm=config.num_perm, seed=config.seed, hashvalues=s.astype(np.uint64), scheme=MinHash(num_perm=config.num_perm, seed=config.seed).scheme)
        cands = sorted(lsh.query(m), key=rank)
        texts = fetch_texts([i, *cands]) if cands else {}
        done = False
        for c in cands:
            a, b = shingles(texts[i], config), shingles(texts[c], config)
            j = len(a & b) / len(a | b) if a | b else 1.0
            if j >= config.threshold:
                est = float(np.mean(sig_of[c] == s))
                rows.append(DuplicateRow(i, c, c, j, est, "near"))
                done = True
                break
        if not done:
            lsh.insert(i, m)
            sig_of[i] = s
    return rows


def sketches_to_table(s: Sketches):
    import pyarrow as pa

    n, k = s.signatures.shape if s.signatures.ndim == 2 else (0, 0)
    sig = pa.FixedSizeListArray.from_arrays(pa.array(s.signatures.reshape(-1), type=pa.uint32()), k or 1) if n else pa.array([], type=pa.list_(pa.uint32(), k or 1))
    return pa.table({"id": pa.array(s.ids, type=pa.string()), "exact": pa.array(s.exact, type=pa.uint64()), "signature": sig})


def sketches_from_table(t) -> Sketches:
    ids = t.column("id").to_pylist()
    exact = t.column("exact").to_numpy()
    col = t.column("signature").combine_chunks()
    k = col.type.list_size
    sig = col.values.to_numpy().reshape(len(ids), k) if len(ids) else np.zeros((0, k), dtype=np.uint32)
    return Sketches(ids, exact, sig)
