"""Crash safety: SIGKILL a real run at points the test chooses (NEWSCLEAN_FAULT, see
pipeline/engine/faults.py), resume, and get byte-identical outputs; damaged scratch files are
redone on resume. Determinism: the same input gives the same outputs for any --workers value."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, SAMPLES

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
    subprocess.run(_cmd(inputs, ref, cfg, "--workers", "1"), check=True, cwd=ROOT)
    return base, cfg, inputs, _outputs(ref)


def test_outputs_identical_for_any_worker_count(setup):
    base, cfg, inputs, reference = setup
    out = base / "two_workers"
    subprocess.run(_cmd(inputs, out, cfg, "--workers", "2"), check=True, cwd=ROOT)
    assert _outputs(out) == reference


def _killed_then_resumed(setup, name: str, fault: str, workers: str = "2") -> Path:
    """Run with NEWSCLEAN_FAULT=fault (the run SIGKILLs itself there), check it died by SIGKILL,
    reap its orphaned pool workers, then --resume; returns OUT."""
    base, cfg, inputs, reference = setup
    out = base / name
    log = base / f"{name}.stderr"
    with open(log, "wb") as err:  # a file, not a pipe: orphaned pool workers would hold a pipe open
        proc = subprocess.Popen(_cmd(inputs, out, cfg, "--workers", workers), cwd=ROOT, start_new_session=True,
                                env={**os.environ, "NEWSCLEAN_FAULT": fault}, stdout=subprocess.DEVNULL, stderr=err)
        try:
            proc.wait(timeout=240)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the pool workers the killed driver left behind
            except ProcessLookupError:
                pass
    assert proc.returncode == -signal.SIGKILL, f"{fault}: the run was not killed there ({proc.returncode}): {log.read_text()[-1500:]}"
    assert not (out / "manifest.json").exists() or fault == "rename:manifest.json"
    return out


def _resume_matches_reference(setup, out: Path, *extra: str) -> subprocess.CompletedProcess:
    base, cfg, inputs, reference = setup
    r = subprocess.run(_cmd(inputs, out, cfg, "--workers", "2", "--resume", *extra), cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-2000:]
    assert _outputs(out) == reference
    assert not any(".tmp-" in p.name for p in out.rglob("*")), "temp files left"
    assert not (out / "_work").exists()
    return r


# Kill points chosen by the test (pipeline/engine/faults.py): mid-way through each map phase,
# inside finish, and between two of finish's output renames.
KILL_POINTS = [
    ("after_pre_shard:4", lambda out: (out / "_work" / "summary-pre-00004.json").exists()),
    ("after_shard:2", lambda out: (out / "_work" / "summary-00002.json").exists()),
    ("finish", lambda out: any((out / "corpus").glob("part-*.parquet")) and not (out / "duplicates.parquet").exists()),
    ("rename:duplicates.parquet", lambda out: (out / "duplicates.parquet").exists() and not (out / "rejected.parquet").exists()),
    ("rename:manifest.json", lambda out: (out / "manifest.json").exists() and (out / "_work").is_dir()),
]


@pytest.mark.slow
@pytest.mark.parametrize("fault, where", KILL_POINTS, ids=[k for k, _ in KILL_POINTS])
def test_sigkill_at_a_chosen_point_then_resume_gives_identical_outputs(setup, fault, where):
    assert len(setup[3]) > 20  # corpus parts, stage edits, duplicates, rejected
    out = _killed_then_resumed(setup, fault.replace(":", "_").replace(".", "_"), fault)
    assert where(out), f"{fault}: the run did not die where the fault says"
    _resume_matches_reference(setup, out)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["summary", "kept", "observation"])
def test_resume_redoes_a_shard_whose_scratch_is_corrupt(setup, damage):
    """A _work file damaged after the kill (truncated by a full disk, say): the shard is redone,
    not a traceback, and the outputs are still the reference."""
    out = _killed_then_resumed(setup, f"corrupt_{damage}", "after_shard:3")
    work = out / "_work"
    # Shards finish in any order in the pool: damage one whose scratch the killed run did write.
    pattern = {"summary": "summary-*.json", "kept": "kept-*.parquet", "observation": "observed-*.pkl"}[damage]
    written = sorted(work.glob(pattern))
    assert written, f"no {pattern} in {work}"
    target = written[0]
    target.write_bytes(target.read_bytes()[: len(target.read_bytes()) // 2])
    r = _resume_matches_reference(setup, out)
    assert "Traceback" not in r.stderr


def test_resume_with_a_corrupt_identity_file_is_one_line_error(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG)
    out = tmp_path / "o"
    (out / "_work").mkdir(parents=True)
    (out / "_work" / "run.json").write_text("{ truncated")
    r = subprocess.run(_cmd([SAMPLES], out, cfg, "--resume"), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "cannot be resumed; use --overwrite" in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]


def test_resume_refuses_a_different_config(setup, tmp_path):
    base, cfg, inputs, _ = setup
    out = tmp_path / "o"
    (out / "_work").mkdir(parents=True)
    subprocess.run(_cmd(inputs[1:], out, cfg, "--resume"), check=True, cwd=ROOT)
    other = tmp_path / "other.yaml"
    other.write_text("run:\n  shard_size: 7\n  keep_work: true\n")
    subprocess.run(_cmd(inputs[1:], out, other, "--overwrite"), check=True, cwd=ROOT)
    r = subprocess.run(_cmd(inputs[1:], out, cfg, "--resume"), cwd=ROOT, capture_output=True, text=True)
    assert r.returncode != 0 and "different config" in r.stderr and "Traceback" not in r.stderr


def test_resume_removes_temp_files_of_the_killed_run(tmp_path):
    """A process killed mid-write leaves '.<name>.tmp-<pid>' behind; --resume removes them (and
    nothing else that is not ours)."""
    from pipeline.engine.local import prepare_output
    from pipeline.engine.plan import Plan

    layout = Plan.of().layout(tmp_path / "o")
    stale = [layout.work / ".kept-00001.parquet.tmp-4242", layout.out / "stages" / "02_extract" / ".edits-00003.parquet.tmp-17"]
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"half a file")
    keep = layout.work / "summary-00000.json"
    keep.write_text("{}")
    prepare_output(layout, overwrite=False, resume=True)
    assert not any(p.exists() for p in stale) and keep.exists()
