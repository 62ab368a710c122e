"""Crash safety: SIGKILL a real run at random points, resume, and get byte-identical outputs.
Determinism: the same input gives the same outputs for any --workers value."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, SAMPLES

CONFIG = "run:\n  shard_size: 25\n"


def _outputs(out: Path) -> dict[str, bytes]:
    files = {}
    for p in sorted(out.rglob("*.parquet")):
        rel = p.relative_to(out).as_posix()
        if not rel.startswith("_work"):
            files[rel] = p.read_bytes()
    return files


def _cmd(inputs, out, cfg, *extra):
    return [sys.executable, "-m", "pipeline.cli", "run", *map(str, inputs), "--out", str(out), "--config", str(cfg), "-q", *extra]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("resume")
    cfg = base / "small_shards.yaml"
    cfg.write_text(CONFIG)
    inputs = [FIXTURES / "wikinews-300.jsonl.gz", SAMPLES]
    ref = base / "reference"
    subprocess.run(_cmd(inputs, ref, cfg, "--workers", "1"), check=True, cwd=Path(__file__).parents[1])
    return base, cfg, inputs, _outputs(ref)


def test_outputs_identical_for_any_worker_count(setup):
    base, cfg, inputs, reference = setup
    out = base / "two_workers"
    subprocess.run(_cmd(inputs, out, cfg, "--workers", "2"), check=True, cwd=Path(__file__).parents[1])
    assert _outputs(out) == reference


@pytest.mark.slow
def test_sigkill_then_resume_gives_identical_outputs(setup):
    base, cfg, inputs, reference = setup
    assert len(reference) > 20  # corpus parts, stage edits, duplicates, rejected
    rng = random.Random(1234)
    trials = 0
    for trial in range(4):
        out = base / f"killed{trial}"
        proc = subprocess.Popen(_cmd(inputs, out, cfg, "--workers", "2"), cwd=Path(__file__).parents[1],
                                start_new_session=True)
        time.sleep(rng.uniform(1.0, 5.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the run and its worker processes
            trials += 1
        proc.wait()
        subprocess.run(_cmd(inputs, out, cfg, "--workers", "2", "--resume"), check=True, cwd=Path(__file__).parents[1])
        assert _outputs(out) == reference, f"trial {trial}"
        assert not any(p.name.startswith(".") and ".tmp-" in p.name for p in out.rglob("*")), "temp files left"
    assert trials >= 2, "the run finished before it could be killed; make the input bigger"


def test_resume_refuses_a_different_config(setup, tmp_path):
    base, cfg, inputs, _ = setup
    out = tmp_path / "o"
    (out / "_work").mkdir(parents=True)
    subprocess.run(_cmd(inputs[1:], out, cfg, "--resume"), check=True, cwd=Path(__file__).parents[1])
    other = tmp_path / "other.yaml"
    other.write_text("run:\n  shard_size: 7\n  keep_work: true\n")
    subprocess.run(_cmd(inputs[1:], out, other, "--overwrite"), check=True, cwd=Path(__file__).parents[1])
    r = subprocess.run(_cmd(inputs[1:], out, cfg, "--resume"), cwd=Path(__file__).parents[1], capture_output=True, text=True)
    assert r.returncode != 0 and "different config" in r.stderr and "Traceback" not in r.stderr
