"""Hot loops of the dedup stage: shingle hashing (SHA-1, as datasketch does), MinHash over all
permutations, set intersections for verification.

Compiled with numba when it is installed (a declared dependency); every kernel has a plain
NumPy / hashlib fallback giving bit-identical results, used when numba is absent or when
``PIPELINE_DEDUP_NO_NUMBA=1`` is set (tests compare the two).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import lru_cache

import numpy as np

MERSENNE_PRIME = np.uint64((1 << 61) - 1)
MAX_HASH = np.uint64((1 << 32) - 1)

# numba present and not disabled; the compiled kernels (`_nb`) are imported on first need.
HAVE_NUMBA = not os.environ.get("PIPELINE_DEDUP_NO_NUMBA") and importlib.util.find_spec("numba") is not None
# Batches smaller than this (bytes of text, or shingle hashes x 8) take the NumPy / hashlib
# path: numba's import and cache load cost a fresh process about half a second, more than
# hashing a few hundred pages in Python. Same results either way (tests compare the paths).
COMPILED_MIN_BYTES = int(os.environ.get("PIPELINE_DEDUP_NUMBA_MIN_BYTES", 1_000_000))


@lru_cache(maxsize=1)
def _nb():
    from pipeline.dedup import _nb as compiled

    return compiled


def _compiled(nbytes: int):
    """The compiled kernels module for a batch of `nbytes`, or None for the fallback path."""
    return _nb() if HAVE_NUMBA and nbytes >= COMPILED_MIN_BYTES else None


def preload(nbytes: int) -> None:
    """Import the compiled kernels now if a batch of `nbytes` would use them: a process pool
    forked afterwards inherits them instead of importing numba once per worker (~0.8 s each)."""
    _compiled(nbytes)


# ----------------------------------------------------------------------------- pure python
def _py_shingle_bounds(buf: bytes, size: int, char: bool) -> list[tuple[int, int]]:
    """(start, end) byte spans of the shingles of one normalised text (tokens joined by ' ')."""
    n = len(buf)
    if n == 0:
        return []
    b = np.frombuffer(buf, dtype=np.uint8)  # the boundaries found by NumPy, not a loop per byte
    if char:
        starts = np.flatnonzero((b & 0xC0) != 0x80).tolist()
    else:
        starts = [0] + (np.flatnonzero(b == 32) + 1).tolist()
    m = len(starts)
    if m <= size:
        return [(0, n)]
    starts.append(n if char else n + 1)  # sentinel: start of a virtual next token
    if char:
        return [(starts[i], starts[i + size]) for i in range(m - size + 1)]
    return [(starts[i], starts[i + size] - 1) for i in range(m - size + 1)]


def py_shingle_hashes(buf: bytes, size: int, char: bool) -> np.ndarray:
    """uint64 = first 8 bytes (little endian) of SHA-1 of each shingle; the low 32 bits are
    exactly datasketch's ``sha1_hash32``."""
    sha1 = hashlib.sha1
    out = [int.from_bytes(sha1(buf[s:e]).digest()[:8], "little") for s, e in _py_shingle_bounds(buf, size, char)]
    return np.array(out, dtype=np.uint64)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 finalizer on uint32 (datasketch >= 2.0 pre-mixes every shingle hash with it)."""
    h = h.astype(np.uint32)
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def np_minhash_affine32(h32: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """datasketch >= 2.0 default scheme ("affine32"): fmix32 then a*h+b mod 2^32."""
    if h32.size == 0:
        return np.full(a.shape[0], 0xFFFFFFFF, dtype=np.uint32)
    hv = fmix32(h32)
    return (hv[:, None] * a[None, :] + b[None, :]).min(axis=0)


def np_minhash(h32: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """datasketch's update_batch formula on uint64 arrays (wrapping multiply, mod prime, mask)."""
    if h32.size == 0:
        return np.full(a.shape[0], MAX_HASH, dtype=np.uint64)
    phv = ((h32[:, None] * a[None, :] + b[None, :]) % MERSENNE_PRIME) & MAX_HASH
    return phv.min(axis=0)


# ----------------------------------------------------------------------------- numba (_nb.py)
LANES = 32  # shingles hashed together by _sha1_lanes

_IS_WORD: np.ndarray | None = None


