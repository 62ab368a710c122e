"""What a run will read, before it reads: `count_inputs` (progress totals, --dry-run) against the
rows the readers then give for the same files, and folders on an fsspec filesystem (memory://,
in-process) listed exactly as the same folder on local disk is. Real files throughout."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import uuid

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.errors import InputError
from pipeline.io import readers
from pipeline.io.readers import count_inputs, read_file, resolve_inputs

CHUNK = 1 << 20  # the size count_inputs reads JSONL in; lines below cross it on purpose


def _rows_read(files) -> int:
    return sum(1 for f in files for _ in read_file(f, 8 << 20))


def _jsonl(n: int, pad: int = 0) -> bytes:
    return b"".join(json.dumps({"id": f"r{i}", "text": f"record {i} " + "x" * pad}).encode() + b"\n" for i in range(n))


def _lines_crossing_the_chunk() -> bytes:
    """JSONL whose line breaks fall on the 1 MiB chunk boundaries: the last byte of the first
    chunk, the first byte of the third, a line spanning the second; blank lines, and a last
    line without a newline."""
    head = json.dumps({"text": "a"}).encode() + b"\n"
    body = b'{"text": "' + b"y" * (CHUNK - len(head) - 13) + b'"}'
    data = head + body + b"\n"
    assert len(data) == CHUNK and data.endswith(b"\n")
    data += b"   \n" + json.dumps({"text": "b" * (CHUNK - 16)}).encode()
    assert len(data) == 2 * CHUNK
    return data + b"\n" * 3 + b'  {"text": "z"}'


def test_counted_documents_are_the_rows_the_readers_give(tmp_path):
    """Every file kind whose records are counted ahead: the count equals the rows read (each
    document or rejected row), and bytes are the files' sizes, raw bytes the uncompressed ones."""
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    raw = {}
    (d / "a.txt").write_text("one text")
    (d / "b.html").write_text("<p>one page</p>")
    (d / "c.jsonl").write_bytes(b'\xef\xbb\xbf{"text": "bom"}\r\n\n \t\n{"text": "two"}\r\nnot json\n{"text": "last"}')
    (d / "blank_first.jsonl").write_bytes(b'\n  \n{"text": "x"}\n')
    payload = _jsonl(40, pad=200)
    (d / "sub" / "d.jsonl.gz").write_bytes(gzip.compress(payload))
    raw["sub/d.jsonl.gz"] = len(payload)
    crossing = _lines_crossing_the_chunk()
    (d / "sub" / "e.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(crossing))
    raw["sub/e.jsonl.zst"] = len(crossing)
    (d / "f.ndjson").write_bytes(crossing)
    pq.write_table(pa.table({"id": [f"p{i}" for i in range(7)], "text": ["t"] * 7}), d / "g.parquet")
    (d / "h.parquet").write_bytes(b"PAR1 not really")
    pq.write_table(pa.table({"text": ["only one row"]}), d / "h1.parquet")
    (d / "i.docx").write_bytes(b"PK\x03\x04")
    # a .json that is not an array (a leading blank run of 64 bytes, then a list) is read as lines
    (d / "j.json").write_bytes(b" " * 64 + b'[{"text": "in a list"}]\n{"text": "k"}\n')
    # a .json file of lines whose second 1 MiB chunk starts with a line that is a JSON list
    line1 = json.dumps({"text": "l" * (CHUNK - 13)}).encode() + b"\n"
    assert len(line1) == CHUNK
    (d / "k.json").write_bytes(line1 + b"[1, 2]\n")
    (d / "l.jsonl.gz").write_bytes(b"\x1f\x8b\x08 not gzip")  # one row, counted as one
    os.symlink(d, d / "sub" / "loop")  # a folder loop: one rejected row, its size not counted
    files = resolve_inputs([d])
    c = count_inputs(files)

    want_docs = 1 + 1 + 4 + 1 + 40 + 4 + 4 + 7 + 1 + 1 + 1 + 2 + 2 + 1 + 1
    assert c.documents == _rows_read(files) == want_docs
    assert c.files == len(files) == 15
    assert c.kinds == {"error": 1, "html": 1, "jsonl": 8, "parquet": 3, "text": 1, "unknown": 1}
    assert list(c.kinds) == sorted(c.kinds)
    regular = [p for p in d.rglob("*") if p.is_file() and "loop" not in p.parts]
    assert c.bytes == sum(p.stat().st_size for p in regular)
    plain = sum(p.stat().st_size for p in regular if p.suffix not in (".gz", ".zst"))
    not_gzip = (d / "l.jsonl.gz").stat().st_size  # shorter than a gzip header and trailer: its size on disk
    assert c.raw_bytes == plain + sum(raw.values()) + not_gzip


def test_a_json_array_a_warc_or_too_much_jsonl_leave_the_documents_unknown(tmp_path, monkeypatch):
    (tmp_path / "a.jsonl").write_bytes(_jsonl(3))
    (tmp_path / "b.jsonl").write_bytes(_jsonl(2))
    assert count_inputs(resolve_inputs([tmp_path])).documents == 5
    # JSONL beyond the pre-count budget (all JSONL files together) is not counted
    monkeypatch.setattr(readers, "COUNT_LINES_MAX_BYTES", (tmp_path / "a.jsonl").stat().st_size + 1)
    assert count_inputs(resolve_inputs([tmp_path])).documents is None
    monkeypatch.setattr(readers, "COUNT_LINES_MAX_BYTES", sum(p.stat().st_size for p in tmp_path.iterdir()))
    (tmp_path / "c.txt").write_text("x" * 10_000)  # other kinds do not use up the budget
    assert count_inputs(resolve_inputs([tmp_path])).documents == 6
    monkeypatch.undo()
    for name, data in (("d.json", b' \n[{"text": "a"}, {"text": "b"}]'), ("d.json.gz", gzip.compress(b'[{"text": "a"}]')),
                       ("d.warc", b"WARC/1.0\r\n\r\n")):
        one = tmp_path / "one" / name
        one.parent.mkdir(exist_ok=True)
        one.write_bytes(data)
        assert count_inputs(resolve_inputs([tmp_path])).documents is None, name
        shutil.rmtree(one.parent)


def test_raw_bytes_estimates_from_the_compression_headers(tmp_path):
    """gzip's ISIZE trailer and zstd's frame content size where the header has them; the size
    on disk where a header cannot tell (a zstd stream without a size, an empty frame, a file too
    short for a gzip trailer, a corrupt header) or where the data did not shrink."""
    text = b"the same line again\n" * 5_000
    noise = os.urandom(50_000)
    cases = {
        "big.txt.gz": (gzip.compress(text), len(text)),
        "noise.txt.gz": (gzip.compress(noise), None),  # compressed is larger: the size on disk
        "two.txt.gz": (gzip.compress(b"a" * 100) + gzip.compress(text), len(text)),  # the last member's
        "sized.txt.zst": (zstandard.ZstdCompressor().compress(text), len(text)),
        "empty.txt.zst": (zstandard.ZstdCompressor().compress(b""), None),
        "one.txt.zst": (zstandard.ZstdCompressor().compress(b"x"), 1),  # smaller than on disk: the header says 1
        "junk.txt.zst": (b"\x00" * 40, None),
        "short.txt.gz": (b"\x1f\x8b" + b"\x00" * 11 + (100_000).to_bytes(4, "little"), None),  # 17 bytes
        "min.txt.gz": (b"\x1f\x8b" + b"\x00" * 12 + (100_000).to_bytes(4, "little"), 100_000),  # 18: header + trailer
    }
    buf = zstandard.ZstdCompressor().stream_writer(open(tmp_path / "stream.txt.zst", "wb"))
    buf.write(text)
    buf.close()
    for name, (data, _) in cases.items():
        (tmp_path / name).write_bytes(data)
    for f in resolve_inputs([tmp_path]):
        on_disk = f.path.stat().st_size
        want = cases.get(f.path.name, (None, None))[1] or on_disk
        c = count_inputs([f])
        assert (c.bytes, c.raw_bytes) == (on_disk, want), f.path.name


def _tree(make) -> None:
    for rel, data in {
        "a-c.txt": b"a dash", "a/b.jsonl.gz": gzip.compress(_jsonl(3)), "a/b/c.html": b"<p>deep</p>",
        "z.warc.gz": b"", "x.parquet": b"", ".hidden/x.txt": b"h", "a/.h.txt": b"h", "a/b/.git/c.txt": b"h",
        "B.TXT.ZST": zstandard.ZstdCompressor().compress(b"upper"), "n.x.md": b"dots",
    }.items():
        make(rel, data)


@pytest.fixture
def memory_dir():
    fs = fsspec.filesystem("memory")
    root = f"/listing-{uuid.uuid4().hex}"
    yield fs, root
    fs.rm(root, recursive=True)


def test_a_remote_folder_is_listed_like_the_same_local_folder(tmp_path, memory_dir):
    fs, root = memory_dir

    def local(rel, data):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)

    _tree(local)
    _tree(lambda rel, data: fs.pipe_file(f"{root}/in/{rel}", data))
    fs.pipe_file(f"{root}/in-other/a.txt", b"a sibling prefix, not inside in/")
    want = [(f.path.relative_to(tmp_path).as_posix(), f.rel_id, f.kind, f.compression) for f in resolve_inputs([tmp_path])]
    assert [w[1] for w in want] == ["B", "a/b/c", "a/b", "a-c", "n.x", "x", "z"]  # hidden names skipped
    for url in (f"memory://{root}/in", f"memory://{root}/in/"):
        got = resolve_inputs([url])
        assert [(f.path.path[len(root) + 4:], f.rel_id, f.kind, f.compression) for f in got] == want, url
    # the remote files read as the local ones do
    remote = {f.rel_id: f for f in resolve_inputs([f"memory://{root}/in"])}
    for f in resolve_inputs([tmp_path]):
        if f.kind in ("text", "html", "jsonl"):
            assert [(r.id, r.data) for r in read_file(remote[f.rel_id], 1 << 20)] == [(r.id, r.data) for r in read_file(f, 1 << 20)]


