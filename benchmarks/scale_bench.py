"""Bounded memory: run the whole pipeline on N and 10*N news documents and compare peak RSS.

    python benchmarks/scale_bench.py [--data ../shared/data] [--docs 5000] [--factor 10] [--workers 2]

Peak RSS is the largest sum of resident memory over the run's whole process tree (sampled
every 0.2 s from /proc), so pool workers are counted.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from news_corpus import load_news  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def build(data: Path, n: int, path: Path) -> None:
    """n documents; past the real corpus, variants with shuffled paragraphs and a new id."""
    news = data / "corpus-news-en"
    if not news.is_dir():
        print(f"error: {news} not found; pass --data DIR pointing at the shared data folder", file=sys.stderr)
        raise SystemExit(2)
    base = [{"id": i, "text": t, "date": d} for i, t, d in load_news(str(news))]
    rng = random.Random(0)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for i in range(n):
            d = dict(base[i % len(base)])
            if i >= len(base):
                paras = d["text"].split("\n\n")
                rng.shuffle(paras)
                d["text"] = "\n\n".join(paras) + f"\n\nEdition {i}: " + " ".join(rng.sample(d["text"].split(), min(30, len(d["text"].split()))))
            d["id"] = f"{d['id']}-{i}"
            out.write(json.dumps(d) + "\n")


def tree_rss(pid: int) -> int:
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pid and int(entry) != pid:  # pgid column
                continue
            with open(f"/proc/{entry}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_measured(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, CPU s of the whole process tree, peak RSS bytes of the tree) of one command."""
    t0 = time.perf_counter()
    before = os.times()
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.1)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed with exit code {proc.returncode}")
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return time.perf_counter() - t0, cpu, peak


def measure(inp: Path, out: Path, workers: int) -> tuple[float, float, int]:
    return run_measured([sys.executable, "-m", "pipeline.cli", "run", str(inp), "--out", str(out),
                         "--workers", str(workers), "-q", "--overwrite"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--factor", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.docs, args.docs * args.factor):
            inp = Path(tmp) / f"news-{n}.jsonl.gz"
            build(args.data, n, inp)
            wall, cpu, peak = measure(inp, Path(tmp) / f"out-{n}", args.workers)
            rows.append((n, inp.stat().st_size, wall, cpu, peak))
    print(f"{'docs':>9} {'input MB':>9} {'wall s':>8} {'CPU s':>8} {'docs/CPU s':>11} {'peak RSS MB':>12}")
    for n, size, wall, cpu, peak in rows:
        print(f"{n:>9} {size / 1e6:>9.1f} {wall:>8.1f} {cpu:>8.1f} {n / cpu:>11.0f} {peak / 1e6:>12.0f}")
    (n1, _, _, _, p1), (n2, _, _, _, p2) = rows
    print(f"\ndata x{n2 / n1:.0f} -> peak RSS x{p2 / p1:.2f}")


if __name__ == "__main__":
    main()
