"""Shared fixtures: paths to the repo's samples and to ../shared/data (absent on users' machines),
and the CI strictness switch.

NEWSCLEAN_REQUIRE_ALL=1 (set by .ci/run) turns every skipped test into a failure: a test skips
only because something it needs is absent (the data in ../shared, Chromium, Ray, ...), and CI
must prove what it claims to run. Skip reasons say "X is absent" so the failure names it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
FIXTURES = ROOT / "tests" / "fixtures"
# The public evaluation sets beside the repository; NEWSCLEAN_DATA points elsewhere.
SHARED_DATA = Path(os.environ.get("NEWSCLEAN_DATA") or ROOT.parent / "shared" / "data")
REQUIRE_ALL = os.environ.get("NEWSCLEAN_REQUIRE_ALL", "") not in ("", "0")
# Runs take the compiled dedup kernels only for large batches; the suite's inputs are small, so
# make every batch take them (the NumPy fallback has its own tests): set before pipeline is
# imported, inherited by the runs the tests start.
os.environ.setdefault("PIPELINE_DEDUP_NUMBA_MIN_BYTES", "0")


def absent(what: str, hint: str = "") -> str:
    """The one wording of a skip reason: '<what> is absent (<hint>)'."""
    return f"{what} is absent" + (f" ({hint})" if hint else "")


def _strict(rep) -> None:
    if REQUIRE_ALL and rep.skipped and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = f"NEWSCLEAN_REQUIRE_ALL=1: skipping is a failure in CI: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _strict(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _strict(outcome.get_result())


def data_path(*parts: str) -> Path:
    """A folder of the public evaluation sets, or a skip naming it (a failure in CI)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(absent(str(path), "the public evaluation sets live in ../shared/data; NEWSCLEAN_DATA overrides"))
    return path


@pytest.fixture(autouse=True)
def _restore_logging():
    """Commands invoked in-process (CliRunner) set up the CLI's logging (a root handler, levels;
    --debug lowers `pipeline` to DEBUG): undo it after each test so tests stay independent."""
    import logging

    names = ("", "pipeline", "trafilatura")
    levels = {n: logging.getLogger(n).level for n in names}
    handlers = list(logging.getLogger().handlers)
    yield
    root = logging.getLogger()
    for h in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(h)
    for n, level in levels.items():
        logging.getLogger(n).setLevel(level)


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The one way tests reach ../shared/data."""
    return data_path()


@pytest.fixture(scope="session")
def samples_run(tmp_path_factory) -> Path:
    """One real pipeline run over samples/, shared by the end-to-end tests."""
    from pipeline.engine.run import run

    out = tmp_path_factory.mktemp("samples_run") / "out"
    run([SAMPLES], out)
    return out
