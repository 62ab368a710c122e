"""Readers: input paths -> a stream of RawDocument (or ReadFailure rows for what cannot be read).

Formats are chosen by extension (.txt .md .html .htm .jsonl .json .parquet .warc .wet, each
optionally .gz / .zst). Everything streams: one file, one line, one record at a time.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from pipeline.core.document import RawDocument
from pipeline.errors import InputError
from pipeline.io.fields import DEFAULT_INPUT, InputConfig, get_field
from pipeline.io.safety import check_input_arg, clean_str, display_path, sanitize_record, walk_files
from pipeline.io.storage import AnyPath, as_path, describe_error, is_remote, open_binary

TEXT_EXT = {".txt", ".md", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
JSONL_EXT = {".jsonl", ".ndjson", ".json"}
PARQUET_EXT = {".parquet"}
WARC_EXT = {".warc", ".wet", ".arc"}
COMPRESSION_EXT = {".gz", ".zst", ".zstd"}
KNOWN_EXT = TEXT_EXT | HTML_EXT | JSONL_EXT | PARQUET_EXT | WARC_EXT


# Reason codes of records or files that could not be read (rejected rows with stage "read").
REASONS = {
    "read:*": "the file or record could not be read (unsupported type, corrupt or truncated "
              "compression, a JSONL line that is not a JSON object or longer than decode.max_bytes, "
              "a .json file that is not an array, a broken, damaged or truncated WARC record, a record or "
              "Parquet file without the text field (input.text_field, --text-field) or html, a Parquet "
              "file corrupt after some rows, a FIFO/socket/device not opened, "
              "a symlink loop or an unreadable folder); the rest of the text says which",
}


def read_reason_key(reason: str) -> str:
    """A read reason without its per-record details, for counting (manifest, `pipeline stats`):
    'read:line 7 is not JSON (...)' -> 'read:line N is not JSON (...)', and an unsupported file
    by its extension."""
    reason = re.sub(r"(unsupported file type )'[^']*?(\.[^.']*)?'", r"\1'*\2'", reason)
    return re.sub(r"\b\d+\b", "N", reason)


@dataclass(frozen=True, slots=True)
class InputFile:
    path: AnyPath  # a local Path, or a UPath on an fsspec filesystem (pipeline.io.storage)
    rel_id: str  # path relative to the argument it came from, without extensions
    kind: str  # "text" | "html" | "jsonl" | "parquet" | "warc" | "unknown" | "error"
    compression: str | None  # "gz" | "zst" | None
    problem: str | None = None  # kind "error": why it cannot be read (one rejected row)


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
    """Expand files and folders (sorted, hidden files skipped, symlinked folders followed once).
    Raises InputError before any work when an argument is missing, unreadable or a FIFO, socket
    or device; anything inside a folder that cannot be read becomes an "error" entry (one
    rejected row) instead of disappearing."""
    if not paths:
        raise InputError("no input paths given")
    out: list[InputFile] = []
    for arg in paths:
        p = as_path(arg)
        if is_remote(p):
            out.extend(_remote_inputs(p))
            continue
        check_input_arg(p)
        if p.is_dir():
            for f, problem in walk_files(p):
                rel = f.relative_to(p)
                stem, ext, comp = _split_ext(rel.name)
                rel_id = (rel.parent / stem).as_posix() if rel.parent != Path(".") else stem
                if problem:
                    out.append(InputFile(f, display_path(rel.as_posix()), "error", None, problem))
                else:
                    out.append(InputFile(f, display_path(rel_id), _kind(ext), comp))
        else:
            stem, ext, comp = _split_ext(p.name)
            out.append(InputFile(p, display_path(stem), _kind(ext), comp))
    return out


def _remote_inputs(p) -> list[InputFile]:
    """A file or a folder (prefix) on an fsspec filesystem, listed like a local folder: sorted
    by path components, hidden names skipped. A missing path or bucket, or one the credentials
    cannot read, is an InputError before any work."""
    fs = p.fs
    try:
        info = fs.info(p.path)
    except FileNotFoundError:
        raise InputError(f"{display_path(p)}: no such file or folder") from None
    except Exception as exc:  # noqa: BLE001 - credentials, network, a bad endpoint: one line
        raise InputError(f"{display_path(p)}: cannot read ({describe_error(exc)})") from None
    if info.get("type") != "directory":
        stem, ext, comp = _split_ext(p.name)
        return [InputFile(p, display_path(stem), _kind(ext), comp)]
    root = p.path.rstrip("/")
    try:
        keys = fs.find(root)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{display_path(p)}: cannot list ({describe_error(exc)})") from None
    out = []
    for rel in sorted((k[len(root) + 1:] for k in keys if k.startswith(root + "/")), key=lambda r: r.split("/")):
        parts = rel.split("/")
        if any(part.startswith(".") or not part for part in parts):
            continue
        stem, ext, comp = _split_ext(parts[-1])
        rel_id = "/".join([*parts[:-1], stem])
        out.append(InputFile(p.joinpath(*parts), display_path(rel_id), _kind(ext), comp))
    return out


@dataclass(frozen=True, slots=True)
class InputCount:
    """What a run will read, counted before any work: for progress totals and --dry-run."""

    files: int
    bytes: int  # on disk (compressed where the file is)
    documents: int | None  # None when some container's records cannot be counted cheaply (WARC)
    kinds: dict
    raw_bytes: int = 0  # uncompressed, estimated (gzip's size trailer, zstd's frame header)


def _uncompressed_size(f: InputFile, on_disk: int) -> int:
    """A cheap estimate of a file's uncompressed size: gzip's ISIZE trailer (the last member's,
    mod 4 GiB), zstd's frame content size when the header has it; else the size on disk."""
    try:
        if f.compression == "gz" and on_disk >= 18:
            with open_binary(f.path) as fh:
                fh.seek(-4, os.SEEK_END)
                return max(on_disk, int.from_bytes(fh.read(4), "little"))
        if f.compression == "zst":
            import zstandard

            with open_binary(f.path) as fh:
                size = zstandard.frame_content_size(fh.read(18))
            return size if size and size > 0 else on_disk
    except (OSError, ValueError, Exception):  # noqa: BLE001 - an estimate only
        pass
    return on_disk


