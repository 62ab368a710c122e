"""WARC / WET input via warcio: HTML responses (charset from the HTTP header) and WET text records.

A damaged file loses only its damaged records: a record cut short (by the end of the file, also
inside its headers, or by the next record), with a wrong Content-Length, or with a header warcio
cannot parse, becomes one rejected row, and reading resumes at the next record header (the next
`WARC/1.x` version line, also one glued to a cut line, or the next gzip member of a .warc.gz). Header lines are read with a bounded length, so a file without line breaks cannot
take unbounded memory.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import zlib
from typing import IO, Iterator

from pipeline.core.document import RawDocument
from pipeline.io.readers import InputFile, ReadFailure
from pipeline.io.safety import display_path
from pipeline.io.storage import open_binary

log = logging.getLogger(__name__)

# Longest header line (WARC or HTTP) read at once; longer ones are cut and fail to parse.
MAX_HEADER_LINE = 64 * 1024
_SCAN = 1 << 20


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip().strip("\"'")
    return None


_current_file: contextvars.ContextVar[str] = contextvars.ContextVar("warc_file", default="<warc>")


class _WarcioStderr:
    """warcio writes its warnings (a damaged gzip member...) straight to stderr, over several
    lines and without naming the file: they become one log line that names it (the damaged
    record itself becomes a rejected row)."""

    def write(self, msg: str) -> int:
        text = " ".join(str(msg).split())
        if text:
            log.warning("%s: warcio: %s", _current_file.get(), text[:300])
        return len(msg)

    def flush(self) -> None:
        pass


class _SysForWarcio:
    stderr = _WarcioStderr()

    def __getattr__(self, name):
        return getattr(sys, name)


def _quiet_warcio() -> None:
    import warcio.archiveiterator
    import warcio.bufferedreaders

    for mod in (warcio.archiveiterator, warcio.bufferedreaders):
        if not isinstance(getattr(mod, "sys", None), _SysForWarcio):
            mod.sys = _SysForWarcio()  # type: ignore[attr-defined]


class _LengthWarning:
    """Stands in for warcio's multi-line "Content-Length is invalid" stderr warning: counts it
    (the record before becomes a rejected row) and logs one line naming the file."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.count = 0

    def format(self, offset, line) -> str:  # called as INC_RECORD.format(offset, line)
        self.count += 1
        log.warning("%s: WARC record before byte %s is not followed by a blank line (wrong Content-Length); rejected", self.src, offset)
        return ""


def _bound_readline(reader) -> None:
    orig = reader.readline

    def readline(length=None):
        return orig(MAX_HEADER_LINE if length is None else min(length, MAX_HEADER_LINE))

    reader.readline = readline


def _find_next(fh: IO[bytes], start: int, gz: bool) -> int | None:
    """Offset of the next record header at or after `start`: a gzip member header for a
    compressed file, else a `WARC/1.` line start."""
    # A WARC version line anywhere, not only after a line end: a record cut mid-line runs
    # straight into the next record's first line.
    patterns = (b"\x1f\x8b\x08",) if gz else (b"WARC/1.0\r\n", b"WARC/1.1\r\n", b"WARC/1.0\n", b"WARC/1.1\n")
    pos = start
    keep = 16
    while True:
        fh.seek(pos)
        chunk = fh.read(_SCAN)
        if not chunk:
            return None
        hits = [chunk.find(p) for p in patterns]
        hits = [h for h in hits if h >= 0]
        if hits:
            return pos + min(hits)
        if len(chunk) < _SCAN:
            return None
        pos += len(chunk) - keep


def read_warc(f: InputFile, max_bytes: int) -> Iterator[RawDocument | ReadFailure]:
    from warcio.archiveiterator import ArchiveIterator

    src = display_path(f.path)
    _quiet_warcio()
    _current_file.set(src)
    index = 0
    with open_binary(f.path) as fh:  # warcio handles .gz members itself
        gz = fh.read(2) == b"\x1f\x8b"
        size = os.fstat(fh.fileno()).st_size
        start = 0
        while start is not None and start < size:
            fh.seek(start)
            it = ArchiveIterator(fh, arc2warc=True)
            warn = _LengthWarning(src)
            it.INC_RECORD = warn  # type: ignore[assignment]
            _bound_readline(it.reader)
            pending: RawDocument | None = None
            rec_start = start
            resync: int | None = None
            try:
                for record in it:
                    rec_start = it.offset  # absolute offset of this record
                    if pending is not None:
                        yield _checked(pending, warn, index, src)
                        pending = None
                    warn.count = 0
                    index += 1
                    doc, problem = _record(record, f, src, index, max_bytes)
                    if problem is not None:
                        yield problem
                        if problem.reason.startswith(("read:truncated", "read:damaged")):
                            resync = rec_start + 1
                            break
                    elif doc is not None:
                        pending = doc
                if pending is not None:
                    yield _checked(pending, warn, index, src)
                    pending = None
                if resync is None and _ends_inside_headers(fh, it.offset, size, gz):
                    index += 1
                    yield ReadFailure(f"{f.rel_id}:<record {index}>", src,
                                      f"read:truncated WARC record {index} at byte {it.offset} (the file ends inside its headers)")
            except Exception as exc:  # noqa: BLE001 - warcio raises many kinds on damaged headers
                if pending is not None:
                    yield _checked(pending, warn, index, src)
                if warn.count:  # the unparsable bytes are the rest of the record just rejected:
                    # the next record starts after that record's start (perhaps inside what
                    # warcio read as its content, when the record was cut short)
                    start = _find_next(fh, max(rec_start, start) + 1, gz)
                    continue
                # Raised while reading the next record's headers: warcio has moved its offset to
                # that record, the broken one; resyncing past the previous record would meet it
                # again and report it twice.
                rec_start = max(rec_start, getattr(it, "offset", rec_start) or rec_start)
                yield ReadFailure(f"{f.rel_id}:<record {index + 1}>", src,
                                  f"read:broken WARC record {index + 1} at byte {rec_start} ({type(exc).__name__}: {str(exc)[:120]})")
                index += 1
                resync = max(rec_start, start) + 1
            start = None if resync is None else _find_next(fh, resync, gz)


