"""Readers: every supported format, ids, metadata carried through, compression."""

import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.errors import InputError
from pipeline.io.readers import ReadFailure, read_file, resolve_inputs
from tests.conftest import FIXTURES, SAMPLES


def _records(path):
    out = []
    for f in resolve_inputs([path]):
        out.extend(read_file(f, 10_000_000))
    return out


def test_folder_ids_are_relative_paths_without_extensions(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt.gz").write_bytes(gzip.compress(b"hello"))
    (tmp_path / ".hidden.txt").write_text("skip me")
    (tmp_path / "b.md").write_text("# title")
    ids = [r.id for r in _records(tmp_path)]
    assert ids == ["b", "sub/a"]
    assert _records(SAMPLES / "000_e2e47744eb601a7f.txt")[0].id == "000_e2e47744eb601a7f"


def test_missing_path_raises_before_work(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        resolve_inputs([tmp_path / "missing"])


def test_jsonl_gz_fixture_streams_with_metadata():
    recs = _records(FIXTURES / "wikinews-300.jsonl.gz")
    assert len(recs) == 300 and not any(isinstance(r, ReadFailure) for r in recs)
    assert recs[0].url.startswith("https://en.wikinews.org") and recs[0].title


def test_jsonl_html_field_is_extracted_as_html(tmp_path):
    p = tmp_path / "pages.jsonl"
    p.write_text(json.dumps({"id": "p", "html": "<html><body><p>x</p></body></html>", "url": "https://e.org"}) + "\n")
    (rec,) = _records(p)
    assert rec.format == "html" and rec.url == "https://e.org"


def test_parquet_input(tmp_path):
    pq.write_table(pa.table({"id": ["a", None], "text": ["one", "two"], "title": ["T", None]}), tmp_path / "x.parquet")
    recs = _records(tmp_path / "x.parquet")
    assert [r.id for r in recs] == ["a", "x:2"] and recs[0].title == "T"


def test_wet_conversion_records(tmp_path):
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    rec = w.create_warc_record("https://e.org/a", "conversion", payload=io.BytesIO("Plain text – with UTF-8".encode()),
                               warc_content_type="text/plain")
    w.write_record(rec)
    (tmp_path / "x.warc.wet.gz").write_bytes(buf.getvalue())
    # ".wet.gz" -> kind warc
    (r,) = _records(tmp_path / "x.warc.wet.gz")
    assert r.format == "text" and r.url == "https://e.org/a" and r.data == "Plain text – with UTF-8".encode()