COUNT_LINES_MAX_BYTES = 256 << 20  # JSONL larger than this (on disk, in all) is not pre-counted: ~1 s per 100 MB


def count_inputs(files: list[InputFile]) -> InputCount:
    """Files, bytes and, where cheap, documents: one per text/HTML file (and per unreadable
    file: it becomes one rejected row), non-blank lines of JSONL, row counts from Parquet
    footers. WARC records and .json arrays are not counted (documents=None)."""
    total_bytes, raw_bytes, docs, kinds = 0, 0, 0, {}
    known = True
    sizes = [_size_on_disk(f) for f in files]
    jsonl_bytes = sum(size for f, size in zip(files, sizes) if f.kind == "jsonl")
    for f, size in zip(files, sizes):
        total_bytes += size
        raw_bytes += _uncompressed_size(f, size) if f.compression else size
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
        if f.kind == "warc" or (f.kind == "jsonl" and jsonl_bytes > COUNT_LINES_MAX_BYTES):
            known = False
        elif f.kind == "jsonl":
            n = _count_json_records(f)
            known = known and n is not None
            docs += n or 0
        elif f.kind == "parquet":
            try:
                from pipeline.io.storage import read_metadata

                docs += max(1, read_metadata(f.path).num_rows)
            except Exception:  # noqa: BLE001
                docs += 1
        else:  # text, HTML, and an "error" entry (a FIFO, a loop, ...): one row each, never opened
            docs += 1
    return InputCount(len(files), total_bytes, docs if known else None, dict(sorted(kinds.items())), raw_bytes)


