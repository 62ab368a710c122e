"""Load real news text from ../shared/data/corpus-news-en (Reuters-21578 + Wikinews), as the
benchmarks need it: entities unescaped, Reuters trailer stripped, wrapped lines rejoined."""

from __future__ import annotations

import gzip
import html
import json
import re
import sys
from pathlib import Path
from typing import Iterator

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def require(data: Path, sub: str) -> Path:
    path = data / sub
    if not path.exists():
        print(f"error: {path} not found; pass --data DIR pointing at the shared data folder", file=sys.stderr)
        raise SystemExit(2)
    return path


def _rejoin(body: str) -> str:
    body = re.sub(r"\s*Reuter\s*&#3;\s*$", "", body.strip())
    body = html.unescape(body).replace("\x03", "")
    paragraphs = re.split(r"\n\s*\n|\n(?=\s{2,})", body)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def iter_news(data: Path, min_words: int = 50) -> Iterator[dict]:
    """Wikinews then Reuters documents with >= min_words words: {id, title, text, url, date}."""
    wn = require(data, "corpus-news-en/wikinews")
    for f in sorted(wn.glob("wiki_*.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                text = html.unescape(d.get("text") or "").strip()
                if len(text.split()) >= min_words:
                    yield {"id": f"wn{d['id']}", "title": d.get("title"), "text": text, "url": d.get("url"), "date": None}
    rt = require(data, "corpus-news-en/reuters21578")
    for f in sorted(rt.glob("*.json.gz")):
        with gzip.open(f, "rt", encoding="utf-8", errors="replace") as fh:
            for d in json.load(fh):
                text = _rejoin(d.get("body") or "")
                if len(text.split()) >= min_words:
                    newid = d.get("attrs", {}).get("newid")
                    yield {"id": f"rt{newid}", "title": d.get("title"), "text": text, "url": None, "date": d.get("date")}
