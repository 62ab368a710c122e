"""Damaged WARC files, read record by record (direct calls, no pipeline run): a file cut at any
byte of its last record gives one rejected row for that record, never a silent loss; reading
resumes at the next record header however far past the damage it is (the header search reads
1 MiB at a time)."""

from __future__ import annotations

import gzip
import io

import pytest

from pipeline.core.document import RawDocument
from pipeline.io.readers import InputFile, ReadFailure
from pipeline.io.warc_input import _SCAN, _find_next, read_warc

from tests.helpers import warc_bytes


def _page(i: int) -> bytes:
    return f"<html><body><p>story number {i}</p></body></html>".encode()


def _records(n: int) -> list[bytes]:
    return [warc_bytes([(f"https://e.org/{i}", _page(i), "text/html")]) for i in range(n)]


def _read(tmp_path, name: str, data: bytes) -> list:
    p = tmp_path / name
    p.write_bytes(data)
    return list(read_warc(InputFile(p, "x", "warc", None), 10**6))


def _summary(rows) -> list[tuple[str, str]]:
    return [("doc", r.url) if isinstance(r, RawDocument) else ("row", r.id) for r in rows]


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_a_file_cut_anywhere_in_its_last_record_gives_one_row_for_it(tmp_path, gz):
    first, last = _records(2)
    name = "cut.warc.gz" if gz else "cut.warc"
    pack = gzip.compress if gz else (lambda b: b)
    whole = _read(tmp_path, name, pack(first) + pack(last))
    assert [type(r) for r in whole] == [RawDocument, RawDocument]
    # The record's own bytes end with a blank line (4 bytes) that is not content: cut inside
    # its headers, its HTTP headers or its content, it is one rejected row.
    for keep in range(1, len(last) - 4):
        rows = _read(tmp_path, name, pack(first) + pack(last[:keep]))
        assert len(rows) == 2 and rows[0] == whole[0], (keep, rows)
        row = rows[1]
        assert isinstance(row, ReadFailure) and row.source == str(tmp_path / name), (keep, row)
        assert row.reason.startswith("read:") and "WARC record 2" in row.reason, (keep, row.reason)
        assert row.id.startswith("x:") and row.id != whole[0].id, (keep, row.id)
    # nothing after the last complete record: no row; an empty gzip member or blank padding: no row
    assert _read(tmp_path, name, pack(first)) == whole[:1]
    assert _read(tmp_path, name, pack(first) + (gzip.compress(b"") if gz else b"\r\n\r\n")) == whole[:1]


@pytest.mark.parametrize("where", ["WARC headers", "end of WARC headers", "HTTP headers", "content"])
def test_a_record_cut_short_inside_the_file_costs_only_itself(tmp_path, where):
    """A record cut short and followed by the next one (a truncated download with more
    appended): one row for it, the next record read whole, though the cut record's last line
    and the next record's first line are glued together."""
    first, cut, after = _records(3)
    blank = cut.index(b"\r\n\r\n") + 4
    keep = {"WARC headers": cut.index(b"WARC-Target-URI") + 10, "end of WARC headers": blank,
            "HTTP headers": cut.index(b"Content-Type: text/html") + 18, "content": len(cut) - 4 - 20}[where]
    rows = _read(tmp_path, "x.warc", first + cut[:keep] + after)
    assert [type(r) for r in rows] == [RawDocument, ReadFailure, RawDocument], rows
    assert (rows[0].url, rows[0].data) == ("https://e.org/0", _page(0))
    assert (rows[2].url, rows[2].data) == ("https://e.org/2", _page(2))
    assert "WARC record 2" in rows[1].reason and rows[1].reason.startswith("read:"), rows[1].reason
    assert rows[1].source == str(tmp_path / "x.warc") and rows[1].id.startswith("x:")


def test_a_cut_record_is_numbered_after_the_records_before_it(tmp_path):
    recs = _records(4)
    data = b"".join(recs[:3]) + recs[3][:120]
    rows = _read(tmp_path, "x.warc", data)
    assert _summary(rows)[:3] == [("doc", f"https://e.org/{i}") for i in range(3)]
    assert rows[3].id == "x:<record 4>"
    assert rows[3].reason == f"read:truncated WARC record 4 at byte {len(b''.join(recs[:3]))} (the file ends inside its headers)"


def _with_content_length(record: bytes, value: bytes) -> bytes:
    old = record.split(b"Content-Length: ")[1].split(b"\r\n")[0]
    return record.replace(b"Content-Length: " + old, b"Content-Length: " + value, 1)