def _ends_inside_headers(fh: IO[bytes], offset: int, size: int, gz: bool) -> bool:
    """warcio ends its iteration quietly when the file ends inside a record's WARC or HTTP
    headers: bytes after the last record it gave, other than blank padding (or an empty gzip
    member), are such a record."""
    if offset >= size:
        return False
    fh.seek(offset)
    rest = fh.read(1 << 16)
    if gz:
        member = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            rest = member.decompress(rest, 1 << 16)
        except zlib.error:
            return True
        if not member.eof and not rest:  # a member cut before its first byte of output
            return True
    return bool(rest.strip(b"\r\n\t \x00"))


def _checked(doc: RawDocument, warn: _LengthWarning, index: int, src: str) -> RawDocument | ReadFailure:
    """A record that warcio found not followed by a blank line had a wrong Content-Length:
    its content is cut or runs into the next record, so it is rejected, not kept half-read."""
    if warn.count:
        return ReadFailure(doc.id, src, f"read:WARC record {index} has a wrong Content-Length (not followed by a blank line)")
    return doc


def _record(record, f: InputFile, src: str, index: int, max_bytes: int) -> tuple[RawDocument | None, ReadFailure | None]:
    rtype = record.rec_type
    headers = record.rec_headers
    rec_id = (headers.get_header("WARC-Record-ID") or "").strip("<>").replace("urn:uuid:", "")
    doc_id = f"{f.rel_id}:{rec_id or index}"
    if _runs_into_next_record(record):
        return None, ReadFailure(doc_id, src, f"read:damaged WARC record {index} (cut inside its headers, which run into the next record's)")
    if not rtype or not headers.get_header("Content-Length"):  # both are mandatory: the file ends
        # inside this record's headers, or they are damaged (warcio reads such a record as empty)
        return None, _truncation(record, doc_id, src, index) or ReadFailure(
            doc_id, src, f"read:WARC record {index} has no WARC-Type or Content-Length (cut or damaged headers)")
    if rtype not in ("response", "conversion", "resource"):
        return None, _truncation(record, doc_id, src, index)
    url = headers.get_header("WARC-Target-URI")
    date = headers.get_header("WARC-Date")
    if rtype == "response":
        http = record.http_headers
        ctype = http.get_header("Content-Type") if http else None
        if ctype and "html" not in ctype.lower():
            return None, _truncation(record, doc_id, src, index)  # images, scripts, robots.txt: not documents
        fmt, charset = "html", _charset(ctype)
    elif rtype == "conversion":
        fmt, charset = "text", "utf-8"
    else:
        ctype = headers.get_header("Content-Type") or ""
        fmt, charset = ("html" if "html" in ctype else "text"), _charset(ctype)
    data = record.content_stream().read(max_bytes + 1)
    cut = _truncation(record, doc_id, src, index)
    if cut is not None:
        return None, cut
    return RawDocument(id=doc_id, source=src, data=data, format=fmt, charset_hint=charset, url=url, date=date), None


def _runs_into_next_record(record) -> bool:
    """A record cut inside its WARC or HTTP headers and followed by another record: warcio
    reads the next record's header lines as more of this one's, so a second WARC-Type shows."""
    blocks = [record.rec_headers] + ([record.http_headers] if record.http_headers else [])
    return sum(name.lower() == "warc-type" for block in blocks for name, _ in block.headers) > 1


def _truncation(record, doc_id: str, src: str, index: int) -> ReadFailure | None:
    """Drain the record; if the file ended before its Content-Length, it is cut."""
    raw = record.raw_stream
    while raw.read(1 << 16):
        pass
    missing = getattr(raw, "limit", 0)
    if missing and missing > 0:
        return ReadFailure(doc_id, src, f"read:truncated WARC record {index} ({missing} bytes short of its Content-Length)")
    return None
