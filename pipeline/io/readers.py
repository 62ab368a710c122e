"""Readers: input paths -> a stream of RawDocument (or ReadFailure rows for what cannot be read).

Formats are chosen by extension (.txt .md .html .htm .jsonl .json .parquet .warc .wet, each
optionally .gz / .zst). Everything streams: one file, one line, one record at a time.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from pipeline.core.document import RawDocument
from pipeline.errors import InputError

TEXT_EXT = {".txt", ".md", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
JSONL_EXT = {".jsonl", ".ndjson", ".json"}
PARQUET_EXT = {".parquet"}
WARC_EXT = {".warc", ".wet", ".arc"}
COMPRESSION_EXT = {".gz", ".zst", ".zstd"}
KNOWN_EXT = TEXT_EXT | HTML_EXT | JSONL_EXT | PARQUET_EXT | WARC_EXT


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    rel_id: str  # path relative to the argument it came from, without extensions
    kind: str  # "text" | "html" | "jsonl" | "parquet" | "warc" | "unknown"
    compression: str | None  # "gz" | "zst" | None


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """A record or file that could not be read; becomes a rejected row (stage "read")."""

    id: str
    source: str
    reason: str


def _split_ext(name: str) -> tuple[str, str, str | None]:
    """'a.jsonl.gz' -> ('a', '.jsonl', 'gz')."""
    p = Path(name)
    compression = None
    if p.suffix.lower() in COMPRESSION_EXT:
        compression = "gz" if p.suffix.lower() == ".gz" else "zst"
        p = p.with_suffix("")
    ext = p.suffix.lower()
    stem = p.name[: -len(p.suffix)] if p.suffix else p.name
    return stem, ext, compression


def _kind(ext: str) -> str:
    if ext in TEXT_EXT:
        return "text"
    if ext in HTML_EXT:
        return "html"
    if ext in JSONL_EXT:
        return "jsonl"
    if ext in PARQUET_EXT:
        return "parquet"
    if ext in WARC_EXT:
        return "warc"
    return "unknown"


def resolve_inputs(paths: list[str | Path]) -> list[InputFile]:
    """Expand files and folders (sorted, hidden files skipped). Raises InputError before any
    work when a path is missing or unreadable."""
    if not paths:
        raise InputError("no input paths given")
    out: list[InputFile] = []
    for arg in paths:
        p = Path(arg)
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
        if not os.access(p, os.R_OK):
            raise InputError(f"{p}: permission denied")
        if p.is_dir():
            files = sorted(
                f
                for f in p.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            for f in files:
                rel = f.relative_to(p)
                stem, ext, comp = _split_ext(rel.name)
                rel_id = (rel.parent / stem).as_posix() if rel.parent != Path(".") else stem
                out.append(InputFile(f, rel_id, _kind(ext), comp))
        else:
            stem, ext, comp = _split_ext(p.name)
            out.append(InputFile(p, stem, _kind(ext), comp))
    return out


def _open(f: InputFile) -> IO[bytes]:
    raw = open(f.path, "rb")  # noqa: SIM115 - returned to the caller, closed there
    if f.compression == "gz":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if f.compression == "zst":
        return io.BufferedReader(_ZstdReader(raw))
    return raw


class _ZstdReader(io.RawIOBase):
    """Streaming zstd reader that, unlike zstandard's stream_reader, reports a truncated frame
    (EOFError) instead of silently ending early."""

    def __init__(self, raw: IO[bytes]) -> None:
        import zstandard

        self._raw = raw
        self._dctx = zstandard.ZstdDecompressor()
        self._obj = self._dctx.decompressobj()
        self._buf = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        while not self._buf and not self._eof:
            chunk = self._raw.read(1 << 16)
            if not chunk:
                self._eof = True
                if not self._obj.eof:
                    raise EOFError("zstd stream ended before the end of its frame")
                break
            if self._obj.eof:  # a new concatenated frame
                self._obj = self._dctx.decompressobj()
            data = self._obj.decompress(chunk)
            # Frames that end inside this chunk leave the next frame's start in unused_data.
            while self._obj.eof and self._obj.unused_data:
                rest = self._obj.unused_data
                self._obj = self._dctx.decompressobj()
                data += self._obj.decompress(rest)
            self._buf = data
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


# Errors a truncated or corrupt compressed stream raises while being read.
_STREAM_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, zlib.error, gzip.BadGzipFile)
try:  # zstandard's error type, when installed
    import zstandard as _zstd

    _STREAM_ERRORS = _STREAM_ERRORS + (_zstd.ZstdError,)
except ImportError:  # pragma: no cover
    pass


def read_file(f: InputFile, max_bytes: int) -> Iterator[RawDocument | ReadFailure]:
    """Stream the records of one input file."""
    src = str(f.path)
    if f.kind == "unknown":
        yield ReadFailure(f.rel_id, src, f"read:unsupported file type '{f.path.name}'")
        return
    try:
        if f.kind in ("text", "html"):
            yield from _read_single(f, max_bytes)
        elif f.kind == "jsonl":
            yield from _read_jsonl(f, max_bytes)
        elif f.kind == "parquet":
            from pipeline.io.parquet_input import read_parquet

            yield from read_parquet(f)
        else:
            from pipeline.io.warc_input import read_warc

            yield from read_warc(f, max_bytes)
    except _STREAM_ERRORS as exc:
        yield ReadFailure(f"{f.rel_id}:<file>", src, f"read:corrupt or truncated {f.compression or 'file'} ({exc})")


def _read_single(f: InputFile, max_bytes: int) -> Iterator[RawDocument | ReadFailure]:
    with _open(f) as fh:
        # Read one byte past the limit so the decode stage can reject oversized documents
        # without us holding an unbounded blob in memory.
        data = fh.read(max_bytes + 1)
    fmt = "html" if f.kind == "html" else "text"
    yield RawDocument(id=f.rel_id, source=str(f.path), data=data, format=fmt)


def _str_or_none(v: object) -> str | None:
    if v is None:
        return None
    return str(v)


def record_from_mapping(obj: dict, default_id: str, source: str) -> RawDocument | ReadFailure:
    """One JSON/Parquet row -> RawDocument: `id`, `text` or `html`, optional url/title/date."""
    doc_id = obj.get("id")
    doc_id = default_id if doc_id is None or doc_id == "" else str(doc_id)
    text, html = obj.get("text"), obj.get("html")
    if isinstance(html, str) and html.strip():
        data, fmt = html, "html"
    elif isinstance(text, str):
        data, fmt = text, "text"
    elif text is None and html is None:
        return ReadFailure(doc_id, source, "read:record has no 'text' or 'html' field")
    else:
        return ReadFailure(doc_id, source, f"read:'text' is {type(text).__name__}, not a string")
    return RawDocument(
        id=doc_id,
        source=source,
        data=data,
        format=fmt,  # type: ignore[arg-type]
        url=_str_or_none(obj.get("url")),
        title=_str_or_none(obj.get("title")),
        date=_str_or_none(obj.get("date")),
    )


def _read_jsonl(f: InputFile, max_bytes: int) -> Iterator[RawDocument | ReadFailure]:
    src = str(f.path)
    with _open(f) as fh:
        stream = io.BufferedReader(fh) if not isinstance(fh, io.BufferedReader) else fh  # type: ignore[arg-type]
        for lineno, line in enumerate(stream, start=1):
            default_id = f"{f.rel_id}:{lineno}"
            if not line.strip():
                continue
            if len(line) > max_bytes:
                yield ReadFailure(default_id, src, f"read:line {lineno} is {len(line)} bytes > max_bytes")
                continue
            try:
                obj = json.loads(line.decode("utf-8"))
            except UnicodeDecodeError:
                yield ReadFailure(default_id, src, f"read:line {lineno} is not UTF-8")
                continue
            except json.JSONDecodeError as exc:
                yield ReadFailure(default_id, src, f"read:line {lineno} is not JSON ({exc.msg})")
                continue
            if not isinstance(obj, dict):
                yield ReadFailure(default_id, src, f"read:line {lineno} is a JSON {type(obj).__name__}, not an object")
                continue
            yield record_from_mapping(obj, default_id, src)
