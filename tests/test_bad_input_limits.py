"""Issue 12, parts 3 and 4: no input or signal hangs a run or leaves processes behind, memory and
time per document are bounded, and operational errors are one line that says what to do."""

import errno
import gzip
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline import run
from pipeline.cli import main
from pipeline.config import PipelineConfig
from pipeline.errors import InputError
from pipeline.io.readers import InputFile, read_file

from tests.helpers import rejected_by_id
from tests.test_bad_input_records import GOOD, _ok, _write, story

PIPELINE = [sys.executable, "-c", "from pipeline.cli import main; main()"]


def _one_line(r):
    assert r.exit_code != 0
    assert "Traceback" not in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1, r.output
    return r.output


# ---- hangs ---------------------------------------------------------------------------------


def test_fifo_given_directly_is_refused_up_front(tmp_path):
    fifo = tmp_path / "feed.jsonl"
    os.mkfifo(fifo)
    r = subprocess.run(PIPELINE + ["run", str(fifo), "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "is a fifo" in r.stderr and "Traceback" not in r.stderr
    with pytest.raises(InputError, match="device"):
        run(["/dev/zero"], tmp_path / "out2")


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(p.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _busy_run(tmp_path, workers=2):
    """A run with many small shards, started in its own session; returns (proc, out) once
    workers are busy."""
    inp = tmp_path / "in"
    inp.mkdir()
    with open(inp / "feed.jsonl", "w") as fh:
        for i in range(3000):
            fh.write(json.dumps({"id": f"d{i}", "text": story(i)}) + "\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("run:\n  shard_size: 20\n")
    out = tmp_path / "out"
    proc = subprocess.Popen(PIPELINE + ["run", str(inp), "--out", str(out), "-w", str(workers), "-q", "-c", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if list((out / "_work").glob("summary-pre-*.json")) and len(_children(proc.pid)) >= workers:
            return proc, out
        if proc.poll() is not None:
            pytest.fail(f"run ended early: {proc.stderr.read()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail("run never got busy")


@pytest.mark.parametrize("presses", [2, 4])
def test_repeated_ctrl_c_exits_cleanly(tmp_path, presses):
    proc, out = _busy_run(tmp_path)
    workers = _children(proc.pid)
    for _ in range(presses):  # Ctrl-C goes to the whole foreground process group
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.4)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("the run hung after Ctrl-C")
    assert proc.returncode != 0
    assert "interrupted; rerun with --resume" in err and "Traceback" not in err, err
    time.sleep(0.5)
    assert not [w for w in workers if _alive(w)]


def test_pool_workers_die_with_a_killed_parent(tmp_path):
    proc, out = _busy_run(tmp_path)
    workers = _children(proc.pid)
    assert workers
    proc.kill()  # kill -9: no cleanup code runs in the parent
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)]


# ---- memory and time per document ----------------------------------------------------------


def _peak_while_reading(f: InputFile, max_bytes: int) -> tuple[list, int]:
    tracemalloc.start()
    try:
        recs = [(type(r).__name__, getattr(r, "reason", None)) for r in read_file(f, max_bytes)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return recs, peak


def test_gigantic_jsonl_line_is_bounded(tmp_path):
    p = tmp_path / "zeros.jsonl.gz"
    with gzip.open(p, "wb", compresslevel=1) as fh:
        block = b"0" * (1 << 20)
        for _ in range(64):  # a 64 MB line (the 2 GB behaves the same, just slower)
            fh.write(block)
        fh.write(b"\n" + json.dumps({"id": "after", "text": GOOD}).encode() + b"\n")
    recs, peak = _peak_while_reading(InputFile(p, "zeros", "jsonl", "gz"), 1_000_000)
    assert recs[0][0] == "ReadFailure" and "bytes > max_bytes" in recs[0][1]
    assert recs[1] == ("RawDocument", None)  # the next line is read
    assert peak < 16 * 1024 * 1024, peak


def test_gigantic_warc_header_line_is_bounded(tmp_path):
    p = tmp_path / "junk.warc"
    p.write_bytes(b"WARC/1.0\r\nWARC-Type: response\r\nX: " + b"a" * (32 << 20))
    recs, peak = _peak_while_reading(InputFile(p, "junk", "warc", None), 1_000_000)
    assert recs and all(kind == "ReadFailure" for kind, _ in recs)
    assert peak < 16 * 1024 * 1024, peak


def test_millions_of_lines_rejected_by_the_line_budget(tmp_path):
    inp = _write(tmp_path / "in", {"lines.txt": b"a\n" * 300_000, "ok.txt": GOOD.encode()})
    t0 = time.time()
    m = _ok(run([inp], tmp_path / "out"))
    assert time.time() - t0 < 60
    row = rejected_by_id(tmp_path / "out")["lines"]
    assert row["reason"].startswith("budget:too_many_lines") and m["counts"]["kept"] == 1


def test_a_stage_over_its_time_budget_rejects_the_document(tmp_path, monkeypatch):
    from pipeline.stages.boilerplate import Boilerplate

    orig = Boilerplate.apply_batch

    def slow(self, docs):  # the stage's batch path; one document alone goes through it too
        if any("SLOWPOKE" in doc.text for doc in docs):
            time.sleep(5)
        return orig(self, docs)

    monkeypatch.setattr(Boilerplate, "apply_batch", slow)
    inp = _write(tmp_path / "in", {"slow.txt": ("SLOWPOKE " + GOOD).encode(), "ok.txt": story(1).encode()})
    cfg = PipelineConfig().with_overrides(run={"max_stage_seconds": 0.5})
    t0 = time.time()
    _ok(run([inp], tmp_path / "out", cfg))
    assert time.time() - t0 < 5
    row = rejected_by_id(tmp_path / "out")["slow"]
    assert row["stage"] == "boilerplate" and row["reason"].startswith("budget:timeout")


def test_nested_deadlines_keep_the_outer_one():
    from pipeline.core.deadline import DeadlineExceeded, deadline

    t0 = time.time()
    with pytest.raises(DeadlineExceeded, match="0.3"):
        with deadline(0.3):
            with deadline(10):  # longer inner limit: must not extend the outer one
                pass
            with deadline(0.1):
                pass
            time.sleep(2)
    assert time.time() - t0 < 1.5


# ---- operational errors and config ---------------------------------------------------------


def test_disk_full_is_one_line_and_leaves_no_tmp(tmp_path, monkeypatch):
    import pipeline.io.writers as writers

    inp = _write(tmp_path / "in", {"a.txt": GOOD.encode()})
    real = writers.pq.write_table

    def full(table, where, **kw):
        real(table, where, **kw)  # a partial file exists when the disk fills up
        raise OSError(errno.ENOSPC, "No space left on device", str(where))

    monkeypatch.setattr(writers.pq, "write_table", full)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", str(inp), "--out", str(out), "-q"])
    assert "disk full" in _one_line(r) and "--resume" in r.output
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]


def test_dedup_tmp_dir_missing_fails_before_work(tmp_path):
    inp = _write(tmp_path / "in", {"a.txt": GOOD.encode()})
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"dedup:\n  tmp_dir: {tmp_path / 'nope'}\n")
    r = CliRunner().invoke(main, ["run", str(inp), "--out", str(tmp_path / "out"), "-c", str(cfg)])
    assert "dedup.tmp_dir" in _one_line(r) and not (tmp_path / "out" / "_work").exists()


@pytest.mark.parametrize("body,expect", [
    ("extract:\n  timeout_seconds: .inf\n", "finite"),
    ("quality:\n  min_words: .nan\n", "finite"),
    ("decode:\n  max_bytes: 1.0e+23\n", "too large"),
    ("extract:\n  timeout_seconds: 1e23\n", "too large"),
    ("decode:\n  max_bytes: 1e23\n", "valid integer"),
    ("quality:\n  min_words: 500\n  max_words: 100\n", "larger than 'quality.max_words'"),
])
def test_config_numbers_finite_and_ranges_consistent(tmp_path, body, expect):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(body)
    r = CliRunner().invoke(main, ["run", str(tmp_path), "--out", str(tmp_path / "o"), "-c", str(cfg)])
    assert expect in _one_line(r)


def _kept_run(tmp_path):
    inp = _write(tmp_path / "in", {f"d{i}.txt": story(i).encode() for i in range(6)})
    cfg = tmp_path / "c.yaml"
    cfg.write_text("run:\n  shard_size: 2\n  keep_work: true\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", str(inp), "--out", str(out), "-q", "-c", str(cfg)])
    assert r.exit_code == 0, r.output
    (out / "manifest.json").unlink()
    return inp, out, cfg


@pytest.mark.parametrize("damage", [
    lambda w: (w / "summary-00001.json").write_text("{not json"),
    lambda w: (w / "summary-00001.json").write_text('{"index": 1}'),
    lambda w: (w / "kept-00000.parquet").unlink(),
    lambda w: (w / "kept-00000.parquet").write_bytes(b"PAR1garbage"),
    lambda w: (w / "rejected-00002.parquet").write_bytes(b""),
    lambda w: [p.unlink() for p in w.glob("sketch-*.parquet")],
])
def test_corrupt_or_missing_shard_scratch_on_resume_redoes_the_shard(tmp_path, damage):
    """A damaged or missing file of one shard's scratch: --resume redoes that shard (issue 16;
    tests/test_resume.py checks the outputs against an uninterrupted run, and that a corrupt
    _work/run.json says --overwrite)."""
    inp, out, cfg = _kept_run(tmp_path)
    damage(out / "_work")
    r = CliRunner().invoke(main, ["run", str(inp), "--out", str(out), "-q", "-c", str(cfg), "--resume"])
    assert r.exit_code == 0, r.output
    assert pq.read_table(out / "corpus").num_rows == 6


def test_unwritable_work_on_resume_is_one_line(tmp_path, monkeypatch):
    inp, out, cfg = _kept_run(tmp_path)
    import pipeline.io.writers as writers

    def denied(obj, path):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(writers, "write_json", denied)
    monkeypatch.setattr("pipeline.engine.local.write_json", denied)
    monkeypatch.setattr("pipeline.engine.finish.write_json", denied)
    r = CliRunner().invoke(main, ["run", str(inp), "--out", str(out), "-q", "-c", str(cfg), "--resume"])
    assert "Permission denied" in _one_line(r)


def test_dedup_command_on_an_int_text_column(tmp_path):
    p = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": [1, 2]}), p)
    r = CliRunner().invoke(main, ["dedup", str(p), "--out", str(tmp_path / "o")])
    assert "not text" in _one_line(r) and "--text-column" in r.output


def test_decode_over_its_time_budget_rejects_the_document(tmp_path, monkeypatch):
    from pipeline.stages import decode

    orig = decode.Decoder.decode_bytes

    def slow(self, data, declared):
        if b"SLOWPOKE" in data:
            time.sleep(5)
        return orig(self, data, declared)

    monkeypatch.setattr(decode.Decoder, "decode_bytes", slow)
    inp = _write(tmp_path / "in", {"slow.txt": ("SLOWPOKE " + GOOD).encode(), "ok.txt": story(1).encode()})
    t0 = time.time()
    _ok(run([inp], tmp_path / "out", PipelineConfig().with_overrides(run={"max_stage_seconds": 0.5})))
    assert time.time() - t0 < 5
    row = rejected_by_id(tmp_path / "out")["slow"]
    assert row["stage"] == "decode" and row["reason"].startswith("budget:timeout")
