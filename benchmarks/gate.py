"""The cleaning gate outside the test suite: measure the gate's metrics (benchmarks.eval_cleaning.
gate_metrics) and compare them with benchmarks/floors.json, timed metrics (cpu_ratio) included.

    python benchmarks/gate.py [--data ../shared/data]             # check every floor; exit 1 below one
    python benchmarks/gate.py --measure [--data ../shared/data]   # print the metrics as JSON (to re-set floors)

tests/test_eval_gate.py checks "min" and "max" only: a timed assert in a test fails on a busy
machine for reasons unrelated to the change under test.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLOORS_PATH = ROOT / "benchmarks" / "floors.json"


def check(metrics: dict, floors: dict) -> list[str]:
    """Every floor a metric misses, as one line each."""
    bad = []
    for name, floor in floors.get("min", {}).items():
        if metrics[name] < floor:
            bad.append(f"{name} = {metrics[name]:.4f} < floor {floor}")
    for section in ("max", "timed_max"):
        for name, ceiling in floors.get(section, {}).items():
            if metrics[name] > ceiling:
                bad.append(f"{name} = {metrics[name]:.4f} > ceiling {ceiling}")
    return bad


def main(argv: list[str] | None = None) -> int:
    from benchmarks.eval_cleaning import gate_metrics

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--measure", action="store_true", help="print the metrics as JSON, check nothing")
    args = ap.parse_args(argv)
    if not (args.data / "scrapinghub-aeb").is_dir():
        print(f"{args.data}: evaluation data not found", file=sys.stderr)
        return 2
    metrics = gate_metrics(args.data)
    if args.measure:
        print(json.dumps(metrics, indent=2))
        return 0
    bad = check(metrics, json.loads(FLOORS_PATH.read_text(encoding="utf-8")))
    for name, value in sorted(metrics.items()):
        print(f"{name:<28}{value:.4f}")
    for line in bad:
        print(f"BELOW GATE: {line}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
