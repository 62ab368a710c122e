"""Parquet input: rows with an id and `text` or `html` (optional url, title, date), streamed by
batch; the text and id columns are the config's `input.text_field` / `input.id_field` (a dot
reaches into a struct column: `meta.id`).

A string column holding invalid UTF-8 costs only the rows that hold it: such a batch is re-read
as bytes, `text`/`html` bytes go to the decode stage like any file's bytes, and metadata is
decoded with replacement characters. A corrupt file (a flipped bit, a cut) is one row naming
the file and the last row read; rows read before it are kept.
"""

from __future__ import annotations

from typing import Iterator

import pyarrow as pa

from pipeline.core.document import RawDocument
from pipeline.io.fields import DEFAULT_INPUT, InputConfig, top_level
from pipeline.io.readers import InputFile, ReadFailure, record_from_mapping
from pipeline.io.safety import display_path
from pipeline.io.storage import parquet_file

_METADATA = ("html", "url", "title", "date")


def read_parquet(f: InputFile, fields: InputConfig = DEFAULT_INPUT) -> Iterator[RawDocument | ReadFailure]:
    src = display_path(f.path)
    try:
        pf = parquet_file(f.path)
        names = set(pf.schema_arrow.names)
    except (PermissionError, FileNotFoundError):
        raise  # read_file reports these as "cannot open"
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds on corrupt footers
        yield ReadFailure(f"{f.rel_id}:<file>", src, f"read:not a readable Parquet file ({_short(exc)})")
        return
    text_column = fields.text_field if fields.text_field in names else top_level(fields.text_field)
    id_column = fields.id_field if fields.id_field in names else top_level(fields.id_field)
    if not {text_column, "html"} & names:
        yield ReadFailure(
            f"{f.rel_id}:<file>", src, f"read:wrong Parquet schema: no '{fields.text_field}' or 'html' column (has {sorted(names)})"
        )
        return
    columns = [c for c in dict.fromkeys((id_column, text_column, *_METADATA)) if c in names]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=1000, columns=columns):
            for obj in _rows(batch, (text_column, "html")):
                row += 1
                yield record_from_mapping(obj, f"{f.rel_id}:{row}", src, fields)
    except Exception as exc:  # noqa: BLE001 - a flipped bit can surface as almost any error
        yield ReadFailure(f"{f.rel_id}:<file>", src, f"read:corrupt Parquet after row {row} ({_short(exc)})")


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _rows(batch: pa.RecordBatch, body_columns: tuple[str, ...]) -> list[dict]:
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
                    v = v if name in body_columns else v.decode("utf-8", "replace")
            obj[name] = v
        rows.append(obj)
    return rows