def _size_on_disk(f: InputFile) -> int:
    """Bytes on disk; 0 for an entry that is reported instead of read (FIFO, broken link, loop)."""
    if f.kind == "error":
        return 0
    try:
        return f.path.stat().st_size
    except OSError:
        return 0


def _count_json_records(f: InputFile) -> int | None:
    """Non-blank lines of a JSONL file, read in bounded chunks (one 10 GB line costs no memory);
    a broken file is one rejected row; a .json array is not counted ahead (None)."""
    try:
        with _open(f) as fh:
            n, pending, first = 0, False, True
            while chunk := fh.read(1 << 20):
                if first and _is_json_array(f, chunk[:64]):
                    return None
                first = False
                *lines, tail = chunk.split(b"\n")
                for line in lines:
                    n += pending or bool(line.strip())
                    pending = False
                pending = pending or bool(tail.strip())
            return max(1, n + pending)
    except Exception:  # noqa: BLE001 - a broken file is one rejected row
        return 1


def _open(f: InputFile) -> IO[bytes]:
    raw = open_binary(f.path)  # noqa: SIM115 - returned to the caller, closed there
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


def read_file(f: InputFile, max_bytes: int, fields: InputConfig = DEFAULT_INPUT) -> Iterator[RawDocument | ReadFailure]:
    """Stream the records of one input file (`fields`: where JSONL/Parquet records keep text
    and id). Every string field of every record is writable (no lone surrogates, file names
    that are not UTF-8 shown escaped); nothing raises."""
    for rec in _read_file(f, max_bytes, fields):
        yield sanitize_record(rec)


