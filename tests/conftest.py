"""Shared fixtures: paths to the repo's samples and to ../shared/data (absent on users' machines)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"{SHARED_DATA} not present (public evaluation sets live beside the repo in CI)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def samples_run(tmp_path_factory) -> Path:
    """One real pipeline run over samples/, shared by the end-to-end tests."""
    from pipeline.engine.run import run

    out = tmp_path_factory.mktemp("samples_run") / "out"
    run([SAMPLES], out)
    return out
