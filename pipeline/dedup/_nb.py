"""The numba-compiled dedup kernels (see `_kernels`, which loads this module only when a batch is
large enough to pay for numba's import and cache load; every kernel has a bit-identical
fallback there)."""

from __future__ import annotations

import numpy as np
from numba import njit

from pipeline.core.utf8_numba import code_point
from pipeline.dedup._kernels import LANES, MAX_HASH, MERSENNE_PRIME  # noqa: F401  (used inside kernels)


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
            cp, ln = code_point(buf, i)
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