@pytest.mark.parametrize("junk", [0, 100, _SCAN - 40, _SCAN - 20, _SCAN - 12, 3 * _SCAN + 7])
def test_reading_resumes_at_the_next_record_after_junk(tmp_path, junk):
    """A record claiming more bytes than the file has is one row; the records after the junk
    that follows it are read, wherever the next header falls relative to the 1 MiB scan window
    (before it, across its edge, several windows on)."""
    recs = _records(4)
    bad = _with_content_length(recs[1], b"99999999")
    data = recs[0] + bad + b"j" * junk + b"\r\n" + recs[2] + recs[3]
    rows = _read(tmp_path, "x.warc", data)
    assert _summary(rows)[0] == ("doc", "https://e.org/0") and _summary(rows)[2:] == [("doc", "https://e.org/2"), ("doc", "https://e.org/3")]
    assert isinstance(rows[1], ReadFailure) and rows[1].reason.startswith("read:truncated WARC record 2 (")


def test_reading_resumes_at_the_next_gzip_member(tmp_path):
    recs = _records(3)
    bad = gzip.compress(_with_content_length(recs[1], b"99999999"))
    data = gzip.compress(recs[0]) + bad + b"\x00" * (2 * _SCAN) + gzip.compress(recs[2])
    rows = _read(tmp_path, "x.warc.gz", data)
    assert [s[0] for s in _summary(rows)] == ["doc", "row", "doc"]
    assert rows[2].url == "https://e.org/2" and rows[1].reason.startswith("read:truncated WARC record 2 (")


def test_find_next_gives_the_offset_of_the_next_header():
    """The next WARC/1.0 or WARC/1.1 version line at or after the start, also glued to the end
    of a cut line; in a .warc.gz, the next gzip member."""
    def at(data: bytes, start: int = 0, gz: bool = False):
        return _find_next(io.BytesIO(data), start, gz)

    head = b"WARC/1.0\r\n"
    assert at(b"x" * 100 + b"\n" + head) == 101
    assert at(b"x" * 100 + b"\r" + head) == 101
    assert at(b"a line cut short" + head) == 16
    assert at(b"x" * 30 + b"\nWARC/1.1\n") == 31  # bare line feeds, version 1.1
    assert at(b"x" * 30 + b"\nWARC/1.0\n") == 31 and at(b"x" * 30 + b"WARC/1.1\r\n") == 30
    assert at(head + b"x" * 10 + b"\n" + head) == 0  # a header right at the start offset
    assert at(b"x" * 50 + b"\r" + head + b"x" * 50 + b"\n" + head) == 51  # the first of several
    assert at(head + b"x" * 20 + b"\n" + head, start=1) == len(head) + 21  # start is past the first
    assert at(b"WARC/1.0 in a sentence, then\n" + head) == 29  # a version line ends the line
    for edge in (-9, -8, -4, -1, 0, 1):  # the header across the first window's edge, and after it
        assert at(b"y" * 3 + b"x" * (_SCAN + edge) + b"\n" + head, start=3) == 3 + _SCAN + edge + 1, edge
    assert at(b"x" * (3 * _SCAN + 5) + b"\r" + head) == 3 * _SCAN + 6
    assert at(b"x" * (2 * _SCAN)) is None and at(b"x" * _SCAN) is None and at(b"") is None
    assert at(b"\nWARC/2.0\r\n" + b"\nwarc/1.0\r\n") is None  # only WARC/1.x headers
    member = gzip.compress(b"anything")
    assert at(b"z" * 1000 + member, gz=True) == 1000  # a gzip member starts at its magic bytes
    assert at(b"z" * 10 + b"\n" + head, gz=True) is None  # a .warc.gz resumes only at a member
    assert at(b"\n" + head + b"z" * 10 + member, gz=False) == 1


def _split_records(data: bytes) -> list[bytes]:
    starts = [i for i in range(len(data)) if data.startswith(b"WARC/1.0\r\n", i) and (i == 0 or data[i - 4:i] == b"\r\n\r\n")]
    return [data[a:b] for a, b in zip(starts, starts[1:] + [len(data)])]


def test_a_wrong_content_length_is_one_row_and_one_log_line_naming_the_file(tmp_path, caplog):
    recs = _split_records(warc_bytes([(f"https://e.org/{i}", _page(i), "text/html") for i in range(3)], fixed_ids=True))
    header, _ = recs[1].split(b"\r\n\r\n", 1)
    n = int(header.split(b"Content-Length: ")[1])
    recs[1] = _with_content_length(recs[1], str(n - 10).encode())  # its content runs 10 bytes short
    with caplog.at_level("WARNING", logger="pipeline.io.warc_input"):
        rows = _read(tmp_path, "x.warc", b"".join(recs))
    assert [type(r) for r in rows] == [RawDocument, ReadFailure, RawDocument] and rows[2].url == "https://e.org/2"
    assert rows[1] == ReadFailure("x:00000000-0000-0000-0000-000000000001", str(tmp_path / "x.warc"),
                                  "read:WARC record 2 has a wrong Content-Length (not followed by a blank line)")
    end_of_short_content = len(recs[0]) + len(header) + 4 + n - 10
    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path / 'x.warc'}: WARC record before byte {end_of_short_content} is not followed by a blank line "
        "(wrong Content-Length); rejected"]


