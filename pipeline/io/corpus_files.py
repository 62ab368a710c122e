"""corpus/ as files of a target size, whatever the input shards were.

The corpus is written in one ordered pass (finish), shard after shard; rows flow through one
buffer into row groups and row groups into files, and a file closes once its size on disk
reaches `run.target_file_mb`. Every cut depends on the rows in their final order only, never
on shard boundaries, worker counts or the engine, so the files are byte-identical across them
(and on --resume, which redoes the whole pass).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.engine.faults import fault_point
from pipeline.io.layout import RunLayout
from pipeline.io.storage import is_remote, put_bytes
from pipeline.io.writers import CORPUS_SCHEMA, write_table

# A row group also closes at this much text: readers (datasets, DuckDB, polars) hold one row
# group at a time, and 10,000 long pages can be gigabytes.
ROW_GROUP_MAX_BYTES = 64 << 20


@dataclass
class CorpusFiles:
    """Append corpus tables in order (`add`), then `close` -> [(file name, rows)] in order."""

    layout: RunLayout
    target_bytes: int
    row_group_rows: int
    metadata: Mapping[str, str]
    row_group_max_bytes: int = ROW_GROUP_MAX_BYTES
    files: list[tuple[str, int]] = field(default_factory=list)
    _pending: list[pa.Table] = field(default_factory=list)
    _pending_rows: int = 0
    _pending_bytes: int = 0
    _writer: pq.ParquetWriter | None = None
    _sink: pa.NativeFile | None = None
    _tmp: Path | None = None
    _rows_in_file: int = 0

    def add(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self._pending_bytes += _text_bytes(table).sum()
        while self._pending_rows >= self.row_group_rows or self._pending_bytes >= self.row_group_max_bytes:
            self._flush_row_group()

    def close(self) -> list[tuple[str, int]]:
        """Write what is buffered, close the last file and remove part files an interrupted
        earlier attempt left beyond the ones written now. An empty corpus is one file with the
        schema and no row group (readers get an empty table)."""
        while self._pending_rows:
            self._flush_row_group()
        self._close_file()
        if not self.files:
            path = self.layout.corpus_part(0)
            write_table(CORPUS_SCHEMA.empty_table(), path, metadata=self.metadata)
            self.files.append((path.name, 0))
        names = {name for name, _ in self.files}
        for old in self.layout.corpus.glob("part-*.parquet"):
            if old.name not in names:
                old.unlink()
        return self.files

    def _flush_row_group(self) -> None:
        """Write the first row group of the buffer: `row_group_rows` rows, or fewer once their
        text reaches `row_group_max_bytes` (always at least one row), or all that is left."""
        t = pa.concat_tables(self._pending)
        over = np.flatnonzero(np.cumsum(_text_bytes(t)) >= self.row_group_max_bytes)
        n = min(self.row_group_rows, t.num_rows, int(over[0]) + 1 if len(over) else t.num_rows)
        head, tail = t.slice(0, n), t.slice(n)
        self._pending = [tail] if tail.num_rows else []
        self._pending_rows = tail.num_rows
        self._pending_bytes = int(_text_bytes(tail).sum()) if tail.num_rows else 0
        self._write_row_group(head)

    def _write_row_group(self, t: pa.Table) -> None:
        if self._writer is None:
            path = self.layout.corpus_part(len(self.files))
            if is_remote(path):  # written locally, then put whole (an object store has no rename)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp")
                os.close(fd)
                self._tmp = Path(tmp)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            self._sink = pa.OSFile(str(self._tmp), "wb")
            self._writer = pq.ParquetWriter(self._sink, CORPUS_SCHEMA.with_metadata(self.metadata), compression="zstd")
            self._rows_in_file = 0
        try:
            self._writer.write_table(t, row_group_size=t.num_rows)  # one row group
        except BaseException:
            self._discard()
            raise
        self._rows_in_file += t.num_rows
        if self._sink.tell() >= self.target_bytes:
            self._close_file()

    def _close_file(self) -> None:
        if self._writer is None:
            return
        path = self.layout.corpus_part(len(self.files))
        try:
            self._writer.close()
            self._sink.close()
            if is_remote(path):
                put_bytes(self._tmp.read_bytes(), path)
                self._tmp.unlink()
            else:
                os.replace(self._tmp, path)
        except BaseException:
            self._discard()
            raise
        self.files.append((path.name, self._rows_in_file))
        self._writer = self._sink = self._tmp = None
        fault_point("rename", path.name)

    def _discard(self) -> None:
        """Disk full, interrupted...: never leave a .tmp behind."""
        for closing in (self._writer, self._sink):
            try:
                if closing is not None:
                    closing.close()
            except Exception:  # noqa: BLE001 - already failing; the original error is raised
                pass
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
        self._writer = self._sink = self._tmp = None


def _text_bytes(t: pa.Table) -> np.ndarray:
    return pc.binary_length(t.column("text")).to_numpy(zero_copy_only=False).astype(np.int64)


def shard_segments(shard_rows: list[int], files: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """For each shard (its corpus rows, in order): the (file, rows) runs holding its documents."""
    out: list[list[tuple[str, int]]] = []
    k, left = 0, files[0][1] if files else 0
    for n in shard_rows:
        segs: list[tuple[str, int]] = []
        while n:
            while left == 0:
                k += 1
                left = files[k][1]
            take = min(n, left)
            segs.append((files[k][0], take))
            n, left = n - take, left - take
        out.append(segs)
    return out
