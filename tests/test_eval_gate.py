"""CI regression gate: a fast subset of benchmarks/eval_cleaning.py must stay above the floors
committed in benchmarks/floors.json (set a little below measured figures). Needs ../shared/data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import data_path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = json.loads((ROOT / "benchmarks" / "floors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def metrics(shared_data):
    from benchmarks.eval_cleaning import gate_metrics

    data_path("scrapinghub-aeb")
    return gate_metrics(shared_data)


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


def test_every_gate_metric_has_a_floor(metrics):
    """A metric the gate computes but nobody bounds (aeb_recall was one) is a regression nobody sees."""
    bounded = set(FLOORS["min"]) | set(FLOORS["max"]) | set(FLOORS["timed_max"])
    assert set(metrics) == bounded
    assert not set(FLOORS["timed_max"]) & (set(FLOORS["min"]) | set(FLOORS["max"]))


def test_gate_command_checks_timed_metrics_too():
    from benchmarks.gate import check

    floors = {"min": {"a": 0.5}, "max": {"b": 0.1}, "timed_max": {"cpu_ratio": 1.3}}
    assert check({"a": 0.5, "b": 0.1, "cpu_ratio": 1.3}, floors) == []
    assert check({"a": 0.49, "b": 0.11, "cpu_ratio": 1.31}, floors) == [
        "a = 0.4900 < floor 0.5", "b = 0.1100 > ceiling 0.1", "cpu_ratio = 1.3100 > ceiling 1.3"]
