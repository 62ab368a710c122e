"""Real pages as labelled lines: the training and evaluation material of the content model.

    python benchmarks/content_data.py [--data ../shared/data] [--out outputs/content] [--workers 2]

Every HTML page of the public sets (WCXB dev and test, Scrapinghub AEB, trafilatura-eval) is
rendered twice:
- `page`: whole-page text, every visible block on its own line, as a crawl's WET record holds it
  (resiliparse's `extract_plain_text` with main-content detection off: a well-kept renderer, not
  ours);
- `traf`: trafilatura's extraction with the pipeline's own options, the text the line stages see
  after `extract`.
Each line is labelled by the page's ground truth: the share of its words covered by a word
4-gram that also occurs in the ground truth. 4-grams span line breaks, so a short heading or a
"15" between two matched paragraphs is covered, while the same word standing alone in a menu is
not ("Back" or "15" occur in a ground truth by chance). trafilatura-eval has no full ground
truth, only must-keep and must-drop snippets: its lines are labelled 1 / 0 where they hold one,
and left unlabelled (-1) otherwise.

The result is one Parquet file per set under OUT (git-ignored; rebuilt by this command).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import datasets  # noqa: E402
from pipeline.stages import page_structure  # noqa: E402
from pipeline.stages.page_structure import PageText, shared_ngram_share  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "outputs" / "content"
SHINGLE = 4

SCHEMA = pa.schema([
    ("set", pa.string()), ("page", pa.string()), ("type", pa.string()), ("render", pa.string()),
    ("line", pa.int32()), ("text", pa.string()), ("label", pa.float32()),
    # `page` lines only: the share of the line inside each kind of element (page_structure.KINDS);
    # null where the marked render's lines differ from the plain render's.
    ("structure", pa.list_(pa.float32())),
])


def render_page(html: str) -> str:
    """Whole-page text: every visible block element on its own line."""
    from resiliparse.extract.html2text import extract_plain_text

    text = extract_plain_text(html, preserve_formatting=True, main_content=False, list_bullets=True,
                              alt_texts=False, links=False, form_fields=False, noscript=False)
    return "\n".join(ln.strip() for ln in text.splitlines() if ln.strip())


def render_trafilatura(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_tables=True, include_comments=False, deduplicate=False) or ""


def coverage_labels(lines: list[str], truth: str) -> list[float]:
    """Share of each line's words inside a word 4-gram of the page that the ground truth also has."""
    return shared_ngram_share(lines, truth, SHINGLE)


def snippet_labels(lines: list[str], keep: list[str], drop: list[str]) -> list[float]:
    """1 for a line holding a must-keep snippet, 0 for one holding a must-drop snippet, else -1."""
    out = []
    for ln in lines:
        low = ln.lower()
        if any(s.lower() in low for s in keep if s):
            out.append(1.0)
        elif any(s.lower() in low for s in drop if s):
            out.append(0.0)
        else:
            out.append(-1.0)
    return out


def _structure(html: str) -> PageText:
    """The page model's render: the same lines as `render_page` (kept as the plain-text training
    material) with each line's element kinds."""
    try:
        return page_structure.render(html)
    except Exception:  # noqa: BLE001 - no structure for a page resiliparse cannot parse
        return PageText([], np.zeros((0, len(page_structure.KINDS)), np.float32))


def page_rows(page: dict) -> list[dict]:
    raw = datasets.read_html(page["path"]) if page["path"].endswith(".gz") else Path(page["path"]).read_bytes()
    html = raw.decode("utf-8", errors="replace")
    rows = []
    structure = _structure(html)
    for render, fn in (("page", render_page), ("traf", render_trafilatura)):
        try:
            lines = [ln for ln in fn(html).splitlines() if ln.strip()]
        except Exception:  # noqa: BLE001 - a page the renderer cannot parse is left out, counted below
            lines = []
        if "truth" in page:
            labels = coverage_labels(lines, page["truth"])
        else:
            labels = snippet_labels(lines, page.get("with", []), page.get("without", []))
        marks = structure.structure.tolist() if render == "page" and structure.lines == lines else None
        for i, (ln, lab) in enumerate(zip(lines, labels)):
            rows.append({"set": page["set"], "page": page["id"], "type": page.get("type", ""), "render": render,
                         "line": i, "text": ln, "label": lab, "structure": None if marks is None else marks[i]})
    return rows


def wcxb_split(data: Path, split: str) -> list[dict]:
    root = data / "wcxb" / split
    out = []
    for gt_path in sorted((root / "ground-truth").glob("*.json")):
        g = json.loads(gt_path.read_text(encoding="utf-8"))
        gt = g["ground_truth"]
        out.append({"set": f"wcxb-{split}", "id": gt_path.stem, "path": str(root / "html" / f"{gt_path.stem}.html.gz"),
                    "truth": gt.get("main_content") or "", "type": g["_internal"]["page_type"]["primary"]})
    return out


def all_sets(data: Path) -> dict[str, list[dict]]:
    traf = [{k: v for k, v in p.items() if k != "truth"} for p in datasets.trafilatura_pages(data)]
    return {"wcxb-dev": wcxb_split(data, "dev"), "wcxb-test": wcxb_split(data, "test"),
            "aeb": [{**p, "type": "article"} for p in datasets.aeb_pages(data)], "traf": traf}


def build(data: Path, out: Path, workers: int) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, pages in all_sets(data).items():
        with ProcessPoolExecutor(workers) as ex:
            rows = [r for page in ex.map(page_rows, pages, chunksize=8) for r in page]
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), out / f"{name}.parquet")
        counts[name] = len(rows)
        print(f"{name}: {len(pages)} pages, {len(rows)} lines", flush=True)
    return counts


def load(out: Path, name: str) -> pa.Table:
    path = out / f"{name}.parquet"
    if not path.exists():
        raise SystemExit(f"{path} not found: build it with `python benchmarks/content_data.py`")
    return pq.read_table(path)


def grouped(out: Path, name: str) -> dict[tuple[str, str], list[dict]]:
    """The rows of one set by (page, render), each group in line order, the groups sorted."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in load(out, name).to_pylist():
        groups[(r["page"], r["render"])].append(r)
    return {key: sorted(rows, key=lambda r: r["line"]) for key, rows in sorted(groups.items())}


def dev_context(data: Path) -> tuple[dict, dict]:
    """WCXB dev's page metadata (domain, for grouped folds) and ground truths, by page id."""
    meta = json.loads((data / "wcxb" / "metadata.json").read_text())["files"]
    return meta, {p["id"]: p["truth"] for p in wcxb_split(data, "dev")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    if not (args.data / "wcxb").is_dir():
        print(f"evaluation data not found at {args.data} (expected wcxb/, scrapinghub-aeb/, trafilatura-eval/); "
              "pass --data", file=sys.stderr)
        return 2
    build(args.data, args.out, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