def test_a_remote_file_and_a_missing_one(memory_dir):
    fs, root = memory_dir
    fs.pipe_file(f"{root}/d/news.JSONL.gz", gzip.compress(_jsonl(2)))
    (f,) = resolve_inputs([f"memory://{root}/d/news.JSONL.gz"])
    assert (f.rel_id, f.kind, f.compression, f.path.path) == ("news", "jsonl", "gz", f"{root}/d/news.JSONL.gz")
    assert [r.id for r in read_file(f, 1 << 20)] == ["r0", "r1"]
    missing = f"memory://{root.lstrip('/')}/d/nothing.txt"
    with pytest.raises(InputError) as e:
        resolve_inputs([missing])
    assert str(e.value) == f"{missing}: no such file or folder"


def test_remote_and_local_arguments_together_in_order(tmp_path, memory_dir):
    fs, root = memory_dir
    fs.pipe_file(f"{root}/r/one.txt", b"remote")
    (tmp_path / "two.md").write_text("local")
    got = resolve_inputs([f"memory://{root}/r", tmp_path / "two.md", f"memory://{root}/r/one.txt"])
    assert [(f.rel_id, f.kind) for f in got] == [("one", "text"), ("two", "text"), ("one", "text")]
    assert [r.data for f in got for r in read_file(f, 100)] == [b"remote", b"local", b"remote"]
