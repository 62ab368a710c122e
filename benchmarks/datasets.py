"""Loaders for the evaluation sets under ../shared/data (read-only; never copied wholesale).

Every loader returns plain dicts, deterministic order, optionally the first `limit` items.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path


def aeb_pages(data: Path, limit: int | None = None) -> list[dict]:
    root = data / "scrapinghub-aeb"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for key in sorted(truth)[:limit]:
        out.append({"set": "aeb", "id": key, "path": str(root / "html" / f"{key}.html.gz"),
                    "url": truth[key].get("url"), "truth": truth[key]["articleBody"]})
    return out


def wcxb_pages(data: Path, limit: int | None = None) -> list[dict]:
    root = data / "wcxb" / "test"
    out = []
    for gt_path in sorted((root / "ground-truth").glob("*.json"))[:limit]:
        g = json.loads(gt_path.read_text(encoding="utf-8"))
        gt = g["ground_truth"]
        out.append({
            "set": "wcxb", "id": gt_path.stem, "path": str(root / "html" / f"{gt_path.stem}.html.gz"),
            "url": g.get("url"), "truth": gt.get("main_content") or "",
            "type": g["_internal"]["page_type"]["primary"],
            "with": gt.get("with") or [], "without": gt.get("without") or [],
        })
    return out


def trafilatura_pages(data: Path, limit: int | None = None) -> list[dict]:
    root = data / "trafilatura-eval"
    ev = json.loads((root / "evaldata-subset.json").read_text(encoding="utf-8"))
    out = []
    for url, item in sorted(ev.items(), key=lambda kv: kv[1]["file"])[:limit]:
        out.append({"set": "traf", "id": item["file"], "path": str(root / item["file"]), "url": url,
                    "with": item.get("with") or [], "without": item.get("without") or []})
    return out


def read_html(path: str) -> bytes:
    with gzip.open(path, "rb") as fh:
        return fh.read()


def ftfy_cases(data: Path) -> list[dict]:
    root = data / "ftfy-cases"
    out = []
    for name in ("in-the-wild", "synthetic", "negative", "language-names", "known-failures"):
        for case in json.loads((root / f"{name}.json").read_text(encoding="utf-8")):
            out.append({**case, "file": name})
    return out
