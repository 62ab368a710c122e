"""What the line stages remove from clean ground-truth articles (every removal is a false positive).

    PYTHONPATH=. python benchmarks/removed_lines.py [--data ../shared/data] [SIGNAL ...]

Runs boilerplate then spam on the 434 clean AEB/WCXB-article ground-truth texts used by the
injection sets and prints, per reason, how many lines went; with SIGNAL arguments (substrings
of the edit reason, e.g. `teaser_label byline`), also prints each matching removed line. Use it
for every new line rule: a rule that removes real lines here will remove them in the corpus.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import datasets, injection  # noqa: E402
from benchmarks.chain import chain_for  # noqa: E402
from benchmarks.eval_cleaning import DEFAULT_DATA  # noqa: E402
from pipeline.core.document import Document  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("signals", nargs="*")
    args = ap.parse_args(argv)
    aeb = [injection.clean_article(p["truth"]) for p in datasets.aeb_pages(args.data, None)]
    wc = [injection.clean_article(p["truth"]) for p in datasets.wcxb_pages(args.data) if p["type"] == "article"]
    chain = chain_for()
    counts: Counter = Counter()
    for i, text in enumerate(t for t in aeb + wc if len(t.split()) >= 50):
        doc = Document(id=str(i), text=text)
        for stage in (chain.boilerplate, chain.spam):
            out = stage.apply(doc)
            for e in out.edits:
                line = e.removed.strip()
                if not line:
                    continue
                head, _, detail = e.reason.partition(" | ")
                counts[f"{head} | {detail.split('+')[0]}"] += 1
                if any(s in e.reason for s in args.signals):
                    print(f"{line[:150]!r} <- {e.reason}")
            doc = out.doc
    for reason, n in counts.most_common():
        print(f"{n:5d} {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