def _read_file(f: InputFile, max_bytes: int, fields: InputConfig) -> Iterator[RawDocument | ReadFailure]:
    src = display_path(f.path)
    if f.kind == "error":
        yield ReadFailure(f"{f.rel_id}:<file>", src, f.problem or "read:cannot read")
        return
    if f.kind == "unknown":
        yield ReadFailure(f.rel_id, src, f"read:unsupported file type '{display_path(f.path.name)}'")
        return
    n = 0
    try:
        if f.kind in ("text", "html"):
            gen = _read_single(f, max_bytes)
        elif f.kind == "jsonl":
            gen = _read_json(f, max_bytes, fields)
        elif f.kind == "parquet":
            from pipeline.io.parquet_input import read_parquet

            gen = read_parquet(f, fields)
        else:
            from pipeline.io.warc_input import read_warc

            gen = read_warc(f, max_bytes)
        for rec in gen:
            n += 1
            yield rec
    except (PermissionError, FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        yield ReadFailure(f"{f.rel_id}:<file>", src, f"read:cannot open file ({exc.strerror or type(exc).__name__})")
    except _STREAM_ERRORS as exc:
        yield ReadFailure(f"{f.rel_id}:<file>", src, f"read:corrupt or truncated {f.compression or 'file'} after record {n} ({exc})")
    except MemoryError:
        yield ReadFailure(f"{f.rel_id}:<file>", src, f"read:out of memory reading the file after record {n}")
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a corpus run
        yield ReadFailure(f"{f.rel_id}:<file>", src, f"read:unreadable file after record {n} ({type(exc).__name__}: {str(exc)[:200]})")


def _read_single(f: InputFile, max_bytes: int) -> Iterator[RawDocument | ReadFailure]:
    with _open(f) as fh:
        # Read one byte past the limit so the decode stage can reject oversized documents
        # without us holding an unbounded blob in memory.
        data = fh.read(max_bytes + 1)
    fmt = "html" if f.kind == "html" else "text"
    yield RawDocument(id=f.rel_id, source=display_path(f.path), data=data, format=fmt)


def _str_or_none(v: object) -> str | None:
    if v is None:
        return None
    return clean_str(v if isinstance(v, str) else str(v))


def record_from_mapping(obj: dict, default_id: str, source: str, fields: InputConfig = DEFAULT_INPUT) -> RawDocument | ReadFailure:
    """One JSON/Parquet row -> RawDocument: id and text from the fields `fields` names (default
    `id`, `text`), or `html`; optional url/title/date."""
    doc_id = get_field(obj, fields.id_field)
    doc_id = default_id if doc_id is None or doc_id == "" else clean_str(str(doc_id))
    text, html = get_field(obj, fields.text_field), obj.get("html")
    if isinstance(html, (str, bytes)) and html.strip():
        data, fmt = html, "html"
    elif isinstance(text, (str, bytes)):
        data, fmt = text, "text"
    elif text is None and html is None:
        return ReadFailure(doc_id, source, f"read:record has no '{fields.text_field}' or 'html' field")
    else:
        return ReadFailure(doc_id, source, f"read:'{fields.text_field}' is {type(text).__name__}, not a string")
    return RawDocument(
        id=doc_id,
        source=source,
        data=data,
        format=fmt,  # type: ignore[arg-type]
        url=_str_or_none(obj.get("url")),
        title=_str_or_none(obj.get("title")),
        date=_str_or_none(obj.get("date")),
    )


# Bytes read at a time while skipping the rest of an over-long line.
_CHUNK = 1 << 20


def bounded_lines(stream: IO[bytes], max_len: int) -> Iterator[tuple[int, bytes | int]]:
    """(line number, line) for each line, or (line number, length) for a line longer than
    `max_len`, which is skipped without ever being held in memory whole."""
    lineno = 0
    while True:
        line = stream.readline(max_len + 1)
        if not line:
            return
        lineno += 1
        if len(line) > max_len and not line.endswith(b"\n"):
            size = len(line)
            while True:  # skip to the end of this line, a chunk at a time
                rest = stream.readline(_CHUNK)
                size += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            yield lineno, size
            continue
        yield lineno, line


def _is_json_array(f: InputFile, head: bytes) -> bool:
    """A .json file (compressed or not) whose first character (after a BOM, blanks) is `[`."""
    is_json = f.path.name.lower().split(".gz")[0].split(".zst")[0].endswith(".json")
    return is_json and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")


def _read_json(f: InputFile, max_bytes: int, fields: InputConfig) -> Iterator[RawDocument | ReadFailure]:
    """.jsonl / .ndjson: one object per line. A .json file whose first character is `[` is one
    JSON array of objects (streamed element by element), otherwise it is read as JSON lines."""
    with _open(f) as fh:
        stream = io.BufferedReader(fh) if not isinstance(fh, io.BufferedReader) else fh  # type: ignore[arg-type]
        if _is_json_array(f, stream.peek(64)[:64]):
            from pipeline.io.json_array import read_json_array

            yield from read_json_array(stream, f, max_bytes, fields)
            return
        yield from _read_jsonl(stream, f, max_bytes, fields)


def _read_jsonl(stream: IO[bytes], f: InputFile, max_bytes: int, fields: InputConfig) -> Iterator[RawDocument | ReadFailure]:
    src = display_path(f.path)
    for lineno, line in bounded_lines(stream, max_bytes):
        default_id = f"{f.rel_id}:{lineno}"
        if isinstance(line, int):
            yield ReadFailure(default_id, src, f"read:line {lineno} is {line} bytes > max_bytes")
            continue
        if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]  # a UTF-8 byte-order mark at the start of the file
        if not line.strip():
            continue
        yield parse_json_record(line, default_id, src, f"line {lineno}", fields)


def parse_json_record(data: bytes, default_id: str, src: str, where: str, fields: InputConfig = DEFAULT_INPUT) -> RawDocument | ReadFailure:
    try:
        obj = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return ReadFailure(default_id, src, f"read:{where} is not UTF-8")
    except json.JSONDecodeError as exc:
        return ReadFailure(default_id, src, f"read:{where} is not JSON ({exc.msg})")
    except RecursionError:
        return ReadFailure(default_id, src, f"read:{where} is JSON nested too deeply")
    if not isinstance(obj, dict):
        return ReadFailure(default_id, src, f"read:{where} is a JSON {type(obj).__name__}, not an object")
    return record_from_mapping(obj, default_id, src, fields)