def is_word_table() -> np.ndarray:
    """uint8[0x110000]: 1 where re's \\w matches the code point (str.isalnum() or '_')."""
    global _IS_WORD
    if _IS_WORD is None:
        import unicodedata

        from pipeline.dedup import _unicode_word

        if _unicode_word.UNIDATA_VERSION == unicodedata.unidata_version:
            t = np.zeros(0x110000, dtype=np.uint8)
            for a, b in _unicode_word.RANGES:
                t[a:b] = 1
        else:  # another Python / Unicode version: classify every code point (~0.3 s)
            t = np.frombuffer(bytes(1 if chr(c).isalnum() or c == 95 else 0 for c in range(0x110000)), dtype=np.uint8).copy()
        _IS_WORD = t
    return _IS_WORD


def batch_normalise(texts: list[str], python_normalise) -> list[bytes]:
    """Normalised UTF-8 bytes of each text (see sketch.normalise); the token split runs in numba."""
    nb = _compiled(sum(map(len, texts)))
    if nb is None:
        return [python_normalise(t).encode("utf-8") for t in texts]
    import unicodedata

    raw = [(t if t.isascii() else unicodedata.normalize("NFKC", t)).lower().encode("utf-8", "surrogatepass") for t in texts]
    buf = np.frombuffer(b"".join(raw), dtype=np.uint8) if raw else np.empty(0, np.uint8)
    offs = np.zeros(len(raw) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in raw], out=offs[1:])
    out, out_offs = nb.nb_normalise(buf, offs, is_word_table())
    b = out.tobytes()
    o = out_offs.tolist()
    return [b[o[i] : o[i + 1]] for i in range(len(raw))]


def batch_shingle_hashes(texts: list[bytes], size: int, char: bool) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of normalised texts: (concatenated uint64 hashes, int64 offsets (n+1,))."""
    n = len(texts)
    nb = _compiled(sum(map(len, texts)))
    if nb is not None:
        buf = np.frombuffer(b"".join(texts), dtype=np.uint8) if n else np.empty(0, np.uint8)
        offs = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(t) for t in texts], out=offs[1:])
        counts = nb.nb_count_shingles(buf, offs, size, char)
        out_offs = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=out_offs[1:])
        return nb.nb_shingle_hashes(buf, offs, size, char, out_offs), out_offs
    parts = [py_shingle_hashes(t, size, char) for t in texts]
    out_offs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([p.size for p in parts], out=out_offs[1:])
    return (np.concatenate(parts) if parts else np.empty(0, np.uint64)), out_offs


def permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) permutation parameters datasketch.MinHash(num_perm, seed, scheme=...) draws."""
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        ab = np.array(
            [(gen.randint(1, MERSENNE_PRIME, dtype=np.uint64), gen.randint(0, MERSENNE_PRIME, dtype=np.uint64)) for _ in range(num_perm)],
            dtype=np.uint64,
        ).T
        return ab[0].copy(), ab[1].copy()
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def batch_minhash(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray, scheme: str) -> np.ndarray:
    """(n, num_perm) uint32 signatures; `hashes` are 64-bit shingle hashes (low 32 bits used)."""
    legacy = scheme == "legacy"
    nb = _compiled(hashes.nbytes)
    if nb is not None:
        return nb.nb_minhash(hashes, offsets, a, b) if legacy else nb.nb_minhash_affine32(hashes, offsets, a, b)
    h32 = hashes & MAX_HASH
    n = offsets.shape[0] - 1
    sig = np.empty((n, a.shape[0]), dtype=np.uint32)
    fn = np_minhash if legacy else np_minhash_affine32
    for d in range(n):
        sig[d] = fn(h32[offsets[d] : offsets[d + 1]], a, b)
    return sig


def unique_sets(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique hashes per document (concatenated) and their offsets."""
    nb = _compiled(hashes.nbytes)
    if nb is not None:
        return nb.nb_unique_sets(hashes, offsets)
    n = offsets.shape[0] - 1
    parts = [np.unique(hashes[offsets[d] : offsets[d + 1]]) for d in range(n)]
    offs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([p.size for p in parts], out=offs[1:])
    return (np.concatenate(parts) if parts else np.empty(0, np.uint64)), offs


def intersections(values: np.ndarray, offsets: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    nb = _compiled(left.size * 1000)  # a pair costs the fallback ~10 us: compile past ~1,000 pairs
    if nb is not None:
        return nb.nb_intersections(values, offsets, left.astype(np.int64), right.astype(np.int64))
    out = np.empty(left.shape[0], dtype=np.int64)
    for k, (i, j) in enumerate(zip(left.tolist(), right.tolist())):
        out[k] = np.intersect1d(values[offsets[i] : offsets[i + 1]], values[offsets[j] : offsets[j + 1]], assume_unique=True).size
    return out
