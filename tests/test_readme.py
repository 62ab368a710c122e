"""Every example in README.md runs: the shell commands of its code blocks (through the real
`pipeline` entry point, in a scratch copy of the repo's samples) and its Python blocks.

Examples are extracted from the README, so a new or changed example is tested without touching
this file; the few that cannot run here are listed in SKIP with the reason."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SKIP = {
    "make demo": "runs the `pipeline run/stats/report` commands tested here, after creating .venv",
    "make test": "is this test suite",
    "10.0.0.5:6379": "needs a Ray cluster at that address (tests/test_ray.py runs a real one)",
    "s3://": "runs in tests/test_s3.py against a real S3-compatible server (moto) started there",
}


def blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", README, flags=re.S | re.M)


def shell_examples() -> list[str]:
    cmds = []
    for block in blocks(""):
        for line in block.splitlines():
            cmd = re.split(r"\s#\s", line, maxsplit=1)[0].strip()
            if cmd.startswith(("pipeline ", "make ")):
                cmds.append(cmd)
    return cmds


def skipped(text: str) -> str | None:
    return next((why for key, why in SKIP.items() if key in text), None)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "samples", d / "samples")
    (d / "outputs").mkdir()
    return d


def _pipeline() -> list[str]:
    exe = Path(sys.executable).with_name("pipeline")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from pipeline.cli import main; main()"]


def test_the_readme_has_examples():
    assert len(shell_examples()) >= 10 and len(blocks("python")) >= 2


def test_shell_examples_run_in_order(workdir):
    ran = []
    env = {**os.environ, "NO_COLOR": "1"}
    for cmd in shell_examples():
        if skipped(cmd):
            continue
        argv = _pipeline() + shlex.split(cmd)[1:]
        r = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=600, env=env)
        assert r.returncode == 0, f"README example failed: {cmd}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
        ran.append(cmd)
    assert any(c.startswith("pipeline report") for c in ran) and (workdir / "outputs" / "samples" / "report.html").exists()
    assert not (workdir / "outputs" / "plan").exists()  # the --dry-run example wrote nothing


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_examples_run(workdir, index, monkeypatch):
    monkeypatch.chdir(workdir)
    if not (workdir / "outputs" / "samples" / "corpus").exists():
        from pipeline.engine.run import run

        run([workdir / "samples"], workdir / "outputs" / "samples", overwrite=True)
    namespace: dict = {}
    for line in blocks("python")[index].splitlines():
        if skipped(line):
            continue
        code = line.split("  #", 1)[0].rstrip()
        if code.strip():
            exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own examples
