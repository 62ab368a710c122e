"""Compare the Parquet outputs of two pipeline runs, table by table, by the content of sorted rows.

    python benchmarks/compare_runs.py OUT_A OUT_B                      # two finished runs
    python benchmarks/compare_runs.py --revs 8c26215 HEAD samples/     # run both revisions first
    python benchmarks/compare_runs.py --revs 8c26215 HEAD samples/ --engine ray

With --revs each revision is exported with `git archive` into a scratch folder and its
`pipeline run` is called with that folder first on PYTHONPATH, so neither checkout is touched.
Prints one line per table (`same` or what differs) and exits 1 when any table differs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
# Timings and engine details legitimately differ between runs; everything else must not.
RUN_CODE = "import sys; sys.argv[0] = 'pipeline'; from pipeline.cli import main; main()"


def tables(out: Path) -> dict[str, list[Path]]:
    """Every Parquet table of a run, keyed by its path relative to OUT (folders of parts are
    one table: corpus/ and each stage's edits-*/input-* files)."""
    found: dict[str, list[Path]] = {}
    for p in sorted(out.rglob("*.parquet")):
        rel = p.relative_to(out)
        if rel.parts[0] == "_work":
            continue
        key = str(rel.parent / p.name.split("-")[0]) if "-" in p.name else str(rel)
        found.setdefault(key, []).append(p)
    return found


def sorted_rows(paths: list[Path]) -> tuple[pa.Schema, list[tuple]]:
    t = pa.concat_tables([pq.read_table(p) for p in paths])
    rows = [repr(tuple(r.values())) for r in t.to_pylist()]  # repr: list columns are not hashable
    return t.schema, sorted(rows)


def compare(a: Path, b: Path) -> list[str]:
    """One line per table; lines of differing tables start with 'DIFF'."""
    ta, tb = tables(a), tables(b)
    lines = []
    for key in sorted(set(ta) | set(tb)):
        if key not in ta or key not in tb:
            lines.append(f"DIFF {key}: only in {a if key in ta else b}")
            continue
        (sa, ra), (sb, rb) = sorted_rows(ta[key]), sorted_rows(tb[key])
        if not sa.equals(sb):
            lines.append(f"DIFF {key}: schemas differ")
        elif ra != rb:
            only_a = len(set(ra) - set(rb))
            only_b = len(set(rb) - set(ra))
            lines.append(f"DIFF {key}: {len(ra)} vs {len(rb)} rows, {only_a} only in A, {only_b} only in B")
        else:
            lines.append(f"same {key}: {len(ra)} rows")
    return lines


def run_revision(rev: str, inputs: list[str], out: Path, extra: list[str], scratch: Path) -> None:
    """`pipeline run` of one git revision, from an exported copy of its tree."""
    src = scratch / f"src-{rev}"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "pipeline"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    env = {**os.environ, "PYTHONPATH": str(src), "PIPELINE_RAY_SHIP_CODE": os.environ.get("PIPELINE_RAY_SHIP_CODE", "1")}
    # cwd = the export, so neither '' on sys.path nor the editable install picks up this checkout.
    cmd = [sys.executable, "-c", RUN_CODE, "run", *(str(Path(i).absolute()) for i in inputs), "--out", str(out.absolute()), "--quiet", *extra]
    subprocess.run(cmd, check=True, env=env, cwd=src)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", help="OUT_A OUT_B, or with --revs the inputs to run")
    ap.add_argument("--revs", nargs=2, metavar=("REV_A", "REV_B"), help="run `pipeline run` of these two revisions first")
    ap.add_argument("--engine", default="local", choices=["local", "ray"])
    ap.add_argument("--config", type=Path, help="config file passed to both runs")
    ap.add_argument("--keep", type=Path, help="write the two runs here (default: a temporary folder)")
    args = ap.parse_args(argv)
    if args.revs:
        extra = ["--engine", args.engine] + (["--config", str(args.config.absolute())] if args.config else [])
        with tempfile.TemporaryDirectory(prefix="compare-runs-") as tmp:
            base = args.keep or Path(tmp)
            outs = [base / f"out-{i}-{rev}" for i, rev in enumerate(args.revs)]
            for rev, out in zip(args.revs, outs):
                run_revision(rev, args.paths, out, extra, Path(tmp) / str(outs.index(out)))
            lines = compare(*outs)
    else:
        if len(args.paths) != 2:
            ap.error("give two OUT folders, or --revs REV_A REV_B INPUTS...")
        lines = compare(Path(args.paths[0]), Path(args.paths[1]))
    print("\n".join(lines))
    differ = [ln for ln in lines if ln.startswith("DIFF")]
    print(f"{len(lines) - len(differ)} tables identical, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
