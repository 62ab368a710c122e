"""UTF-8 decoding for numba kernels: one owner for the byte arithmetic that dedup's tokeniser
and the content features' line scan both walk text with. Imports numba: import it only where a
compiled kernel is being built (both callers load their kernels lazily)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def code_point(buf, i):  # pragma: no cover - compiled
    """(code point, length in bytes) of the well-formed UTF-8 sequence starting at buf[i]."""
    c = buf[i]
    if c < 0x80:
        return np.int64(c), np.int64(1)
    if c < 0xE0:
        return (np.int64(c & 0x1F) << 6) | np.int64(buf[i + 1] & 0x3F), np.int64(2)
    if c < 0xF0:
        return ((np.int64(c & 0x0F) << 12) | (np.int64(buf[i + 1] & 0x3F) << 6)
                | np.int64(buf[i + 2] & 0x3F)), np.int64(3)
    return ((np.int64(c & 0x07) << 18) | (np.int64(buf[i + 1] & 0x3F) << 12)
            | (np.int64(buf[i + 2] & 0x3F) << 6) | np.int64(buf[i + 3] & 0x3F)), np.int64(4)
