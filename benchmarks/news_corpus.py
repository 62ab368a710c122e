"""Build the planted near-duplicate benchmark from corpus-news-en (see its PROVENANCE.md).

Reuters-21578 (JSON arrays) + Wikinews (WikiExtractor JSON lines), gzip: entities unescaped,
Reuters trailer ("Reuter" + \\x03) stripped, hard-wrapped lines rejoined into paragraphs, docs
with >= 50 words kept. Then real copies of random documents with realistic edits are planted
(new headline, dropped or added paragraph, word substitutions, added footer); the true Jaccard
of every planted pair is computed with plain Python sets of word 5-gram strings, independently
of pipeline.dedup's hashing.
"""

from __future__ import annotations

import glob
import gzip
import html
import json
import os
import random
import re
import unicodedata
from typing import Callable

WORD = re.compile(r"\w+")
_TRAILER = re.compile(r"\s*\bReuter\b\s*\x03?\s*$")

FOOTERS = [
    "Copyright {y} {o}. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
    "Follow {o} on Twitter and Facebook for the latest news. Sign up for our daily newsletter.",
    "Reporting by {o} staff; editing by the {o} news desk. Contact us with corrections.",
    "Read more stories like this on {o}. Advertisement.",
]
OUTLETS = ["Daily Ledger", "Metro Wire", "The Courier", "Global Post", "City Herald", "NewsNow"]


def words(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFKC", text).lower())


def shingle_set(text: str, k: int = 5) -> set[str]:
    w = words(text)
    if len(w) <= k:
        return {" ".join(w)} if w else set()
    return {" ".join(w[i : i + k]) for i in range(len(w) - k + 1)}


def true_jaccard(a: str, b: str, k: int = 5) -> float:
    x, y = shingle_set(a, k), shingle_set(b, k)
    u = len(x | y)
    return len(x & y) / u if u else 1.0


def _rejoin(body: str) -> str:
    paras, cur = [], []
    for line in body.split("\n"):
        if not line.strip() or line.startswith((" ", "\t")):
            if cur:
                paras.append(" ".join(cur))
            cur = [line.strip()] if line.strip() else []
        else:
            cur.append(line.strip())
    if cur:
        paras.append(" ".join(cur))
    return "\n\n".join(p for p in paras if p)


def load_news(data: str) -> list[tuple[str, str, str | None]]:
    """[(id, text, date)] of cleaned documents with >= 50 words, in a fixed order."""
    docs: list[tuple[str, str, str | None]] = []
    for path in sorted(glob.glob(os.path.join(data, "reuters21578", "*.json.gz"))):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            for d in json.load(f):
                body = html.unescape(d.get("body") or "")
                body = _TRAILER.sub("", body.replace("\x03", "\x03")).replace("\x03", "")
                body = _rejoin(body)
                title = html.unescape(d.get("title") or "").strip()
                text = f"{title}\n\n{body}" if title else body
                if len(WORD.findall(text)) >= 50:
                    docs.append((f"reuters-{d['attrs']['newid']}", text, d.get("date")))
    for path in sorted(glob.glob(os.path.join(data, "wikinews", "wiki_*.gz"))):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            for line in f:
                d = json.loads(line)
                body = html.unescape(d.get("text") or "").strip()
                title = html.unescape(d.get("title") or "").strip()
                text = f"{title}\n\n{body}" if title else body
                if len(WORD.findall(body)) >= 50:
                    docs.append((f"wikinews-{d['id']}", text, None))
    return docs


def substitute_words(paras: list[str], rng: random.Random, vocab: list[str], rate: float) -> list[str]:
    """Each word replaced by a random vocabulary word with probability `rate`."""
    out = []
    for p in paras:
        toks = p.split(" ")
        for i in range(len(toks)):
            if rng.random() < rate:
                toks[i] = rng.choice(vocab)
        out.append(" ".join(toks))
    return out


def clustered(pairs) -> Callable[[str], str]:
    """`find` of the union of the reported (removed, kept) pairs: two documents are in one
    cluster (one story left in the corpus) when their roots are equal."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return find


def mutate(text: str, rng: random.Random, pool: list[str], vocab: list[str], strength: float) -> tuple[str, list[str]]:
    """A realistic edited copy; `strength` in [0, 1] scales how much is changed."""
    paras = [p for p in text.split("\n\n") if p.strip()]
    edits = []
    if rng.random() < 0.5:  # new headline
        other = rng.choice(pool).split("\n\n", 1)[0]
        paras[0] = other
        edits.append("headline")
    if len(paras) > 3 and rng.random() < 0.35 * strength + 0.1:
        del paras[rng.randrange(1, len(paras))]
        edits.append("drop_paragraph")
    if rng.random() < 0.35 * strength + 0.1:
        src = rng.choice(pool).split("\n\n")
        add = src[min(1, len(src) - 1)]
        paras.insert(rng.randrange(1, len(paras) + 1), " ".join(add.split()[:60]))
        edits.append("add_paragraph")
    if rng.random() < 0.8:
        paras = substitute_words(paras, rng, vocab, 0.03 * strength * rng.random() + 0.002)
        edits.append("substitutions")
    if rng.random() < 0.5:
        paras.append(rng.choice(FOOTERS).format(y=rng.randint(2001, 2024), o=rng.choice(OUTLETS)))
        edits.append("footer")
    return "\n\n".join(paras), edits


def build(data: str, n_copies: int = 3000, seed: int = 0, limit: int | None = None) -> tuple[list[tuple[str, str, str | None]], list[dict]]:
    """(docs, planted) where planted = [{"copy", "source", "jaccard", "edits"}]; `limit` keeps
    a random subset of the originals (for quick tests)."""
    docs = load_news(data)
    if limit is not None and limit < len(docs):
        docs = random.Random(seed + 1).sample(docs, limit)
    rng = random.Random(seed)
    texts = [t for _, t, _ in docs]
    vocab = sorted({w for t in texts[:2000] for w in t.split() if w.isalpha() and len(w) > 3})
    planted = []
    sources = rng.sample(range(len(docs)), n_copies)
    for j, si in enumerate(sources):
        sid, stext, sdate = docs[si]
        copy, edits = mutate(stext, rng, texts, vocab, rng.random())
        cid = f"copy-{j:05d}"
        docs.append((cid, copy, sdate))
        planted.append({"copy": cid, "source": sid, "jaccard": true_jaccard(stext, copy), "edits": edits})
    # a fixed shuffle so copies are not all at the end (first_seen would be trivial otherwise)
    rng.shuffle(docs)
    return docs, planted
