"""CI regression gate: a fast subset of benchmarks/eval_cleaning.py must stay above the floors
committed in benchmarks/floors.json (set a little below measured figures). Needs ../shared/data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
FLOORS = json.loads((ROOT / "benchmarks" / "floors.json").read_text(encoding="utf-8"))

pytestmark = pytest.mark.skipif(not (DATA / "scrapinghub-aeb").is_dir(), reason=f"evaluation data absent at {DATA}")


@pytest.fixture(scope="module")
def metrics():
    from benchmarks.eval_cleaning import gate_metrics

    return gate_metrics(DATA)


@pytest.mark.parametrize("name", sorted(FLOORS["min"]))
def test_metric_at_or_above_floor(metrics, name):
    assert metrics[name] >= FLOORS["min"][name], f"{name} = {metrics[name]:.4f} fell below floor {FLOORS['min'][name]}"


@pytest.mark.parametrize("name", sorted(FLOORS["max"]))
def test_metric_at_or_below_ceiling(metrics, name):
    assert metrics[name] <= FLOORS["max"][name], f"{name} = {metrics[name]:.4f} rose above ceiling {FLOORS['max'][name]}"


def test_eval_command_exits_2_without_data(tmp_path, capsys):
    from benchmarks.eval_cleaning import main

    assert main(["--data", str(tmp_path / "nowhere")]) == 2
    assert "not found" in capsys.readouterr().err
