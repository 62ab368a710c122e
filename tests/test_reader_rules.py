"""The readers, rule by rule: extensions and ids, JSON/Parquet rows, WARC record types and
charsets, zstd streams (concatenated frames, truncation), limits. Direct calls, no pipeline run."""

from __future__ import annotations

import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.core.document import RawDocument
from pipeline.errors import InputError
from pipeline.io import readers as r
from pipeline.io.parquet_input import read_parquet
from pipeline.io.fields import InputConfig
from pipeline.io.readers import InputFile, ReadFailure, read_file, record_from_mapping, resolve_inputs
from pipeline.io.warc_input import _charset, read_warc


@pytest.mark.parametrize("name, want", [
    ("a.jsonl.gz", ("a", ".jsonl", "gz")), ("a.JSONL.GZ", ("a", ".jsonl", "gz")), ("a.txt.zst", ("a", ".txt", "zst")),
    ("a.txt.zstd", ("a", ".txt", "zst")), ("a.b.html", ("a.b", ".html", None)), ("README", ("README", "", None)),
    ("x.gz", ("x", "", "gz")),
])
def test_split_ext(name, want):
    assert r._split_ext(name) == want


@pytest.mark.parametrize("ext, kind", [
    (".txt", "text"), (".md", "text"), (".text", "text"), (".html", "html"), (".htm", "html"), (".xhtml", "html"),
    (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "jsonl"), (".parquet", "parquet"), (".warc", "warc"),
    (".wet", "warc"), (".arc", "warc"), (".docx", "unknown"), ("", "unknown"),
])
def test_kind(ext, kind):
    assert r._kind(ext) == kind


def test_resolve_inputs(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "b.txt").write_text("b")
    (tmp_path / "d" / "sub" / "a.jsonl.gz").write_bytes(gzip.compress(b"{}"))
    (tmp_path / "d" / ".hidden.txt").write_text("h")
    (tmp_path / "d" / ".git").mkdir()
    (tmp_path / "d" / ".git" / "c.txt").write_text("c")
    (tmp_path / "d" / "sub" / "empty_dir").mkdir()
    (tmp_path / "one.HTML").write_text("x")
    got = resolve_inputs([tmp_path / "d", str(tmp_path / "one.HTML")])
    assert [(f.path.relative_to(tmp_path).as_posix(), f.rel_id, f.kind, f.compression) for f in got] == [
        ("d/b.txt", "b", "text", None), ("d/sub/a.jsonl.gz", "sub/a", "jsonl", "gz"), ("one.HTML", "one", "html", None)]
    with pytest.raises(InputError, match="^no input paths given$"):
        resolve_inputs([])
    with pytest.raises(InputError, match=r"nope: no such file or folder"):
        resolve_inputs([tmp_path / "nope"])


def _file(path, kind, compression=None, rel_id="f") -> InputFile:
    return InputFile(path, rel_id, kind, compression)


def test_unknown_kind_is_one_failure(tmp_path):
    p = tmp_path / "a.docx"
    p.write_bytes(b"PK")
    assert list(read_file(_file(p, "unknown", rel_id="a"), 100)) == [ReadFailure("a", str(p), "read:unsupported file type 'a.docx'")]


def test_single_file_reads_one_byte_past_the_limit(tmp_path):
    p = tmp_path / "a.html"
    p.write_bytes(b"x" * 50)
    (doc,) = read_file(_file(p, "html"), 10)
    assert doc == RawDocument(id="f", source=str(p), data=b"x" * 11, format="html")
    (doc,) = read_file(_file(p, "text"), 100)
    assert doc.data == b"x" * 50 and doc.format == "text"


