"""Hot loops of the dedup stage: shingle hashing (SHA-1, as datasketch does), MinHash over all
permutations, set intersections for verification.

Compiled with numba when it is installed (a declared dependency); every kernel has a plain
NumPy / hashlib fallback giving bit-identical results, used when numba is absent or when
``PIPELINE_DEDUP_NO_NUMBA=1`` is set (tests compare the two).
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

MERSENNE_PRIME = np.uint64((1 << 61) - 1)
MAX_HASH = np.uint64((1 << 32) - 1)

try:  # pragma: no cover - exercised by whichever environment runs the tests
    if os.environ.get("PIPELINE_DEDUP_NO_NUMBA"):
        raise ImportError("disabled by PIPELINE_DEDUP_NO_NUMBA")
    import numba
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False


# ----------------------------------------------------------------------------- pure python
def _py_shingle_bounds(buf: bytes, size: int, char: bool) -> list[tuple[int, int]]:
    """(start, end) byte spans of the shingles of one normalised text (tokens joined by ' ')."""
    n = len(buf)
    if n == 0:
        return []
    if char:
        starts = [i for i in range(n) if (buf[i] & 0xC0) != 0x80]
    else:
        starts = [0] + [i + 1 for i in range(n) if buf[i] == 32]
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


# ----------------------------------------------------------------------------- numba
LANES = 32  # shingles hashed together by _sha1_lanes

if HAVE_NUMBA:

    @njit(cache=True, inline="always")
    def _rotl(x, n):
        return ((x << np.uint32(n)) | (x >> np.uint32(32 - n))) & np.uint32(0xFFFFFFFF)

    @njit(cache=True)
    def _sha1_first8(buf, start, end, w):
        """First 8 bytes of SHA-1(buf[start:end]) as a little-endian uint64; w is scratch of
        >= 80 uint32 followed by the padded message (see nb_shingle_hashes)."""
        M = np.uint32(0xFFFFFFFF)
        h0 = np.uint32(0x67452301)
        h1 = np.uint32(0xEFCDAB89)
        h2 = np.uint32(0x98BADCFE)
        h3 = np.uint32(0x10325476)
        h4 = np.uint32(0xC3D2E1F0)
        length = end - start
        nblk = (length + 8) // 64 + 1
        total = nblk * 64
        msg = w[80:]  # as uint32 words, big endian packing done below
        nwords = total // 4
        full = length >> 2  # whole big-endian words first (~25 % faster than byte by byte)
        for t in range(full):
            p = start + 4 * t
            msg[t] = (np.uint32(buf[p]) << np.uint32(24)) | (np.uint32(buf[p + 1]) << np.uint32(16)) | (np.uint32(buf[p + 2]) << np.uint32(8)) | np.uint32(buf[p + 3])
        for t in range(full, nwords):
            msg[t] = 0
        for i in range(full * 4, length):
            msg[i >> 2] |= np.uint32(buf[start + i]) << np.uint32(24 - 8 * (i & 3))
        msg[length >> 2] |= np.uint32(0x80) << np.uint32(24 - 8 * (length & 3))
        bitlen = np.uint64(length) * np.uint64(8)
        msg[nwords - 1] = np.uint32(bitlen & np.uint64(0xFFFFFFFF))
        msg[nwords - 2] = np.uint32(bitlen >> np.uint64(32))
        for blk in range(nblk):
            for t in range(16):
                w[t] = msg[blk * 16 + t]
            for t in range(16, 80):
                x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]
                w[t] = np.uint32(((x << np.uint32(1)) | (x >> np.uint32(31))) & M)
            a = h0
            b = h1
            c = h2
            d = h3
            e = h4
            for t in range(20):
                f = (b & c) | ((~b) & d)
                tmp = np.uint32((((a << np.uint32(5)) | (a >> np.uint32(27))) + (f & M) + e + np.uint32(0x5A827999) + w[t]) & M)
                e = d
                d = c
                c = np.uint32(((b << np.uint32(30)) | (b >> np.uint32(2))) & M)
                b = a
                a = tmp
            for t in range(20, 40):
                f = b ^ c ^ d
                tmp = np.uint32((((a << np.uint32(5)) | (a >> np.uint32(27))) + f + e + np.uint32(0x6ED9EBA1) + w[t]) & M)
                e = d
                d = c
                c = np.uint32(((b << np.uint32(30)) | (b >> np.uint32(2))) & M)
                b = a
                a = tmp
            for t in range(40, 60):
                f = (b & c) | (b & d) | (c & d)
                tmp = np.uint32((((a << np.uint32(5)) | (a >> np.uint32(27))) + f + e + np.uint32(0x8F1BBCDC) + w[t]) & M)
                e = d
                d = c
                c = np.uint32(((b << np.uint32(30)) | (b >> np.uint32(2))) & M)
                b = a
                a = tmp
            for t in range(60, 80):
                f = b ^ c ^ d
                tmp = np.uint32((((a << np.uint32(5)) | (a >> np.uint32(27))) + f + e + np.uint32(0xCA62C1D6) + w[t]) & M)
                e = d
                d = c
                c = np.uint32(((b << np.uint32(30)) | (b >> np.uint32(2))) & M)
                b = a
                a = tmp
            h0 = np.uint32((h0 + a) & M)
            h1 = np.uint32((h1 + b) & M)
            h2 = np.uint32((h2 + c) & M)
            h3 = np.uint32((h3 + d) & M)
            h4 = np.uint32((h4 + e) & M)
        # digest bytes are big-endian words h0 h1 ...; first 8 digest bytes read little-endian
        lo = np.uint64(0)
        hi = np.uint64(0)
        for k in range(4):
            lo |= np.uint64((h0 >> np.uint32(24 - 8 * k)) & np.uint32(0xFF)) << np.uint64(8 * k)
            hi |= np.uint64((h1 >> np.uint32(24 - 8 * k)) & np.uint32(0xFF)) << np.uint64(8 * k)
        return lo | (hi << np.uint64(32))

    @njit(cache=True, inline="always")
    def _rl(x, n):
        return (x << np.uint32(n)) | (x >> np.uint32(32 - n))

    @njit(cache=True)
    def _sha1_lanes(buf, st, en, cnt, W, out, opos):
        """_sha1_first8 of cnt (<= LANES) single-block messages buf[st[l]:en[l]] (<= 55 bytes) at
        once, written to out[opos[l]]: the rounds run over the lanes in the innermost loop, which
        LLVM vectorises (~2.4x faster than one message at a time)."""
        for t in range(16):
            for l in range(LANES):
                W[t, l] = np.uint32(0)
        for l in range(cnt):
            s = st[l]
            length = en[l] - s
            full = length >> 2
            for t in range(full):
                p = s + 4 * t
                W[t, l] = (np.uint32(buf[p]) << np.uint32(24)) | (np.uint32(buf[p + 1]) << np.uint32(16)) | (np.uint32(buf[p + 2]) << np.uint32(8)) | np.uint32(buf[p + 3])
            for i in range(full * 4, length):
                W[i >> 2, l] |= np.uint32(buf[s + i]) << np.uint32(24 - 8 * (i & 3))
            W[length >> 2, l] |= np.uint32(0x80) << np.uint32(24 - 8 * (length & 3))
            W[15, l] = np.uint32(length * 8)
        for t in range(16, 80):
            for l in range(LANES):
                x = W[t - 3, l] ^ W[t - 8, l] ^ W[t - 14, l] ^ W[t - 16, l]
                W[t, l] = _rl(x, 1)
        a = np.full(LANES, np.uint32(0x67452301), dtype=np.uint32)
        b = np.full(LANES, np.uint32(0xEFCDAB89), dtype=np.uint32)
        c = np.full(LANES, np.uint32(0x98BADCFE), dtype=np.uint32)
        d = np.full(LANES, np.uint32(0x10325476), dtype=np.uint32)
        e = np.full(LANES, np.uint32(0xC3D2E1F0), dtype=np.uint32)
        for t in range(0, 20):
            for l in range(LANES):
                f = d[l] ^ (b[l] & (c[l] ^ d[l]))
                tmp = np.uint32(_rl(a[l], 5) + f + e[l] + np.uint32(0x5A827999) + W[t, l])
                e[l] = d[l]; d[l] = c[l]; c[l] = _rl(b[l], 30); b[l] = a[l]; a[l] = tmp
        for t in range(20, 40):
            for l in range(LANES):
                f = b[l] ^ c[l] ^ d[l]
                tmp = np.uint32(_rl(a[l], 5) + f + e[l] + np.uint32(0x6ED9EBA1) + W[t, l])
                e[l] = d[l]; d[l] = c[l]; c[l] = _rl(b[l], 30); b[l] = a[l]; a[l] = tmp
        for t in range(40, 60):
            for l in range(LANES):
                f = (b[l] & c[l]) | (d[l] & (b[l] | c[l]))
                tmp = np.uint32(_rl(a[l], 5) + f + e[l] + np.uint32(0x8F1BBCDC) + W[t, l])
                e[l] = d[l]; d[l] = c[l]; c[l] = _rl(b[l], 30); b[l] = a[l]; a[l] = tmp
        for t in range(60, 80):
            for l in range(LANES):
                f = b[l] ^ c[l] ^ d[l]
                tmp = np.uint32(_rl(a[l], 5) + f + e[l] + np.uint32(0xCA62C1D6) + W[t, l])
                e[l] = d[l]; d[l] = c[l]; c[l] = _rl(b[l], 30); b[l] = a[l]; a[l] = tmp
        for l in range(cnt):
            h0 = np.uint32(a[l] + np.uint32(0x67452301))
            h1 = np.uint32(b[l] + np.uint32(0xEFCDAB89))
            lo = np.uint64(0); hi = np.uint64(0)
            for k2 in range(4):
                lo |= np.uint64((h0 >> np.uint32(24 - 8 * k2)) & np.uint32(0xFF)) << np.uint64(8 * k2)
                hi |= np.uint64((h1 >> np.uint32(24 - 8 * k2)) & np.uint32(0xFF)) << np.uint64(8 * k2)
            out[opos[l]] = lo | (hi << np.uint64(32))

    @njit(cache=True)
    def nb_normalise(buf, offsets, is_word):
        """ASCII/UTF-8 bytes of lower-cased, NFKC'd texts -> tokens joined by one space, where a
        token is a maximal run of code points with is_word[cp] (re's \\w = isalnum() or '_')."""
        n = offsets.shape[0] - 1
        out = np.empty(buf.shape[0], dtype=np.uint8)
        out_offs = np.zeros(n + 1, dtype=np.int64)
        o = 0
        for d in range(n):
            i = offsets[d]
            e = offsets[d + 1]
            pending = False  # a separator is owed before the next token byte
            started = False
            while i < e:
                c = buf[i]
                if c < 0x80:
                    ln = 1
                    cp = np.int64(c)
                elif c < 0xE0:
                    ln = 2
                    cp = (np.int64(c & 0x1F) << 6) | np.int64(buf[i + 1] & 0x3F)
                elif c < 0xF0:
                    ln = 3
                    cp = (np.int64(c & 0x0F) << 12) | (np.int64(buf[i + 1] & 0x3F) << 6) | np.int64(buf[i + 2] & 0x3F)
                else:
                    ln = 4
                    cp = (np.int64(c & 0x07) << 18) | (np.int64(buf[i + 1] & 0x3F) << 12) | (np.int64(buf[i + 2] & 0x3F) << 6) | np.int64(buf[i + 3] & 0x3F)
                if is_word[cp]:
                    if pending and started:
                        out[o] = 32
                        o += 1
                    pending = False
                    started = True
                    for k in range(ln):
                        out[o] = buf[i + k]
                        o += 1
                else:
                    pending = True
                i += ln
            out_offs[d + 1] = o
        return out[:o], out_offs

    @njit(cache=True)
    def _bounds(buf, s0, s1, size, char, starts):
        """Fill `starts` with token/char starts of buf[s0:s1]; return their count."""
        m = 0
        if s1 <= s0:
            return 0
        if char:
            for i in range(s0, s1):
                if (buf[i] & 0xC0) != 0x80:
                    starts[m] = i
                    m += 1
        else:
            starts[0] = s0
            m = 1
            for i in range(s0, s1):
                if buf[i] == 32:
                    starts[m] = i + 1
                    m += 1
        return m

    @njit(cache=True)
    def nb_count_shingles(buf, offsets, size, char):
        n = offsets.shape[0] - 1
        counts = np.zeros(n, dtype=np.int64)
        maxlen = 0
        for d in range(n):
            maxlen = max(maxlen, offsets[d + 1] - offsets[d])
        starts = np.empty(maxlen + 2, dtype=np.int64)
        for d in range(n):
            m = _bounds(buf, offsets[d], offsets[d + 1], size, char, starts)
            if m == 0:
                counts[d] = 0
            elif m <= size:
                counts[d] = 1
            else:
                counts[d] = m - size + 1
        return counts

    @njit(cache=True)
    def nb_shingle_hashes(buf, offsets, size, char, out_offsets):
        """All shingle hashes of all docs of a batch, concatenated (doc d at out_offsets[d:d+2])."""
        n = offsets.shape[0] - 1
        out = np.empty(out_offsets[n], dtype=np.uint64)
        maxlen = 0
        for d in range(n):
            if offsets[d + 1] - offsets[d] > maxlen:
                maxlen = offsets[d + 1] - offsets[d]
        starts = np.empty(maxlen + 2, dtype=np.int64)
        w = np.empty(80 + (maxlen + 72) // 4 + 2, dtype=np.uint32)
        lw = np.empty((80, LANES), dtype=np.uint32)  # single-block shingles go LANES at a time
        st = np.zeros(LANES, dtype=np.int64)
        en = np.zeros(LANES, dtype=np.int64)
        op = np.zeros(LANES, dtype=np.int64)
        cnt = 0
        for d in range(n):
            s0 = offsets[d]
            s1 = offsets[d + 1]
            m = _bounds(buf, s0, s1, size, char, starts)
            o = out_offsets[d]
            if m == 0:
                continue
            if m <= size:
                out[o] = _sha1_first8(buf, s0, s1, w)
                continue
            starts[m] = s1 if char else s1 + 1  # sentinel: start of a virtual next token
            for i in range(m - size + 1):
                e = starts[i + size]
                if not char:
                    e -= 1
                if e - starts[i] > 55:  # needs a second SHA-1 block
                    out[o + i] = _sha1_first8(buf, starts[i], e, w)
                else:
                    st[cnt] = starts[i]
                    en[cnt] = e
                    op[cnt] = o + i
                    cnt += 1
                    if cnt == LANES:
                        _sha1_lanes(buf, st, en, cnt, lw, out, op)
                        cnt = 0
        if cnt:
            _sha1_lanes(buf, st, en, cnt, lw, out, op)
        return out

    @njit(cache=True)
    def nb_minhash(hashes, offsets, a, b):
        n = offsets.shape[0] - 1
        p = a.shape[0]
        prime = np.uint64((1 << 61) - 1)
        mask = np.uint64(0xFFFFFFFF)
        sig = np.empty((n, p), dtype=np.uint32)
        cur = np.empty(p, dtype=np.uint64)
        for d in range(n):
            for j in range(p):
                cur[j] = mask
            for i in range(offsets[d], offsets[d + 1]):
                h = hashes[i] & mask
                for j in range(p):
                    x = h * a[j] + b[j]
                    r = (x & prime) + (x >> np.uint64(61))
                    if r >= prime:
                        r -= prime
                    r &= mask
                    if r < cur[j]:
                        cur[j] = r
            for j in range(p):
                sig[d, j] = np.uint32(cur[j])
        return sig

    @njit(cache=True)
    def nb_minhash_affine32(hashes, offsets, a, b):
        n = offsets.shape[0] - 1
        p = a.shape[0]
        sig = np.empty((n, p), dtype=np.uint32)
        cur = np.empty(p, dtype=np.uint32)
        for d in range(n):
            for j in range(p):
                cur[j] = np.uint32(0xFFFFFFFF)
            for i in range(offsets[d], offsets[d + 1]):
                # numba widens uint32 arithmetic to 64 bits: mask after every multiply
                m32 = np.uint64(0xFFFFFFFF)
                h = hashes[i] & m32
                h ^= h >> np.uint64(16)
                h = (h * np.uint64(0x85EBCA6B)) & m32
                h ^= h >> np.uint64(13)
                h = (h * np.uint64(0xC2B2AE35)) & m32
                h ^= h >> np.uint64(16)
                h32 = np.uint32(h)
                for j in range(p):
                    v = np.uint32(h32 * a[j] + b[j])
                    if v < cur[j]:
                        cur[j] = v
            for j in range(p):
                sig[d, j] = cur[j]
        return sig

    @njit(cache=True)
    def nb_unique_sets(hashes, offsets):
        """Per doc: sorted unique hashes, concatenated, with new offsets."""
        n = offsets.shape[0] - 1
        out = np.empty(hashes.shape[0], dtype=np.uint64)
        offs = np.zeros(n + 1, dtype=np.int64)
        o = 0
        for d in range(n):
            seg = np.sort(hashes[offsets[d] : offsets[d + 1]])
            for i in range(seg.shape[0]):
                if i == 0 or seg[i] != seg[i - 1]:
                    out[o] = seg[i]
                    o += 1
            offs[d + 1] = o
        return out[:o], offs

    @njit(cache=True)
    def nb_intersections(values, offsets, left, right):
        """|S_l ∩ S_r| for sorted unique sets stored concatenated."""
        out = np.empty(left.shape[0], dtype=np.int64)
        for k in range(left.shape[0]):
            i = offsets[left[k]]
            ie = offsets[left[k] + 1]
            j = offsets[right[k]]
            je = offsets[right[k] + 1]
            c = 0
            while i < ie and j < je:
                x = values[i]
                y = values[j]
                if x == y:
                    c += 1
                    i += 1
                    j += 1
                elif x < y:
                    i += 1
                else:
                    j += 1
            out[k] = c
        return out


# ----------------------------------------------------------------------------- dispatch
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
    if not HAVE_NUMBA:
        return [python_normalise(t).encode("utf-8") for t in texts]
    import unicodedata

    raw = [(t if t.isascii() else unicodedata.normalize("NFKC", t)).lower().encode("utf-8", "surrogatepass") for t in texts]
    buf = np.frombuffer(b"".join(raw), dtype=np.uint8) if raw else np.empty(0, np.uint8)
    offs = np.zeros(len(raw) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in raw], out=offs[1:])
    out, out_offs = nb_normalise(buf, offs, is_word_table())
    b = out.tobytes()
    o = out_offs.tolist()
    return [b[o[i] : o[i + 1]] for i in range(len(raw))]


def batch_shingle_hashes(texts: list[bytes], size: int, char: bool) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of normalised texts: (concatenated uint64 hashes, int64 offsets (n+1,))."""
    n = len(texts)
    if HAVE_NUMBA:
        buf = np.frombuffer(b"".join(texts), dtype=np.uint8) if n else np.empty(0, np.uint8)
        offs = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(t) for t in texts], out=offs[1:])
        counts = nb_count_shingles(buf, offs, size, char)
        out_offs = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=out_offs[1:])
        return nb_shingle_hashes(buf, offs, size, char, out_offs), out_offs
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
    if HAVE_NUMBA:
        return nb_minhash(hashes, offsets, a, b) if legacy else nb_minhash_affine32(hashes, offsets, a, b)
    h32 = hashes & MAX_HASH
    n = offsets.shape[0] - 1
    sig = np.empty((n, a.shape[0]), dtype=np.uint32)
    fn = np_minhash if legacy else np_minhash_affine32
    for d in range(n):
        sig[d] = fn(h32[offsets[d] : offsets[d + 1]], a, b)
    return sig


def unique_sets(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique hashes per document (concatenated) and their offsets."""
    if HAVE_NUMBA:
        return nb_unique_sets(hashes, offsets)
    n = offsets.shape[0] - 1
    parts = [np.unique(hashes[offsets[d] : offsets[d + 1]]) for d in range(n)]
    offs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([p.size for p in parts], out=offs[1:])
    return (np.concatenate(parts) if parts else np.empty(0, np.uint64)), offs


def intersections(values: np.ndarray, offsets: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    if HAVE_NUMBA:
        return nb_intersections(values, offsets, left.astype(np.int64), right.astype(np.int64))
    out = np.empty(left.shape[0], dtype=np.int64)
    for k, (i, j) in enumerate(zip(left.tolist(), right.tolist())):
        out[k] = np.intersect1d(values[offsets[i] : offsets[i + 1]], values[offsets[j] : offsets[j + 1]], assume_unique=True).size
    return out
