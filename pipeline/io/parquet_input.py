"""Parquet input: rows with `id` and `text` or `html` (optional url, title, date), streamed by batch.

A string column holding invalid UTF-8 costs only the rows that hold it: such a batch is re-read
as bytes, `text`/`html` bytes go to the decode stage like any file's bytes, and metadata is
decoded with replacement characters. A corrupt file (a flipped bit, a cut) is one row naming
the file and the last row read; rows read before it are kept.
"""

from __future__ import annotations

from typing import Iterator

import pyarrow as pa

from pipeline.core.document import RawDocument
from pipeline.io.readers import InputFile, ReadFailure, record_from_mapping
from pipeline.io.safety import display_path
from pipeline.io.storage import parquet_file

_WANTED = ("id", "text", "html", "url", "title", "date")


def read_parquet(f: InputFile) -> Iterator[RawDocument | ReadFailure]:
    src = display_path(f.path)
    try:
        pf = parquet_file(f.path)
        names = set(pf.schema_arrow.names)
    except (PermissionError, FileNotFoundError):
        raise  # read_file reports these as "cannot open"
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds on corrupt footers
        yield ReadFailure(f"{f.rel_id}:<file>", src, f"read:not a readable Parquet file ({_short(exc)})")
        return
    if not {"text", "html"} & names:
        yield ReadFailure(
            f"{f.rel_id}:<file>", src, f"read:wrong Parquet schema: no 'text' or 'html' column (has {sorted(names)})"
        )
        return
    columns = [c for c in _WANTED if c in names]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=1000, columns=columns):
            for obj in _rows(batch):
                row += 1
                yield record_from_mapping(obj, f"{f.rel_id}:{row}", src)
    except Exception as exc:  # noqa: BLE001 - a flipped bit can surface as almost any error
        yield ReadFailure(f"{f.rel_id}:<file>", src, f"read:corrupt Parquet after row {row} ({_short(exc)})")


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _rows(batch: pa.RecordBatch) -> list[dict]:
    try:
        return batch.to_pylist()
    except UnicodeDecodeError:
        pass
    # Some string column holds invalid UTF-8: take the batch as bytes, decide per value.
    cols = {}
    for name, col in zip(batch.schema.names, batch.columns):
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = col.cast(pa.binary() if pa.types.is_string(col.type) else pa.large_binary())
        cols[name] = col.to_pylist()
    rows = []
    for i in range(batch.num_rows):
        obj = {}
        for name, values in cols.items():
            v = values[i]
            if isinstance(v, bytes):
                try:
                    v = v.decode("utf-8")
                except UnicodeDecodeError:
                    # the body goes to decode as raw bytes (detection, or a rejected row);
                    # metadata keeps what is readable
                    v = v if name in ("text", "html") else v.decode("utf-8", "replace")
            obj[name] = v
        rows.append(obj)
    return rows