def test_zstd_concatenated_frames_and_big_content(tmp_path):
    """Both frames, also when the second starts inside the chunk where the first ends (it was
    silently dropped: data loss)."""
    big = bytes(range(256)) * 1024  # 256 KB: several 64 KB reads
    c = zstandard.ZstdCompressor()
    p = tmp_path / "a.txt.zst"
    p.write_bytes(c.compress(big) + c.compress(b"second frame"))
    (doc,) = read_file(_file(p, "text", "zst"), 10**7)
    assert doc.data == big + b"second frame"
    with r._open(_file(p, "text", "zst")) as fh:
        assert fh.readable() and fh.read(3) == b"\x00\x01\x02"


def test_zstd_truncated_frame_is_a_failure(tmp_path):
    data = zstandard.ZstdCompressor().compress(b"hello world " * 1000)
    p = tmp_path / "a.txt.zst"
    p.write_bytes(data[: len(data) // 2])
    (fail,) = read_file(_file(p, "text", "zst"), 10**7)
    assert isinstance(fail, ReadFailure) and fail.id == "f:<file>"
    assert fail.reason == "read:corrupt or truncated zst after record 0 (zstd stream ended before the end of its frame)"


def test_gzip_truncated_is_a_failure(tmp_path):
    data = gzip.compress(b"hello world " * 1000)
    p = tmp_path / "a.txt.gz"
    p.write_bytes(data[: len(data) // 2])
    (fail,) = read_file(_file(p, "text", "gz"), 10**7)
    assert fail.reason.startswith("read:corrupt or truncated gz after record 0 (")


def test_record_from_mapping():
    full = record_from_mapping({"id": 7, "text": "t", "url": "u", "title": 3, "date": "d"}, "f:1", "src")
    assert full == RawDocument(id="7", source="src", data="t", format="text", url="u", title="3", date="d")
    assert record_from_mapping({"text": "t"}, "f:1", "s").id == "f:1"
    assert record_from_mapping({"id": "", "text": "t"}, "f:1", "s").id == "f:1"
    assert record_from_mapping({"id": 0, "text": "t"}, "f:1", "s").id == "0"
    html = record_from_mapping({"text": "t", "html": "<p>h</p>"}, "f:1", "s")
    assert (html.data, html.format) == ("<p>h</p>", "html")
    assert record_from_mapping({"text": "t", "html": "  "}, "f:1", "s").format == "text"
    assert record_from_mapping({"text": "t", "html": 5}, "f:1", "s").format == "text"
    assert record_from_mapping({"id": "a"}, "f:1", "s") == ReadFailure("a", "s", "read:record has no 'text' or 'html' field")
    assert record_from_mapping({"text": 5}, "f:1", "s") == ReadFailure("f:1", "s", "read:'text' is int, not a string")
    assert record_from_mapping({"text": None, "html": 5}, "f:1", "s") == ReadFailure("f:1", "s", "read:'text' is NoneType, not a string")
    none = record_from_mapping({"text": "t"}, "f:1", "s")
    assert (none.url, none.title, none.date) == (None, None, None)


def test_jsonl_line_rules(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "x"}), "", "   ", "[1, 2]", "{bad", json.dumps({"text": "y" * 50}),
        b"\xff\xfe".decode("latin-1"), json.dumps({"text": "z"}),
    ]
    p = tmp_path / "f.jsonl"
    p.write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    got = list(read_file(_file(p, "jsonl"), 40))
    src = str(p)
    assert got[0] == RawDocument(id="a", source=src, data="x", format="text")
    assert got[1] == ReadFailure("f:4", src, "read:line 4 is a JSON list, not an object")
    assert got[2].id == "f:5" and got[2].reason.startswith("read:line 5 is not JSON (")
    assert got[3] == ReadFailure("f:6", src, f"read:line 6 is {len(lines[5]) + 1} bytes > max_bytes")
    assert got[4] == ReadFailure("f:7", src, "read:line 7 is not UTF-8")
    assert got[5] == RawDocument(id="f:8", source=src, data="z", format="text")
    assert len(got) == 6
    at_limit = tmp_path / "g.jsonl"
    line = json.dumps({"text": "q" * 20}).encode() + b"\n"
    at_limit.write_bytes(line)
    # max_bytes bounds the line's content; its newline is not counted
    assert isinstance(next(read_file(_file(at_limit, "jsonl"), len(line) - 1)), RawDocument)
    assert isinstance(next(read_file(_file(at_limit, "jsonl"), len(line) - 2)), ReadFailure)


def test_jsonl_gz_and_zst(tmp_path):
    body = (json.dumps({"text": "a"}) + "\n" + json.dumps({"text": "b"}) + "\n").encode()
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(body))
    (tmp_path / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(body))
    for name, comp in (("a.jsonl.gz", "gz"), ("a.jsonl.zst", "zst")):
        assert [d.data for d in read_file(_file(tmp_path / name, "jsonl", comp), 100)] == ["a", "b"]


def test_parquet_rows(tmp_path):
    p = tmp_path / "a.parquet"
    pq.write_table(pa.table({"id": ["x", None], "html": ["<p>h</p>", None], "text": ["t", "u"], "url": ["u1", None],
                             "title": ["T", None], "date": ["2024-01-01", None], "other": [1, 2]}), p)
    got = list(read_parquet(_file(p, "parquet")))
    assert got == [
        RawDocument(id="x", source=str(p), data="<p>h</p>", format="html", url="u1", title="T", date="2024-01-01"),
        RawDocument(id="f:2", source=str(p), data="u", format="text"),
    ]
    many = tmp_path / "many.parquet"
    pq.write_table(pa.table({"text": [f"t{i}" for i in range(2500)]}), many)
    rows = list(read_parquet(_file(many, "parquet")))
    assert len(rows) == 2500 and rows[-1].id == "f:2500" and rows[-1].data == "t2499"


def test_parquet_schema_and_corruption(tmp_path):
    p = tmp_path / "a.parquet"
    pq.write_table(pa.table({"body": ["x"], "id": ["a"]}), p)
    assert list(read_parquet(_file(p, "parquet"))) == [
        ReadFailure("f:<file>", str(p), "read:wrong Parquet schema: no 'text' or 'html' column (has ['body', 'id'])")]
    bad = tmp_path / "b.parquet"
    bad.write_bytes(b"not parquet at all")
    (fail,) = read_parquet(_file(bad, "parquet"))
    with pytest.raises(Exception) as pyarrow_says:
        pq.ParquetFile(bad)
    assert fail.id == "f:<file>"
    assert fail.reason == f"read:not a readable Parquet file ({type(pyarrow_says.value).__name__}: {pyarrow_says.value})"
    only_html = tmp_path / "h.parquet"
    pq.write_table(pa.table({"html": ["<p>x</p>"]}), only_html)
    assert next(read_parquet(_file(only_html, "parquet"))).format == "html"


@pytest.mark.parametrize("ctype, want", [
    (None, None), ("", None), ("text/html", None), ("text/html; charset=ISO-8859-1", "ISO-8859-1"),
    ('text/html; Charset="utf-8"', "utf-8"), ("text/html; charset='koi8-r' ", "koi8-r"), ("text/html; charset=", None),
    ("text/html; boundary=x; charset=cp1251", "cp1251"), ("charset=cp1251", None),
    ("text/html;charset=UTF-8", "UTF-8"), ('text/html; charset="X-MAC-CYRILLIC"', "X-MAC-CYRILLIC"),
])
def test_warc_charset(ctype, want):
    assert _charset(ctype) == want


def _warc(records) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    for rtype, url, body, ctype, http_ctype in records:
        http = StatusAndHeaders("200 OK", [("Content-Type", http_ctype)], protocol="HTTP/1.1") if http_ctype else None
        rec = w.create_warc_record(url, rtype, payload=io.BytesIO(body), http_headers=http, warc_content_type=ctype)
        rec.rec_headers.replace_header("WARC-Date", "2024-03-01T10:00:00Z")
        w.write_record(rec)
    return buf.getvalue()


def test_warc_record_types(tmp_path):
    data = _warc([
        ("warcinfo", None, b"software: x", "application/warc-fields", None),
        ("response", "https://e.org/a", b"<p>caf\xe9</p>", None, "text/html; charset=iso-8859-1"),
        ("response", "https://e.org/i.png", b"\x89PNG", None, "image/png"),
        ("request", "https://e.org/a", b"GET / HTTP/1.1\r\n\r\n", "application/http; msgtype=request", None),
        ("conversion", "https://e.org/b", "Plain – text".encode(), "text/plain", None),
        ("resource", "https://e.org/c", b"<p>r</p>", "text/html; charset=cp1252", None),
        ("resource", "https://e.org/d", b"just text", "text/plain", None),
        ("response", "https://e.org/e", b"<p>no type</p>", None, "TEXT/HTML"),
    ])
    p = tmp_path / "x.warc"
    p.write_bytes(data)
    got = list(read_warc(_file(p, "warc", rel_id="x"), 10**6))
    assert [(g.format, g.charset_hint, g.url, g.data) for g in got] == [
        ("html", "iso-8859-1", "https://e.org/a", b"<p>caf\xe9</p>"),
        ("text", "utf-8", "https://e.org/b", "Plain – text".encode()),
        ("html", "cp1252", "https://e.org/c", b"<p>r</p>"),
        ("text", None, "https://e.org/d", b"just text"),
        ("html", None, "https://e.org/e", b"<p>no type</p>"),
    ]
    assert all(g.date == "2024-03-01T10:00:00Z" and g.source == str(p) for g in got)
    assert all(g.id.startswith("x:") and "urn:uuid" not in g.id and "<" not in g.id and len(g.id) > 10 for g in got)
    assert len({g.id for g in got}) == len(got)


def test_warc_body_read_one_byte_past_the_limit(tmp_path):
    p = tmp_path / "x.warc"
    p.write_bytes(_warc([("response", "https://e.org/a", b"<p>" + b"a" * 100 + b"</p>", None, "text/html")]))
    (doc,) = read_warc(_file(p, "warc"), 10)
    assert doc.data == b"<p>aaaaaaaa"


def test_warc_broken_mid_file_ends_with_one_failure_row(tmp_path):
    good = _warc([("response", "https://e.org/a", b"<p>a</p>", None, "text/html"),
                  ("response", "https://e.org/b", b"<p>b</p>", None, "text/html")])
    p = tmp_path / "x.warc"
    # A third record whose body is shorter than its Content-Length says.
    p.write_bytes(good + b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 5000\r\n\r\nshort")
    got = list(read_warc(_file(p, "warc", rel_id="x"), 10**6))
    assert [type(g).__name__ for g in got] == ["RawDocument", "RawDocument", "ReadFailure"]
    assert got[2].id == "x:<record 3>" and got[2].source == str(p)
    assert got[2].reason.startswith("read:broken WARC record 3 at byte 818 (AttributeError")


def test_parquet_corrupt_after_some_rows_keeps_them_and_ends_with_one_failure(tmp_path):
    import random

    rng = random.Random(1)
    p = tmp_path / "c.parquet"
    texts = ["".join(rng.choice("abcdefgh") for _ in range(50)) for _ in range(3000)]
    pq.write_table(pa.table({"text": texts}), p, row_group_size=1000, compression="zstd")
    col = pq.ParquetFile(p).metadata.row_group(2).column(0)
    start = col.dictionary_page_offset or col.data_page_offset
    data = bytearray(p.read_bytes())
    data[start + 30 : start + 2000] = b"\xff" * (2000 - 30)  # the third row group's pages
    p.write_bytes(bytes(data))
    got = list(read_parquet(_file(p, "parquet", rel_id="c")))
    assert [g.data for g in got[:-1]] == texts[:2000]
    assert got[-1].id == "c:<file>" and got[-1].source == str(p)
    assert got[-1].reason.startswith("read:corrupt Parquet after row 2000 (")
    with pytest.raises(Exception) as pyarrow_says:  # what pyarrow itself says of that row group
        pq.ParquetFile(p).read_row_group(2)
    assert got[-1].reason.endswith(f"({type(pyarrow_says.value).__name__}: {str(pyarrow_says.value)[:200]})"), got[-1].reason


def test_read_reason_key_groups_reasons_by_kind():
    assert r.read_reason_key("read:unsupported file type 'report.final.docx'") == "read:unsupported file type '*.docx'"
    assert r.read_reason_key("read:unsupported file type 'README'") == "read:unsupported file type '*'"
    assert r.read_reason_key("read:line 17 is not JSON (Expecting value: line 1 column 1 (char 0))") == \
        "read:line N is not JSON (Expecting value: line N column N (char N))"


def test_file_level_failures_name_the_file(tmp_path):
    import os

    d = tmp_path / "in"
    d.mkdir()
    os.mkfifo(d / "pipe.jsonl")
    (entry,) = resolve_inputs([d])
    assert list(read_file(entry, 100)) == [ReadFailure("pipe.jsonl:<file>", str(d / "pipe.jsonl"), entry.problem)]
    assert entry.problem.startswith("read:not a regular file (fifo)")
    assert list(read_file(InputFile(d / "x", "x", "error", None), 100)) == [ReadFailure("x:<file>", str(d / "x"), "read:cannot read")]
    # removed between listing and reading
    gone = d / "gone.txt"
    gone.write_text("x")
    (f,) = [e for e in resolve_inputs([d]) if e.rel_id == "gone"]
    gone.unlink()
    assert list(read_file(f, 100)) == [ReadFailure("gone:<file>", str(gone), "read:cannot open file (No such file or directory)")]
    # a gzip stream cut short: the records read before the cut, then one row saying how many
    p = d / "cut.jsonl.gz"
    lines = [json.dumps({"text": f"t{i} " + "x" * 100}).encode() + b"\n" for i in range(50_000)]
    p.write_bytes(gzip.compress(b"".join(lines), compresslevel=1)[:-1000])
    *docs, fail = read_file(_file(p, "jsonl", "gz", rel_id="cut"), 1000)
    assert 1000 < len(docs) < 50_000 and [d.data for d in docs] == [json.loads(ln)["text"] for ln in lines[:len(docs)]]
    assert fail.id == "cut:<file>" and fail.source == str(p)
    assert fail.reason.startswith(f"read:corrupt or truncated gz after record {len(docs)} (")


def test_json_arrays_by_name_and_first_character(tmp_path):
    array = b'[{"text": "a"}, {"text": "b"}]'
    files = {
        "a.json": b"\xef\xbb\xbf \r\n\t" + array,  # BOM and blanks before the [
        "b.json.gz": gzip.compress(array), "c.JSON.ZST": zstandard.ZstdCompressor().compress(array),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        (f,) = resolve_inputs([tmp_path / name])
        assert [(g.id, g.data) for g in read_file(f, 100)] == [(f"{f.rel_id}:1", "a"), (f"{f.rel_id}:2", "b")], name
    lines = tmp_path / "l.jsonl"  # only a .json file is an array: a .jsonl line that is one is a row
    lines.write_bytes(array + b"\n")
    assert list(read_file(_file(lines, "jsonl", rel_id="l"), 100)) == [ReadFailure("l:1", str(lines), "read:line 1 is a JSON list, not an object")]
    big = tmp_path / "big.json"
    big.write_bytes(b'[{"text": "' + b"x" * (3 << 20) + b'"}, {"text": "never read"}]')  # beyond the first buffer
    (fail,) = read_file(_file(big, "jsonl", rel_id="big"), 100)
    assert fail.reason == "read:JSON array element 1 is larger than max_bytes; rest of the file not read"


def test_jsonl_bom_nesting_and_a_last_line_at_the_limit(tmp_path):
    p = tmp_path / "b.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"text": "first"}\n\xef\xbb\xbf{"text": "second"}\n')
    first, second = read_file(_file(p, "jsonl", rel_id="b"), 100)
    assert first.data == "first"  # a byte-order mark starts the file, not a line
    assert second.id == "b:2" and second.reason.startswith("read:line 2 is not JSON (")
    deep = tmp_path / "deep.jsonl"
    deep.write_bytes(b"[" * 200_000 + b"]" * 200_000 + b"\n")
    assert list(read_file(_file(deep, "jsonl", rel_id="deep"), 10**6)) == [
        ReadFailure("deep:1", str(deep), "read:line 1 is JSON nested too deeply")]
    last = tmp_path / "last.jsonl"
    line = json.dumps({"text": "q" * 20}).encode()
    last.write_bytes(b"\n" + line)  # no newline at the end: exactly max_bytes long
    (doc,) = read_file(_file(last, "jsonl", rel_id="last"), len(line))
    assert doc.data == "q" * 20 and doc.id == "last:2"


def _relabelled(columns: dict[str, tuple[list, pa.DataType, pa.DataType]]) -> pa.Table:
    """A table whose string columns hold the given bytes unchecked (what a buggy producer
    writes: Arrow refuses to build invalid UTF-8 strings, so binary buffers are relabelled)."""
    arrays = {}
    for name, (values, binary, string) in columns.items():
        raw = pa.array(values, binary)
        arrays[name] = pa.Array.from_buffers(string, len(raw), raw.buffers())
    return pa.table(arrays)


@pytest.mark.parametrize("binary, string", [(pa.binary(), pa.string()), (pa.large_binary(), pa.large_string())],
                         ids=["string", "large_string"])
def test_parquet_invalid_utf8_costs_only_what_holds_it(tmp_path, binary, string):
    """Bodies (text, html) that are not UTF-8 go on as bytes for the decode stage; metadata and
    ids keep what is readable (replacement characters); valid values in the same batch are
    unchanged."""
    p = tmp_path / "bad.parquet"
    pq.write_table(_relabelled({
        "id": ([b"p1", b"p\xff2", b"p3", None], binary, string),
        "text": ([b"good", b"caf\xe9", b"ok", b"t"], binary, string),
        "html": ([None, None, b"<p>\xff</p>", None], binary, string),
        "title": ([b"fine", b"bad \xff title", None, b"T"], binary, string),
    }), p)
    got = list(read_parquet(_file(p, "parquet", rel_id="bad")))
    src = str(p)
    assert got == [
        RawDocument(id="p1", source=src, data="good", format="text", title="fine"),
        RawDocument(id="p\ufffd2", source=src, data=b"caf\xe9", format="text", title="bad \ufffd title"),
        RawDocument(id="p3", source=src, data=b"<p>\xff</p>", format="html"),
        RawDocument(id="bad:4", source=src, data="t", format="text", title="T"),
    ]
    body = tmp_path / "body.parquet"  # the configured text column is a body too
    pq.write_table(_relabelled({"body": ([b"\xffbytes", b"str"], binary, string)}), body)
    got = list(read_parquet(_file(body, "parquet", rel_id="body"), InputConfig(text_field="body")))
    assert [g.data for g in got] == [b"\xffbytes", "str"]


def test_parquet_column_names_holding_a_dot(tmp_path):
    """A column literally named `meta.body` is that field (before any struct named `meta`)."""
    p = tmp_path / "dots.parquet"
    pq.write_table(pa.table({"meta.body": ["the text"], "meta.id": ["m1"]}), p)
    (doc,) = read_parquet(_file(p, "parquet"), InputConfig(text_field="meta.body", id_field="meta.id"))
    assert (doc.id, doc.data) == ("m1", "the text")
