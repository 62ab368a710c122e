"""Multi-copy near-duplicate set (issue 11): syndicated news, where one source article has 2-4
copies, each edited independently of the others (new headline, dropped or added paragraph,
footer, word substitutions, swapped words, reordered paragraphs).

Ground truth is every pair inside a group (source-copy and copy-copy) with its true word-5-gram
Jaccard (plain Python sets of strings, `news_corpus.true_jaccard`, independent of pipeline.dedup).
Scoring, as for the planted set: a pair is caught when both documents end up in one cluster
(union of the reported (removed, kept) pairs), i.e. one story leaves one document in the corpus;
precision = share of reported (removed, kept) pairs with true Jaccard >= the threshold.
"""

from __future__ import annotations

import random
from itertools import combinations

from news_corpus import FOOTERS, OUTLETS, clustered, load_news, substitute_words, true_jaccard

BANDS = {">=0.9": (0.9, 1.01), "0.85-0.9": (0.85, 0.9), "0.8-0.85": (0.8, 0.85), "0.7-0.8": (0.7, 0.8), "0.5-0.7": (0.5, 0.7)}


def edit_copy(text: str, rng: random.Random, pool: list[str], vocab: list[str], strength: float) -> tuple[str, list[str]]:
    """One independently edited copy; `strength` in [0, 1] scales how much changes."""
    paras = [p for p in text.split("\n\n") if p.strip()]
    edits = []
    if rng.random() < 0.5:
        paras[0] = rng.choice(pool).split("\n\n", 1)[0]
        edits.append("headline")
    if len(paras) > 3 and rng.random() < 0.3 * strength + 0.1:
        del paras[rng.randrange(1, len(paras))]
        edits.append("drop_paragraph")
    if rng.random() < 0.3 * strength + 0.1:
        src = rng.choice(pool).split("\n\n")
        paras.insert(rng.randrange(1, len(paras) + 1), " ".join(src[min(1, len(src) - 1)].split()[:50]))
        edits.append("add_paragraph")
    if len(paras) > 3 and rng.random() < 0.3:
        i, j = rng.sample(range(1, len(paras)), 2)
        paras[i], paras[j] = paras[j], paras[i]
        edits.append("reorder_paragraphs")
    if rng.random() < 0.8:
        paras = substitute_words(paras, rng, vocab, 0.02 * strength * rng.random() + 0.002)
        edits.append("substitutions")
    if rng.random() < 0.4:
        out = []
        for p in paras:
            toks = p.split(" ")
            for _ in range(int(len(toks) * 0.01 * strength) + (rng.random() < 0.5)):
                if len(toks) > 2:
                    i = rng.randrange(len(toks) - 1)
                    toks[i], toks[i + 1] = toks[i + 1], toks[i]
            out.append(" ".join(toks))
        paras = out
        edits.append("word_swaps")
    if rng.random() < 0.5:
        paras.append(rng.choice(FOOTERS).format(y=rng.randint(2001, 2024), o=rng.choice(OUTLETS)))
        edits.append("footer")
    return "\n\n".join(paras), edits


def build(data: str, n_sources: int = 1500, seed: int = 11, min_words: int = 120) -> tuple[list[tuple[str, str, str | None]], list[dict], list[dict]]:
    """(docs, groups, pairs): groups = [{"source", "copies"}], pairs = [{"a", "b", "jaccard",
    "copies"}] for every pair inside a group. Sources have >= `min_words` words (a paragraph
    edit on a 50-word brief is a different story, not a copy)."""
    docs = load_news(data)
    rng = random.Random(seed)
    texts = [t for _, t, _ in docs]
    vocab = sorted({w for t in texts[:2000] for w in t.split() if w.isalpha() and len(w) > 3})
    eligible = [k for k, (_, t, _) in enumerate(docs) if len(t.split()) >= min_words]
    groups, pairs = [], []
    for g, si in enumerate(rng.sample(eligible, n_sources)):
        sid, stext, sdate = docs[si]
        members = [(sid, stext)]
        for c in range(rng.randint(2, 4)):
            copy, _ = edit_copy(stext, rng, texts, vocab, rng.random())
            cid = f"mc-{g:05d}-{c}"
            docs.append((cid, copy, sdate))
            members.append((cid, copy))
        groups.append({"source": sid, "copies": [m[0] for m in members[1:]]})
        for (a, ta), (b, tb) in combinations(members, 2):
            pairs.append({"a": a, "b": b, "jaccard": true_jaccard(ta, tb), "copies": len(members) - 1})
    rng.shuffle(docs)  # copies spread through the input, not all at the end
    return docs, groups, pairs


def score(removed_pairs: list[tuple[str, str]], pairs: list[dict], text: dict[str, str], threshold: float) -> dict:
    find = clustered(removed_pairs)
    caught = lambda p: find(p["a"]) == find(p["b"])  # noqa: E731
    rec: dict[str, tuple[float, int]] = {}
    for name, (lo, hi) in BANDS.items():
        sel = [p for p in pairs if lo <= p["jaccard"] < hi]
        rec[name] = (sum(map(caught, sel)) / len(sel) if sel else float("nan"), len(sel))
    for name, lo in ((">=0.85", 0.85), (">=0.8", 0.8)):
        sel = [p for p in pairs if p["jaccard"] >= lo]
        rec[name] = (sum(map(caught, sel)) / len(sel) if sel else float("nan"), len(sel))
    by_copies = {}
    for c in (2, 3, 4):
        sel = [p for p in pairs if p["copies"] == c and p["jaccard"] >= threshold]
        by_copies[c] = (sum(map(caught, sel)) / len(sel) if sel else float("nan"), len(sel))
    good = sum(true_jaccard(text[a], text[b]) >= threshold for a, b in removed_pairs)
    return {"recall": rec, "by_copies": by_copies,
            "precision": good / len(removed_pairs) if removed_pairs else float("nan"), "removed": len(removed_pairs)}
