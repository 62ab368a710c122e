"""LSH of dedup: band/row parameters from the S-curve, band hashes, the spillable band store
and candidate pairs from equal band hashes (all pairs in small buckets, stars in big ones)."""

from __future__ import annotations

import os

import numpy as np

from pipeline.dedup.config import DedupConfig


def s_curve(j: float, bands: int, rows: int) -> float:
    """P(a pair with Jaccard j shares at least one band) = 1 - (1 - j^r)^b."""
    return 1.0 - (1.0 - j**rows) ** bands


def lsh_params(config: DedupConfig) -> tuple[int, int]:
    """(bands, rows): the steepest S-curve (most rows) whose candidate probability at the
    threshold is still >= lsh_recall, using as many bands as num_perm allows."""
    if config.bands is not None:
        return config.bands, config.rows  # type: ignore[return-value]
    t = config.lsh_threshold or config.threshold
    best = (config.num_perm, 1)
    for r in range(1, config.num_perm + 1):
        b = config.num_perm // r
        if s_curve(t, b, r) >= config.lsh_recall:
            best = (b, r)
    return best


_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


def band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: a 64-bit mix of each band's `rows` values."""
    n = signatures.shape[0]
    s = signatures[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    h = np.full((n, bands), np.uint64(rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(rows):
            h = (h ^ s[:, :, j]) * _M1
            h ^= h >> np.uint64(29)
        h = (h ^ (h >> np.uint64(30))) * _M2
        h = (h ^ (h >> np.uint64(27))) * _M3
        h ^= h >> np.uint64(31)
    return h


class BandStore:
    """(band hash, doc index) per band; spilled to files partitioned by the hash's top bits
    once the buffer exceeds `budget` bytes, so reading back one (band, partition) at a time
    keeps memory bounded by the setting rather than by the corpus."""

    PBITS = 6  # 64 partitions per band

    def __init__(self, bands: int, budget: int, tmp: str) -> None:
        self.bands, self.budget, self.tmp = bands, budget, tmp
        self.buf: list[tuple[np.ndarray, np.ndarray]] = []
        self.nbytes = 0
        self.spilled = False
        self.spill_bytes = 0

    def add(self, h: np.ndarray, idx: np.ndarray) -> None:
        self.buf.append((h, idx))
        self.nbytes += h.nbytes + idx.nbytes * self.bands
        if self.nbytes > self.budget:
            self._flush()

    def _flush(self) -> None:
        if not self.buf:
            return
        self.spilled = True
        h = np.concatenate([b[0] for b in self.buf])
        idx = np.concatenate([b[1] for b in self.buf])
        self.buf, self.nbytes = [], 0
        shift = np.uint64(64 - self.PBITS)
        for band in range(self.bands):
            col = h[:, band]
            part = (col >> shift).astype(np.int64)
            order = np.argsort(part, kind="stable")
            bounds = np.searchsorted(part[order], np.arange((1 << self.PBITS) + 1))
            rec = np.empty(col.size, dtype=[("h", "<u8"), ("i", "<u4")])
            rec["h"] = col[order]
            rec["i"] = idx[order]
            for p in range(1 << self.PBITS):
                lo, hi = bounds[p], bounds[p + 1]
                if hi > lo:
                    with open(os.path.join(self.tmp, f"b{band:03d}p{p:02d}.bin"), "ab") as f:
                        rec[lo:hi].tofile(f)
            self.spill_bytes += rec.nbytes

    def groups(self):
        """Yield (hashes, doc indices) per band (or per band partition when spilled)."""
        if not self.spilled:
            bufs, self.buf, self.nbytes = self.buf, [], 0
            if not bufs:
                return
            idx = np.concatenate([b[1] for b in bufs])
            for band in range(self.bands):  # one band column at a time: no second full copy
                yield np.concatenate([b[0][:, band] for b in bufs]), idx
            return
        self._flush()
        for band in range(self.bands):
            for p in range(1 << self.PBITS):
                path = os.path.join(self.tmp, f"b{band:03d}p{p:02d}.bin")
                if os.path.exists(path):
                    rec = np.fromfile(path, dtype=[("h", "<u8"), ("i", "<u4")])
                    yield rec["h"], rec["i"]
                    os.remove(path)


def bucket_pairs(h: np.ndarray, rank: np.ndarray, max_bucket: int) -> np.ndarray:
    """Candidate pairs (as uint64 lo<<32|hi of keep ranks) from equal band hashes: all pairs in
    buckets up to max_bucket, else a star from the bucket's best-ranked member."""
    if h.size < 2:
        return np.empty(0, np.uint64)
    order = np.lexsort((rank, h))
    hs, rs = h[order], rank[order].astype(np.uint64)
    same = hs[1:] == hs[:-1]
    if not same.any():
        return np.empty(0, np.uint64)
    # keep only elements that belong to a run of length >= 2
    inrun = np.zeros(hs.size, bool)
    inrun[1:] |= same
    inrun[:-1] |= same
    hs, rs = hs[inrun], rs[inrun]
    starts = np.flatnonzero(np.r_[True, hs[1:] != hs[:-1]])
    lens = np.diff(np.r_[starts, hs.size])
    run_id = np.repeat(np.arange(starts.size), lens)
    pos = np.arange(hs.size) - starts[run_id]
    out = []
    small = lens[run_id] <= max_bucket
    # all pairs in small runs: offsets k = 1 .. max_len-1
    rs_s, run_s = rs[small], run_id[small]
    kmax = int(lens[lens <= max_bucket].max()) if (lens <= max_bucket).any() else 0
    for k in range(1, kmax):
        ok = run_s[k:] == run_s[:-k]
        if not ok.any():
            break
        out.append((rs_s[:-k][ok] << np.uint64(32)) | rs_s[k:][ok])
    # stars in big runs (first element of each run has the best rank)
    big = ~small & (pos > 0)
    if big.any():
        head = rs[starts[run_id[big]]]
        out.append((head << np.uint64(32)) | rs[big])
    return np.concatenate(out) if out else np.empty(0, np.uint64)
