"""Cost of the line stages (boilerplate + spam) on plain-text news, beside the quality table.

    python benchmarks/line_cost.py [--data ../shared/data] [--docs 20000]

The news benchmark of the dedup bench (Wikinews and Reuters articles, `news_corpus.build`) goes
through `Boilerplate.apply_batch` and `Spam.apply_batch` in shards of the engine's default size,
in this process, after one warm-up shard (model load and imports are start-up, measured by
`chain_bench.py` with the whole run). The Python `lower()` + `\\w+` pass over the same texts is
the reference in the same run. Target (issue 17): >= 5,000 documents per CPU second.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
TARGET_DOCS_PER_CPU_S = 5000
# The tokenise reference is chain_bench's pass, written again here on purpose: importing
# benchmarks.chain_bench puts benchmarks/ on sys.path, where benchmarks/datasets.py then shadows
# Hugging Face `datasets` for everything imported later (the test suite imports this module).
_WORD = re.compile(r"\w+")


def news_texts(data: Path, limit: int | None) -> list[str]:
    from benchmarks.news_corpus import build

    docs, _planted = build(str(data / "corpus-news-en"))
    return [text for _id, text, *_ in docs[:limit] if text]


def measure(texts: list[str]) -> dict[str, float]:
    """CPU seconds of each line stage and of the tokenise pass over `texts`."""
    from pipeline.config import RunConfig
    from pipeline.core.document import Document
    from pipeline.stages.boilerplate import Boilerplate
    from pipeline.stages.spam import Spam

    shard = RunConfig().shard_size
    docs = [Document(id=str(i), source="news", text=t) for i, t in enumerate(texts)]
    stages = {"boilerplate": Boilerplate(), "spam": Spam()}
    for stage in stages.values():
        stage.apply_batch(docs[:shard])  # warm-up: model arrays, regex compilation
    cpu = {name: 0.0 for name in stages}
    for a in range(0, len(docs), shard):
        batch = docs[a:a + shard]
        for name, stage in stages.items():
            t0 = time.process_time()
            outcomes = stage.apply_batch(batch)
            cpu[name] += time.process_time() - t0
            batch = [o.doc for o in outcomes if o.doc is not None]
    t0 = time.process_time()
    for t in texts:
        _WORD.findall(t.lower())
    cpu["tokenise"] = time.process_time() - t0
    return cpu


def print_table(n: int, cpu: dict[str, float]) -> None:
    both = cpu["boilerplate"] + cpu["spam"]
    print(f"\nline stages on {n:,} plain-text news documents (CPU s, docs per CPU s)")
    for name in ("tokenise", "boilerplate", "spam"):
        print(f"  {name:<22}{cpu[name]:8.2f} s {n / max(cpu[name], 1e-9):10,.0f} docs/s")
    ratio = both / max(cpu["tokenise"], 1e-9)
    print(f"  {'boilerplate + spam':<22}{both:8.2f} s {n / max(both, 1e-9):10,.0f} docs/s"
          f"   ({ratio:.1f}x the tokenise pass; target >= {TARGET_DOCS_PER_CPU_S:,} docs/s)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--docs", type=int, default=20000, help="first N news documents")
    args = ap.parse_args(argv)
    if not (args.data / "corpus-news-en").is_dir():
        print(f"error: {args.data} lacks corpus-news-en/; pass --data DIR", file=sys.stderr)
        return 2
    texts = news_texts(args.data, args.docs)
    print_table(len(texts), measure(texts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
