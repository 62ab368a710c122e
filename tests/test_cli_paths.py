"""CLI paths no other test takes: unknown stage for `apply`, `--debug`, an output path that is a
file, Ctrl-C, and the extraction time limit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.core.document import Document
from pipeline.errors import PipelineError
from pipeline.stages.extract import Extract, ExtractConfig
from tests.conftest import ROOT, SAMPLES
from tests.helpers import write_articles


def test_apply_with_an_unknown_stage_names_the_usable_ones():
    r = CliRunner().invoke(main, ["apply", "boilerplat"], input=b"some text")
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "'boilerplat' is not a per-document stage (one of decode, extract, fix_encoding, boilerplate, spam, quality)" in r.output


def test_apply_refuses_corpus_wide_stages():
    r = CliRunner().invoke(main, ["apply", "dedup"], input=b"some text")
    assert r.exit_code == 2 and "'dedup' is not a per-document stage" in r.output


def test_run_into_a_file_is_one_line_error(tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("not a folder")
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(out)])
    # a usage error (exit 2, checked by click before any work): the last line names the path
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.output.strip().splitlines()[-1] == f"Error: Invalid value for '--out' / '-o': Directory '{out}' is a file."
    assert out.read_text() == "not a folder"


def test_debug_shows_the_traceback_instead_of_one_line(tmp_path):
    args = ["run", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]
    plain = CliRunner().invoke(main, args)
    assert plain.exit_code == 1 and "no such file or folder" in plain.output and "Traceback" not in plain.output
    debug = CliRunner().invoke(main, ["--debug", *args])
    assert isinstance(debug.exception, PipelineError) and "no such file or folder" in str(debug.exception)
    r = subprocess.run([sys.executable, "-m", "pipeline.cli", "--debug", *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1 and "Traceback (most recent call last)" in r.stderr and "InputError" in r.stderr


def test_ctrl_c_is_one_line_and_the_run_resumes(tmp_path):
    """SIGINT delivered at a chosen point (after the first shard) through the fault hook."""
    inputs = write_articles(tmp_path / "in", [f"a{i}" for i in range(6)])
    cfg = tmp_path / "c.yaml"
    cfg.write_text("run:\n  shard_size: 2\n")
    cmd = [sys.executable, "-m", "pipeline.cli", "run", str(inputs), "--out", str(tmp_path / "o"), "--config", str(cfg), "-q"]
    env = {**os.environ, "NEWSCLEAN_FAULT": "after_pre_shard:0", "NEWSCLEAN_FAULT_SIGNAL": "INT"}
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    assert r.stderr.strip() == "Error: interrupted; rerun with --resume to continue"
    assert not (tmp_path / "o" / "manifest.json").exists()
    r = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert pq.read_table(tmp_path / "o" / "corpus").num_rows == 6


def _slow_page(n: int = 20000) -> str:
    return "<html><body>" + "".join(f"<div><p>Paragraph {i} of a very long page about the harbour.</p></div>" for i in range(n)) + "</body></html>"


def test_extraction_time_limit_rejects_the_page():
    page = _slow_page()
    outer = signal.getitimer(signal.ITIMER_REAL)[0]  # pytest-timeout's own alarm, when it uses one
    out = Extract(ExtractConfig(timeout_seconds=0.05)).apply(Document(id="p", text=page, format="html"))
    assert out.doc is None and out.reason == "extract:timeout | took longer than 0.05 s"
    # The alarm is disarmed afterwards (an outer one, if any, re-armed): the same page with the
    # limit off is extracted.
    after = signal.getitimer(signal.ITIMER_REAL)[0]
    assert (after == 0.0) if outer == 0.0 else 0.0 < after <= outer
    assert Extract(ExtractConfig(timeout_seconds=0)).apply(Document(id="p", text=page, format="html")).doc is not None


def test_extraction_timeout_in_a_run_is_one_rejected_row(tmp_path):
    inputs = write_articles(tmp_path / "in", ["fine"])
    (inputs / "huge.html").write_text(_slow_page(), encoding="utf-8")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("extract:\n  timeout_seconds: 0.05\n")
    r = CliRunner().invoke(main, ["run", str(inputs), "--out", str(tmp_path / "o"), "--config", str(cfg), "-q"])
    assert r.exit_code == 0, r.output
    rejected = {x["id"]: x for x in pq.read_table(tmp_path / "o" / "rejected.parquet").to_pylist()}
    assert rejected["huge"]["stage"] == "extract" and rejected["huge"]["reason"].startswith("extract:timeout")
    assert pq.read_table(tmp_path / "o" / "corpus").column("id").to_pylist() == ["fine"]
