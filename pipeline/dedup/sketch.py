"""Map phase of dedup: text normalisation, shingle hashes and per-batch MinHash sketches,
plus their Arrow table form (what shards write and the resolve step reads back)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pyarrow as pa

from pipeline.dedup import _kernels as K
from pipeline.dedup.config import DedupConfig

_SEP = re.compile(r"\W+", re.UNICODE)


@dataclass
class Sketches:
    """Map-phase output for a batch of documents, keyed by id (never by position alone)."""

    ids: list[str]
    exact: np.ndarray  # uint64, hash of normalised text
    signatures: np.ndarray  # (n, num_perm) uint32
    n_shingles: np.ndarray = field(default=None)  # type: ignore[assignment]  # int32, size of the shingle set

    def __post_init__(self) -> None:
        if self.n_shingles is None:
            self.n_shingles = np.full(len(self.ids), -1, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.ids)



def normalise(text: str) -> str:
    """NFKC, lower case, every run of non-word characters (punctuation, whitespace) -> one
    space. Digits are kept: templated reports that differ only in numbers are not duplicates."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _SEP.sub(" ", text.lower()).strip()


def shingle_hashes(text: str, config: DedupConfig) -> np.ndarray:
    """Sorted unique 64-bit shingle hashes of one text (first 8 bytes of SHA-1, little endian;
    `& 0xFFFFFFFF` gives datasketch's sha1_hash32 of the shingle)."""
    h, _ = K.batch_shingle_hashes([normalise(text).encode("utf-8")], config.shingle_size, config.shingle == "char")
    return np.unique(h)


def shingles(text: str, config: DedupConfig) -> list[bytes]:
    """The shingles themselves as bytes (what datasketch's update_batch would be given)."""
    buf = normalise(text).encode("utf-8")
    return list(dict.fromkeys(buf[s:e] for s, e in K._py_shingle_bounds(buf, config.shingle_size, config.shingle == "char")))


_PERM_CACHE: dict[tuple[int, int, str], tuple[np.ndarray, np.ndarray]] = {}


def _perms(config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    key = (config.num_perm, config.seed, config.minhash_scheme)
    if key not in _PERM_CACHE:
        _PERM_CACHE[key] = K.permutations(*key)
    return _PERM_CACHE[key]


def _exact_hash(norm: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(norm, digest_size=8).digest(), "little")


def sketch(docs: Sequence[tuple[str, str]], config: DedupConfig) -> Sketches:
    """Map phase for one batch of (id, cleaned text)."""
    ids = [d[0] for d in docs]
    norms = K.batch_normalise([t for _, t in docs], normalise)
    exact = np.fromiter((_exact_hash(n) for n in norms), dtype=np.uint64, count=len(norms))
    hashes, offs = K.batch_shingle_hashes(norms, config.shingle_size, config.shingle == "char")
    a, b = _perms(config)
    sigs = K.batch_minhash(hashes, offs, a, b, config.minhash_scheme)
    # set sizes (duplicate shingles inside a doc counted once) for containment estimates
    n_sh = np.diff(K.unique_sets(hashes, offs)[1]).astype(np.int32)
    return Sketches(ids, exact, sigs, n_sh)


def sketches_to_table(s: Sketches) -> pa.Table:
    n, p = s.signatures.shape if s.signatures.ndim == 2 else (len(s.ids), 0)
    sig = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(s.signatures, dtype=np.uint32).reshape(-1)), p)
    return pa.table(
        {
            "id": pa.array(s.ids, pa.string()),
            "exact": pa.array(s.exact.astype(np.uint64), pa.uint64()),
            "n_shingles": pa.array(np.asarray(s.n_shingles, dtype=np.int32), pa.int32()),
            "signature": sig,
        }
    )


def sketches_from_table(t: pa.Table) -> Sketches:
    for col in ("id", "exact", "signature"):
        if col not in t.column_names:
            raise ValueError(f"sketch table lacks column {col!r} (has {t.column_names})")
    sig_col = t.column("signature").combine_chunks()
    p = sig_col.type.list_size
    flat = sig_col.flatten().to_numpy(zero_copy_only=False).astype(np.uint32, copy=False)
    n_sh = t.column("n_shingles").to_numpy().astype(np.int32) if "n_shingles" in t.column_names else None
    return Sketches(
        t.column("id").to_pylist(),
        t.column("exact").to_numpy().astype(np.uint64),
        flat.reshape(t.num_rows, p),
        n_sh,
    )