def test_record_ids_come_from_warc_record_id_or_the_record_number(tmp_path):
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    for url, rid in (("https://e.org/a", "<urn:uuid:0e0e0e0e-1111-2222-3333-444444444444>"), ("https://e.org/b", None),
                     ("https://e.org/c", "<urn:test:X1X>")):
        rec = w.create_warc_record(url, "resource", payload=io.BytesIO(b"some text"), warc_content_type="text/plain")
        if rid:
            rec.rec_headers.replace_header("WARC-Record-ID", rid)
        else:
            rec.rec_headers.remove_header("WARC-Record-ID")
        w.write_record(rec)
    rows = _read(tmp_path, "x.warc", buf.getvalue())
    assert [r.id for r in rows] == ["x:0e0e0e0e-1111-2222-3333-444444444444", "x:2", "x:urn:test:X1X"]


def test_a_response_without_http_headers_is_a_document(tmp_path):
    """A response to a non-HTTP URL (ftp://) has no HTTP headers: its payload is the page."""
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    w.write_record(w.create_warc_record("ftp://e.org/a.html", "response", payload=io.BytesIO(b"<p>ftp page</p>"),
                                        warc_content_type="text/html"))
    (doc,) = _read(tmp_path, "x.warc", buf.getvalue())
    assert (doc.url, doc.data, doc.format, doc.charset_hint) == ("ftp://e.org/a.html", b"<p>ftp page</p>", "html", None)


def test_a_cut_record_that_is_not_a_document_is_still_a_row(tmp_path):
    """An image response cut short at the end of the file: not a document, but its bytes are
    missing, so it is a row naming it (the reader cannot know what the record held)."""
    data = warc_bytes([("https://e.org/a", _page(0), "text/html"), ("https://e.org/logo.png", b"\x89PNG" + b"\x00" * 500, "image/png")],
                      fixed_ids=True)
    rows = _read(tmp_path, "x.warc", data[:-104])  # 4 bytes of blank line, 100 of the image
    assert isinstance(rows[0], RawDocument) and len(rows) == 2
    assert rows[1] == ReadFailure("x:00000000-0000-0000-0000-000000000001", str(tmp_path / "x.warc"),
                                  "read:truncated WARC record 2 (100 bytes short of its Content-Length)")


def test_a_gzip_member_cut_before_any_output_is_a_row(tmp_path):
    first, last = _records(2)
    rows = _read(tmp_path, "x.warc.gz", gzip.compress(first) + gzip.compress(last)[:15])
    assert [type(r) for r in rows] == [RawDocument, ReadFailure]
    assert rows[1].reason == f"read:truncated WARC record 2 at byte {len(gzip.compress(first))} (the file ends inside its headers)"


def test_records_are_numbered_in_file_order_through_damage(tmp_path):
    """A first record warcio cannot parse, a good one, one whose Content-Length is too small as
    the last record, and a file ending inside a request record: each row names its record's
    number and the file; reading goes on after each."""
    recs = _records(3)
    junk = b"NOT A WARC HEADER\r\n\r\n"
    header, _ = recs[2].split(b"\r\n\r\n", 1)
    n = int(header.split(b"Content-Length: ")[1])
    short_last = _with_content_length(recs[2], str(n - 10).encode())
    rows = _read(tmp_path, "x.warc", junk + recs[0] + recs[1] + short_last)
    src = str(tmp_path / "x.warc")
    assert [type(r) for r in rows] == [ReadFailure, RawDocument, RawDocument, ReadFailure], rows
    assert rows[0].id == "x:<record 1>" and rows[0].source == src
    assert rows[0].reason.startswith("read:broken WARC record 1 at byte 0 (ArchiveLoadFailed: Unknown archive format"), rows[0].reason
    assert [r.url for r in rows[1:3]] == ["https://e.org/0", "https://e.org/1"]
    assert rows[3].source == src and rows[3].reason == "read:WARC record 4 has a wrong Content-Length (not followed by a blank line)"
    # a request record (not a document) cut by the end of the file is still a row, named and numbered
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    req = w.create_warc_record("https://e.org/a", "request", payload=io.BytesIO(b"GET /a HTTP/1.1\r\nHost: e.org\r\n\r\n" + b"q" * 300),
                               warc_content_type="application/http; msgtype=request")
    req.rec_headers.replace_header("WARC-Record-ID", "<urn:uuid:12121212-0000-0000-0000-000000000000>")
    w.write_record(req)
    rows = _read(tmp_path, "r.warc", recs[0] + buf.getvalue()[:-104])
    assert rows[1] == ReadFailure("x:12121212-0000-0000-0000-000000000000", str(tmp_path / "r.warc"),
                                  "read:truncated WARC record 2 (100 bytes short of its Content-Length)")

