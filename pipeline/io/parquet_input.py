"""Parquet input: rows with `id` and `text` or `html` (optional url, title, date), streamed by batch."""

from __future__ import annotations

from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.document import RawDocument
from pipeline.io.readers import InputFile, ReadFailure, record_from_mapping

_WANTED = ("id", "text", "html", "url", "title", "date")


def read_parquet(f: InputFile) -> Iterator[RawDocument | ReadFailure]:
    src = str(f.path)
    try:
        pf = pq.ParquetFile(f.path)
    except (pa.ArrowException, OSError) as exc:
        yield ReadFailure(f"{f.rel_id}:<file>", src, f"read:not a readable Parquet file ({exc})")
        return
    names = set(pf.schema_arrow.names)
    if not {"text", "html"} & names:
        yield ReadFailure(
            f"{f.rel_id}:<file>", src, f"read:wrong Parquet schema: no 'text' or 'html' column (has {sorted(names)})"
        )
        return
    columns = [c for c in _WANTED if c in names]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=1000, columns=columns):
            for obj in batch.to_pylist():
                row += 1
                yield record_from_mapping(obj, f"{f.rel_id}:{row}", src)
    except (pa.ArrowException, OSError) as exc:
        yield ReadFailure(f"{f.rel_id}:<file>", src, f"read:corrupt Parquet after row {row} ({exc})")
