"""Every kind of garbage becomes a rejected row naming the file (and line/record), or a one-line
error before work starts; never a traceback, a hang or a lost document."""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.engine.run import run
from tests.conftest import ROOT, absent
from tests.helpers import rejected_by_id, warc_bytes

GOOD = "The river authority said on Monday that water levels had fallen for a third week in a row. " * 4


def _run(tmp_path, files: dict[str, bytes]):
    inp = tmp_path / "in"
    inp.mkdir(exist_ok=True)
    for name, data in files.items():
        (inp / name).write_bytes(data)
    result = run([inp], tmp_path / "out")
    assert result.manifest["accounting"]["ok"]
    return tmp_path / "out", result.manifest


def test_binary_files_given_as_text(tmp_path):
    out, m = _run(tmp_path, {
        "photo.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2000),
        "paper.txt": b"%PDF-1.5\n%\xb5\xed\xae\xfb\n" + os.urandom(2000),
        "tool.txt": b"\x7fELF\x02\x01\x01" + os.urandom(2000),
        "empty.txt": b"",
        "good.txt": GOOD.encode(),
    })
    rej = rejected_by_id(out)
    assert rej["photo"]["reason"] == "binary:png" and rej["paper"]["reason"] == "binary:pdf"
    assert rej["tool"]["reason"].startswith("binary:elf") and rej["empty"]["reason"].startswith("empty")
    assert m["counts"]["kept"] == 1


def test_undecodable_bytes(tmp_path):
    out, _ = _run(tmp_path, {"noise.txt": bytes(range(1, 32)) * 50 + os.urandom(3000)})
    assert rejected_by_id(out)["noise"]["stage"] == "decode"


def test_huge_single_document_rejected_without_reading_it_all(tmp_path):
    big = (GOOD * 200_000)[: 50 * 1024 * 1024].encode()
    out, _ = _run(tmp_path, {"dump.txt": big})
    assert rejected_by_id(out)["dump"]["reason"].startswith("too_large")


def test_jsonl_bad_lines_each_become_a_row(tmp_path):
    lines = [
        json.dumps({"id": "ok", "text": GOOD, "url": "https://example.org/a", "date": "2024-01-02"}).encode(),
        b"{not json",
        b"\xff\xfe\xfa not utf-8",
        json.dumps({"id": "notext", "title": "x"}).encode(),
        json.dumps(["a", "list"]).encode(),
        json.dumps({"text": "A different story: the city library will open on Sundays from March, the council said. " * 3}).encode(),
    ]
    out, m = _run(tmp_path, {"feed.jsonl": b"\n".join(lines)})
    rej = rejected_by_id(out)
    assert "not JSON" in rej["feed:2"]["reason"] and "feed.jsonl" in rej["feed:2"]["source"]
    assert "not UTF-8" in rej["feed:3"]["reason"]
    assert "no 'text' or 'html'" in rej["notext"]["reason"]
    assert "not an object" in rej["feed:5"]["reason"]
    corpus = {r["id"]: r for r in pq.read_table(out / "corpus").to_pylist()}
    assert corpus["ok"]["url"] == "https://example.org/a" and corpus["ok"]["date_raw"] == "2024-01-02" and corpus["ok"]["date"].year == 2024
    assert "feed:6" in corpus  # a missing id gets a stable one from file and line


