"""Inputs and OUT on S3, against a real S3-compatible server: moto's standalone server, started
by the fixture on a free localhost port and stopped after the module (no mock object: the
pipeline talks HTTP to it through s3fs, in this process and in `pipeline` subprocesses).

A run s3:// -> s3:// gives the tables a local run gives on the same files; a run SIGKILLed at a
chosen point (NEWSCLEAN_FAULT) and resumed on S3 gives byte-identical outputs; compressed inputs
are read from S3; a missing bucket or a bad URL is one line, never a traceback."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.conftest import FIXTURES, ROOT, SAMPLES
from tests.s3_server import moto_s3

BUCKET = "newsclean-test"
CONFIG = "run:\n  shard_size: 25\n"


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server for this module (tests/s3_server.py), BUCKET created."""
    with moto_s3(BUCKET) as fs:
        yield fs


@pytest.fixture(scope="module")
def inputs(s3, tmp_path_factory):
    """The same input tree locally and under s3://BUCKET/in: JSONL.gz, the samples folder, a
    zstd JSONL and a truncated .gz (one rejected row)."""
    import zstandard

    local = tmp_path_factory.mktemp("s3_inputs")
    tree = local / "in"
    shutil.copytree(SAMPLES, tree / "samples")
    shutil.copy(FIXTURES / "wikinews-300.jsonl.gz", tree / "wikinews-300.jsonl.gz")
    lines = (FIXTURES / "dedup" / "wikinews_sample.jsonl").read_bytes()
    (tree / "more.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines))
    (tree / "cut.txt.gz").write_bytes(gzip.compress(b"a text cut short " * 200)[:60])
    s3.put(str(tree) + "/", f"{BUCKET}/in/", recursive=True)
    s3.invalidate_cache()
    return local


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", "run", *args, "-q"]


def _run(*args: str, cwd: Path = ROOT, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(_cmd(*args), cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    if check:
        assert r.returncode == 0, r.stderr[-3000:]
    return r


def _tables(read, names: list[str]) -> dict[str, pa.Table]:
    return {n: read(n) for n in names}


def _s3_outputs(fs, prefix: str) -> dict[str, bytes]:
    fs.invalidate_cache()
    return {k[len(prefix) + 1:]: fs.cat_file(k) for k in fs.find(prefix)
            if k.endswith(".parquet") and "/_work/" not in k}


def _local_outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.parquet")) if "_work" not in p.parts}


def _without_location(data: bytes) -> pa.Table:
    """A table with its `source` column stripped of where the inputs were (s3://bucket/ or a
    local folder): the only column that may differ between the two runs."""
    t = pq.read_table(pa.BufferReader(data))
    if "source" in t.column_names:
        src = pc.replace_substring_regex(t.column("source"), pattern=r"^(s3://[^/]+/)", replacement="")
        t = t.set_column(t.schema.get_field_index("source"), "source", src)
    return t


def test_a_run_from_s3_to_s3_gives_the_tables_of_a_local_run(s3, inputs, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG)
    local_out = tmp_path / "local"
    _run("in", "--out", str(local_out), "--config", str(cfg), "--workers", "2", cwd=inputs)
    _run(f"s3://{BUCKET}/in", "--out", f"s3://{BUCKET}/runs/full", "--config", str(cfg), "--workers", "2", cwd=inputs)

    remote, local = _s3_outputs(s3, f"{BUCKET}/runs/full"), _local_outputs(local_out)
    assert sorted(remote) == sorted(local) and len(local) > 20
    for name in local:
        assert _without_location(remote[name]).equals(_without_location(local[name])), name
    sources = {s for name, data in remote.items() if name.startswith("corpus/")
               for s in pq.read_table(pa.BufferReader(data)).column("source").to_pylist()}
    assert {f"s3://{BUCKET}/in/wikinews-300.jsonl.gz", f"s3://{BUCKET}/in/more.jsonl.zst"} <= sources  # as given
    assert all(s.startswith(f"s3://{BUCKET}/in/") for s in sources)
    rejected = pq.read_table(pa.BufferReader(remote["rejected.parquet"])).to_pylist()
    assert any(r["source"] == f"s3://{BUCKET}/in/cut.txt.gz" and "corrupt or truncated gz" in r["reason"] for r in rejected)
    assert not s3.exists(f"{BUCKET}/runs/full/_work") and not s3.exists(f"{BUCKET}/runs/full/.pipeline.lock")


def test_compressed_inputs_are_read_from_s3(s3, inputs):
    from pipeline.io.readers import RawDocument, read_file, resolve_inputs

    files = {f.rel_id: f for f in resolve_inputs([f"s3://{BUCKET}/in"])}
    assert {"more", "wikinews-300", "cut", "samples/000_e2e47744eb601a7f"} <= set(files)
    for rel_id, n_docs in (("more", None), ("wikinews-300", 300)):
        remote = [r for r in read_file(files[rel_id], 1 << 20)]
        local_file = resolve_inputs([inputs / "in" / files[rel_id].path.name])[0]
        local = list(read_file(local_file, 1 << 20))
        assert all(isinstance(r, RawDocument) for r in remote) and len(remote) == len(local) > 0
        assert [(r.id, r.data) for r in remote] == [(r.id, r.data) for r in local]
        if n_docs:
            assert len(remote) == n_docs


@pytest.mark.slow
def test_killed_run_on_s3_resumes_to_identical_outputs(s3, inputs, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG)
    src = f"s3://{BUCKET}/in"
    _run(src, "--out", f"s3://{BUCKET}/runs/ref", "--config", str(cfg), "--workers", "2")
    reference = _s3_outputs(s3, f"{BUCKET}/runs/ref")

    out = f"s3://{BUCKET}/runs/killed"
    with open(tmp_path / "killed.stderr", "wb") as err:  # a file: orphaned pool workers may hold a pipe
        proc = subprocess.Popen(_cmd(src, "--out", out, "--config", str(cfg), "--workers", "2"), cwd=ROOT,
                                start_new_session=True, env={**os.environ, "NEWSCLEAN_FAULT": "after_pre_shard:3"},
                                stdout=subprocess.DEVNULL, stderr=err)
        try:
            proc.wait(timeout=240)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # pool workers the killed driver left behind
            except ProcessLookupError:
                pass
    assert proc.returncode == -signal.SIGKILL, (tmp_path / "killed.stderr").read_text()[-2000:]
    s3.invalidate_cache()
    assert s3.exists(f"{BUCKET}/runs/killed/_work/summary-pre-00003.json")  # died mid-way, as chosen
    assert not s3.exists(f"{BUCKET}/runs/killed/manifest.json")
    assert s3.exists(f"{BUCKET}/runs/killed/.pipeline.lock")  # a SIGKILL cannot release it

    r = _run(src, "--out", out, "--config", str(cfg), "--workers", "2", "--resume")
    assert "Traceback" not in r.stderr
    assert _s3_outputs(s3, f"{BUCKET}/runs/killed") == reference
    assert not s3.exists(f"{BUCKET}/runs/killed/_work") and not s3.exists(f"{BUCKET}/runs/killed/.pipeline.lock")


def test_a_lock_held_by_another_host_refuses_the_run(s3, inputs):
    out = f"{BUCKET}/runs/locked"
    s3.pipe_file(f"{out}/.pipeline.lock", b'{"host": "elsewhere", "pid": 1, "started": 0}')
    r = _run(str(SAMPLES), "--out", f"s3://{out}", check=False)
    assert r.returncode == 1 and "another run is writing to this output folder (host elsewhere" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not s3.exists(f"{out}/manifest.json")


@pytest.mark.parametrize(
    "args, message",
    [
        (["s3://no-such-bucket-x/in", "--out", "OUT"], "s3://no-such-bucket-x/in: no such file or folder"),
        ([f"s3://{BUCKET}/no/such/key.jsonl", "--out", "OUT"], f"s3://{BUCKET}/no/such/key.jsonl: no such file or folder"),
        ([str(SAMPLES), "--out", "s3://no-such-bucket-x/run"], "s3://no-such-bucket-x/run: no such bucket 'no-such-bucket-x'"),
        (["nosuchproto://x/y", "--out", "OUT"], "nosuchproto://x/y"),
    ],
    ids=["missing-bucket", "missing-key", "missing-out-bucket", "unknown-protocol"],
)
def test_bad_urls_are_one_line_errors(s3, tmp_path, args, message):
    args = [str(tmp_path / "o") if a == "OUT" else a for a in args]
    r = _run(*args, check=False)
    assert r.returncode != 0 and message in r.stderr, r.stderr[-2000:]
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not s3.exists("no-such-bucket-x")  # a run never creates a bucket


def test_the_readme_s3_examples_run(s3, tmp_path):
    """The README's s3:// commands, run as written against this server (test_readme.py skips
    them): the bucket they name holds samples/ under crawl/."""
    from tests.test_readme import shell_examples

    examples = [c for c in shell_examples() if "s3://" in c]
    assert len(examples) >= 2
    s3.mkdir("my-bucket")
    s3.put(str(SAMPLES) + "/", "my-bucket/crawl/", recursive=True)
    shutil.copytree(SAMPLES, tmp_path / "samples")
    import shlex

    for cmd in examples:
        argv = shlex.split(cmd)
        r = subprocess.run([sys.executable, "-m", "pipeline.cli", *argv[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"README example failed: {cmd}\n{r.stderr[-2000:]}"
        out = argv[argv.index("--out") + 1]
        s3.invalidate_cache()
        assert s3.exists(out.removeprefix("s3://") + "/manifest.json"), cmd
