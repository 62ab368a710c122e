"""The Ray engine's failure modes through the CLI: one line naming the problem (RayEngineError),
no traceback, no work done. Each in a subprocess: a failed ray.init must not leave state in the
test process, and the missing extra is simulated with Ray made unimportable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SAMPLES, absent

# Ray retries an unreachable GCS for about a minute by default; these make it give up in seconds.
FAST_FAIL = {
    "RAY_gcs_server_port_wait_time_s": "1",
    "RAY_py_gcs_connect_timeout_s": "3",
    "RAY_gcs_rpc_server_connect_timeout_s": "2",
    "RAY_gcs_rpc_server_reconnect_timeout_s": "3",
    "RAY_USAGE_STATS_ENABLED": "0",
}


def _pipeline(args: list[str], *, python_prelude: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    code = f"{python_prelude}\nimport sys\nfrom pipeline.cli import main\nsys.argv = ['pipeline', *sys.argv[1:]]\nmain()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=240)


def test_missing_ray_extra_is_one_line_error(tmp_path):
    r = _pipeline(["run", str(SAMPLES), "--out", str(tmp_path / "o"), "--engine", "ray"],
                  python_prelude="import sys; sys.modules['ray'] = None  # as if the extra were not installed")
    assert r.returncode == 1, r.stderr[-2000:]
    assert r.stderr.strip() == "Error: the Ray engine needs the ray extra: pip install 'newsclean-pipeline[ray]'"
    assert not (tmp_path / "o").exists(), "fails before any work"


def test_missing_ray_extra_through_the_api(tmp_path):
    r = subprocess.run([sys.executable, "-c", (
        "import sys; sys.modules['ray'] = None\n"
        "from pipeline import run\n"
        "from pipeline.engine.ray.connect import RayEngineError\n"
        f"try:\n    run([{str(SAMPLES)!r}], {str(tmp_path / 'o')!r}, engine='ray')\n"
        "except RayEngineError as e:\n    print('RayEngineError:', e)\n")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.stdout.startswith("RayEngineError: the Ray engine needs the ray extra"), r.stdout + r.stderr[-2000:]


def test_unreachable_ray_address_is_one_line_error(tmp_path):
    pytest.importorskip("ray", reason=absent("Ray", "the ray extra: pip install -e '.[test,ray]'"))
    r = _pipeline(["run", str(SAMPLES), "--out", str(tmp_path / "o"), "--engine", "ray", "--address", "127.0.0.1:9", "-q"],
                  env=FAST_FAIL)
    assert r.returncode == 1, r.stderr[-2000:]
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: cannot connect to Ray at 127.0.0.1:9: "), r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_address_needs_the_ray_engine(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import main

    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(tmp_path / "o"), "--address", "127.0.0.1:9"])
    assert r.exit_code == 2 and "--address needs --engine ray" in r.output
