"""URLs other than s3://: inputs over http(s):// from a real HTTP server on localhost (started and
stopped here), and a whole run into memory:// (fsspec's in-process filesystem)."""

from __future__ import annotations

import functools
import http.server
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import FIXTURES, SAMPLES


@pytest.fixture(scope="module")
def http_root():
    """FIXTURES served over HTTP on 127.0.0.1:<free port>."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(FIXTURES))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_http_input_is_read_like_the_local_file(http_root, tmp_path):
    from pipeline.engine.run import run

    remote = run([f"{http_root}/wikinews-300.jsonl.gz"], tmp_path / "remote")
    local = run([FIXTURES / "wikinews-300.jsonl.gz"], tmp_path / "local")
    assert remote.manifest["counts"] == local.manifest["counts"] and remote.manifest["counts"]["input_documents"] == 300
    a, b = pq.read_table(tmp_path / "remote" / "corpus"), pq.read_table(tmp_path / "local" / "corpus")
    assert a.column("id").to_pylist() == b.column("id").to_pylist() and a.column("text").equals(b.column("text"))
    assert set(a.column("source").to_pylist()) == {f"{http_root}/wikinews-300.jsonl.gz"}


def test_http_is_refused_as_out(http_root, tmp_path):
    from pipeline.engine.run import run
    from pipeline.errors import OutputError

    with pytest.raises(OutputError, match="read-only"):
        run([SAMPLES], f"{http_root}/out")


def test_a_run_into_memory_gives_the_local_run_bytes(tmp_path):
    """memory:// as OUT: every Parquet file is byte-identical to a local run's (same inputs,
    so the same `source` values), and the lock object is gone after the run."""
    import fsspec

    from pipeline.engine.run import run

    fs = fsspec.filesystem("memory")
    run([SAMPLES], "memory://newsclean-test/run")
    run([SAMPLES], tmp_path / "local")
    remote = {k.split("/newsclean-test/run/", 1)[1]: fs.cat_file(k) for k in fs.find("/newsclean-test/run") if k.endswith(".parquet")}
    local = {p.relative_to(tmp_path / "local").as_posix(): p.read_bytes() for p in (tmp_path / "local").rglob("*.parquet")}
    assert remote == local and len(local) >= 8  # corpus, index, rejected, duplicates, the non-empty edits and inputs
    assert pq.read_table(pa.BufferReader(remote["corpus/part-00000.parquet"])).num_rows >= 5
    assert not fs.exists("/newsclean-test/run/.pipeline.lock") and not fs.exists("/newsclean-test/run/_work")
    fs.rm("/newsclean-test", recursive=True)
