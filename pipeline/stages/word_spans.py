"""Every word (Python's `\\w+`) of every line of an Arrow string array, in one compiled pass.

The content model's features need the words of a whole shard's lines (~250 per news article).
Python's `re.findall` per line costs ~35 us per article, a quarter of the boilerplate stage
(issue 13). This numba kernel walks the lines' UTF-8 bytes once with the same code-point table
as dedup's tokeniser (`\\w` = `str.isalnum()` or "_"), so the words, their order and the line
each belongs to are those of `re.findall(r"\\w+", line)`: tests compare the two on real pages.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa


@lru_cache(maxsize=1)
def compiled_word_spans():
    """The compiled kernel, or None without numba (the caller then uses `re.findall`)."""
    try:
        from numba import njit
    except ImportError:  # pragma: no cover - numba is a declared dependency
        return None

    @njit(cache=True, nogil=True)
    def words(buf, offsets, is_word):  # pragma: no cover - compiled
        n = offsets.shape[0] - 1
        out = np.empty(offsets[n] - offsets[0], dtype=np.uint8)
        # at most one word per two bytes, plus one per line
        out_offs = np.zeros((offsets[n] - offsets[0]) // 2 + n + 2, dtype=np.int64)
        parent = np.empty(out_offs.shape[0], dtype=np.int64)
        o = 0
        m = 0
        for d in range(n):
            i = offsets[d]
            e = offsets[d + 1]
            inside = False
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
                    cp = ((np.int64(c & 0x07) << 18) | (np.int64(buf[i + 1] & 0x3F) << 12)
                          | (np.int64(buf[i + 2] & 0x3F) << 6) | np.int64(buf[i + 3] & 0x3F))
                if is_word[cp]:
                    if not inside:
                        inside = True
                        parent[m] = d
                    for k in range(ln):
                        out[o] = buf[i + k]
                        o += 1
                elif inside:
                    inside = False
                    m += 1
                    out_offs[m] = o
                i += ln
            if inside:
                m += 1
                out_offs[m] = o
        return out[:o], out_offs[:m + 1], parent[:m]

    return words


def word_spans(lines: pa.Array) -> tuple[pa.Array, np.ndarray] | None:
    """(every word of `lines` as one flat large_string array, the index of its line), or None
    without numba. `lines` is a large_string array without nulls."""
    kernel = compiled_word_spans()
    if kernel is None:
        return None
    from pipeline.dedup._kernels import is_word_table

    _validity, offsets_buf, data_buf = lines.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    out, out_offs, parent = kernel(data, offsets, is_word_table())
    words = pa.LargeStringArray.from_buffers(len(parent), pa.py_buffer(out_offs), pa.py_buffer(out))
    return words, parent
