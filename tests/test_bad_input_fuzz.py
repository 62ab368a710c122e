"""Issue 12: property tests that fuzz every reader with random bytes and random valid-but-odd
records. Readers never raise and every string they hand on can be written; a whole run on such
input always finishes with the accounting holding."""

import gzip
import io
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core.document import RawDocument
from pipeline.io.readers import InputFile, ReadFailure, read_file

from tests.helpers import warc_bytes

KINDS = {
    "a.txt": ("text", None), "a.html": ("html", None), "a.jsonl": ("jsonl", None), "a.json": ("jsonl", None),
    "a.parquet": ("parquet", None), "a.warc": ("warc", None), "a.warc.gz": ("warc", None),
    "a.jsonl.gz": ("jsonl", "gz"), "a.jsonl.zst": ("jsonl", "zst"), "a.txt.gz": ("text", "gz"),
}

odd_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),  # lone surrogates
    st.sampled_from(["", " ", "x", "x#2", "\ufeff", "\x00", "a" * 300, "caf\u00e9", "\u202eevil"]),
)
odd_value = st.one_of(st.none(), odd_text, st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.booleans(),
                      st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
odd_record = st.fixed_dictionaries(
    {}, optional={"id": odd_value, "text": st.one_of(odd_text, odd_value), "html": st.one_of(odd_text, odd_value),
                  "url": odd_value, "title": odd_value, "date": odd_value},
)


def _json_bytes(obj) -> bytes:
    return json.dumps(obj, allow_nan=True).encode("utf-8", "surrogatepass")  # may hold \\udxxx escapes


def _parquet(records) -> bytes:
    cols = {k: [None if r.get(k) is None else str(r.get(k)).encode("utf-8", "replace").decode() for r in records]
            for k in ("id", "text", "url", "title")}
    buf = io.BytesIO()
    pq.write_table(pa.table(cols), buf)
    return buf.getvalue()


def _compress(data: bytes, comp: str | None) -> bytes:
    if comp == "gz":
        return gzip.compress(data, mtime=0)
    if comp == "zst":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    return data


@st.composite
def file_bytes(draw, name: str) -> bytes:
    kind, comp = KINDS[name]
    if draw(st.booleans()):
        return draw(st.binary(max_size=2000))  # random bytes
    records = draw(st.lists(odd_record, max_size=6))
    if kind == "jsonl" and name.endswith(".json"):
        data = _json_bytes(records)
    elif kind == "jsonl":
        data = b"\n".join(_json_bytes(r) for r in records)
        if draw(st.booleans()):
            data = b"\xef\xbb\xbf" + data
    elif kind == "parquet":
        data = _parquet(records)
    elif kind == "warc":
        recs = [(f"https://e.example/{i}", str(r.get("text")).encode("utf-8", "surrogatepass"),
                 draw(st.sampled_from(["text/html", "text/html; charset=punycode", "text/html; charset=undefined",
                                       "text/html; charset=utf-16", "image/png"]))) for i, r in enumerate(records)]
        data = warc_bytes(recs, gzip=name.endswith(".gz"), fixed_ids=True)
    else:
        data = "\n".join(str(r.get("text")) for r in records).encode("utf-8", "surrogatepass")
    data = _compress(data, comp)
    damage = draw(st.sampled_from(["none", "cut", "flip"]))
    if data and damage == "cut":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif data and damage == "flip":
        b = bytearray(data)
        b[draw(st.integers(0, len(b) - 1))] ^= 1 << draw(st.integers(0, 7))
        data = bytes(b)
    return data


def _writable(s) -> bool:
    if s is None:
        return True
    s.encode("utf-8")
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(sorted(KINDS)))
def test_every_reader_survives_random_and_odd_input(tmp_path_factory, data, name):
    base = tmp_path_factory.mktemp("fuzz")
    p = base / name
    p.write_bytes(data.draw(file_bytes(name)))
    kind, comp = KINDS[name]
    recs = list(read_file(InputFile(p, "a", kind, comp), 100_000))
    for r in recs:
        assert isinstance(r, (RawDocument, ReadFailure))
        for field in ("id", "source", "url", "title", "date", "reason"):
            assert _writable(getattr(r, field, None))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_whole_run_on_fuzzed_files_of_every_kind_accounts_for_everything(tmp_path_factory, data):
    from pipeline import run

    base = tmp_path_factory.mktemp("fuzzrun")
    inp = base / "in"
    inp.mkdir()
    for name in KINDS:
        (inp / name).write_bytes(data.draw(file_bytes(name)))
    (inp / "sub").mkdir()
    (inp / "sub" / "x.jsonl").write_bytes(b"\n".join(_json_bytes(r) for r in data.draw(st.lists(odd_record, max_size=4))))
    os.symlink(inp, inp / "sub" / "loop")
    m = run([inp], base / "out").manifest
    assert m["accounting"]["ok"], m["accounting"]