def test_truncated_gzip_and_zstd(tmp_path):
    import zstandard

    payload = "\n".join(json.dumps({"id": f"d{i}", "text": f"{GOOD} number {i} " + os.urandom(8).hex()}) for i in range(300)).encode()
    gz = gzip.compress(payload)
    zs = zstandard.ZstdCompressor().compress(payload)
    out, m = _run(tmp_path, {"a.jsonl.gz": gz[: len(gz) // 2], "b.jsonl.zst": zs[: len(zs) // 2]})
    rej = rejected_by_id(out)
    assert any(k.startswith("a:") and "truncated" in v["reason"] for k, v in rej.items())
    assert any(k.startswith("b:") and "truncated" in v["reason"] for k, v in rej.items())
    assert m["counts"]["kept"] > 0  # what was readable before the cut is kept


def test_warc_with_a_broken_record(tmp_path):
    html = f"<html><head><meta charset='utf-8'><title>T</title></head><body><article><p>{GOOD}</p></article></body></html>"
    good = warc_bytes([("https://example.org/a", html.encode("cp1252"), "text/html; charset=windows-1252"),
                       ("https://example.org/logo.png", b"\x89PNG....", "image/png")], gzip=True)
    broken = good + b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 999999\r\n\r\ngarbage"
    out, m = _run(tmp_path, {"crawl.warc.gz": broken})
    corpus = pq.read_table(out / "corpus").to_pylist()
    assert len(corpus) == 1 and corpus[0]["url"] == "https://example.org/a" and corpus[0]["charset"] == "cp1252"
    assert any("WARC" in r["reason"] or "truncated" in r["reason"] for r in rejected_by_id(out).values())


def test_hostile_html(tmp_path):
    nested = "<html><body>" + "<div>" * 10_000 + "<p>" + GOOD + "</p>" + "</div>" * 10_000 + "</body></html>"
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>'
            "<html><body><p>&d;&d;&d;&d;</p></body></html>")
    out, m = _run(tmp_path, {"nested.html": nested.encode(), "bomb.html": bomb.encode()})
    corpus = {r["id"]: r for r in pq.read_table(out / "corpus").to_pylist()}
    assert "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" not in "".join(r["text"] for r in corpus.values())
    assert m["counts"]["input_documents"] == 2


def test_wrong_parquet_schema_and_corrupt_parquet(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    pq.write_table(pa.table({"body": ["x"], "n": [1]}), inp / "wrong.parquet")
    pq.write_table(pa.table({"id": ["p1"], "text": [GOOD]}), inp / "right.parquet")
    (inp / "corrupt.parquet").write_bytes(b"PAR1" + os.urandom(100))
    run([inp], tmp_path / "out")
    rej = rejected_by_id(tmp_path / "out")
    assert "wrong Parquet schema" in rej["wrong:<file>"]["reason"] and "wrong.parquet" in rej["wrong:<file>"]["source"]
    assert "not a readable Parquet" in rej["corrupt:<file>"]["reason"]
    assert pq.read_table(tmp_path / "out" / "corpus").column("id").to_pylist() == ["p1"]


def test_duplicate_ids_across_inputs_stay_distinct(tmp_path):
    a = json.dumps({"id": "same", "text": GOOD}).encode()
    b = json.dumps({"id": "same", "text": GOOD + " and a different ending entirely for this one"}).encode()
    out, m = _run(tmp_path, {"a.jsonl": a, "b.jsonl": b})
    assert m["accounting"]["unique_ids"] == 2


def test_unreadable_path_is_an_error_before_work():
    """A file its user may not read. Root reads any file, so as root (CI) the run is a real
    unprivileged user (nobody, through setpriv): the kernel enforces the condition either way."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip(absent("setpriv (util-linux)", "needed to drop root for this test"))
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    with tempfile.TemporaryDirectory(prefix="newsclean-unreadable-") as tmp:
        d = Path(tmp)
        d.chmod(0o777)  # nobody may create OUT here; only the file itself is unreadable
        p = d / "secret.txt"
        p.write_text(GOOD)
        p.chmod(0)
        env = {**os.environ, "HOME": tmp, "NUMBA_CACHE_DIR": tmp, "PYTHONPATH": str(ROOT)}
        r = subprocess.run([*prefix, sys.executable, "-m", "pipeline.cli", "run", str(p), "--out", str(d / "o")],
                           capture_output=True, text=True, env=env, cwd=tmp, timeout=120)
        assert r.returncode != 0, r.stderr[-2000:]
        # click's own check of INPUTS ("... is not readable") or the reader's ("permission denied")
        message = r.stderr.lower()
        assert str(p) in r.stderr and ("not readable" in message or "permission denied" in message), r.stderr[-2000:]
        assert "Traceback" not in r.stderr
        assert not (d / "o").exists()


def test_unknown_file_type_in_folder_is_a_rejected_row(tmp_path):
    out, _ = _run(tmp_path, {"notes.docx": b"PK\x03\x04 something", "good.txt": GOOD.encode()})
    assert "unsupported file type" in rejected_by_id(out)["notes"]["reason"]
