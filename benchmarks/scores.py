"""Scorers of the cleaning benchmarks, re-implemented from each set's PROVENANCE.md.

- AEB (scrapinghub): word 4-gram shingle multisets; per page tp/fp/fn; P and R are means over
  pages, F1 = 2PR/(P+R) of the means.
- WCXB: bag-of-words word F1 per page (macro mean of P, R, F1); snippet rates.
- trafilatura-eval: whitespace-normalised substring match of with/without segments, summed.
"""

from __future__ import annotations

import re
from collections import Counter
from statistics import mean

_WORD = re.compile(r"\w+", re.UNICODE)
_WS = re.compile(r"\s+")


def shingles(text: str, n: int = 4) -> Counter:
    toks = _WORD.findall(text or "")
    if len(toks) < n:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def aeb_page(pred: str, truth: str) -> tuple[float | None, float | None]:
    """(precision, recall) of one page; None where undefined (the page is skipped in that mean)."""
    p, t = shingles(pred), shingles(truth)
    if not p and not t:
        return 1.0, 1.0
    tp = sum((p & t).values())
    fp = sum(p.values()) - tp
    fn = sum(t.values()) - tp
    prec = tp / (tp + fp) if tp + fp else None
    rec = tp / (tp + fn) if tp + fn else None
    return prec, rec


def aeb_score(pairs: list[tuple[str, str]]) -> dict:
    ps, rs = [], []
    for pred, truth in pairs:
        p, r = aeb_page(pred, truth)
        if p is not None:
            ps.append(p)
        if r is not None:
            rs.append(r)
    P, R = (mean(ps) if ps else 0.0), (mean(rs) if rs else 0.0)
    return {"pages": len(pairs), "precision": P, "recall": R, "f1": 2 * P * R / (P + R) if P + R else 0.0}


def word_prf(pred: str, ref: str) -> tuple[float, float, float]:
    p = Counter(_WORD.findall((pred or "").lower()))
    r = Counter(_WORD.findall((ref or "").lower()))
    if not r:
        v = 1.0 if not p else 0.0
        return v, v, v
    if not p:
        return 0.0, 0.0, 0.0
    ov = sum((p & r).values())
    P, R = ov / sum(p.values()), ov / sum(r.values())
    return P, R, (2 * P * R / (P + R) if P + R else 0.0)


def wcxb_score(rows: list[dict]) -> dict:
    """rows: {pred, ref, type, with, without}. Macro P/R/F1 overall and per type; snippet rates."""
    out: dict = {"pages": len(rows)}
    per_type: dict[str, list[float]] = {}
    P, R, F = [], [], []
    w_found = w_all = wo_found = wo_all = 0
    for row in rows:
        p, r, f = word_prf(row["pred"], row["ref"])
        P.append(p), R.append(r), F.append(f)
        per_type.setdefault(row["type"], []).append(f)
        low = (row["pred"] or "").lower()
        for s in row["with"]:
            w_all += 1
            w_found += s.lower() in low
        for s in row["without"]:
            wo_all += 1
            wo_found += s.lower() in low
    out.update(
        precision=mean(P) if P else 0.0,
        recall=mean(R) if R else 0.0,
        f1=mean(F) if F else 0.0,
        kept=w_found / w_all if w_all else 1.0,
        leaked=wo_found / wo_all if wo_all else 0.0,
        per_type={t: mean(v) for t, v in sorted(per_type.items())},
    )
    return out


def norm_ws(text: str) -> str:
    return _WS.sub(" ", text or "").strip()


def segments_score(rows: list[dict]) -> dict:
    """rows: {pred, with, without}. Upstream trafilatura eval: summed TP/FN/FP/TN."""
    tp = fn = fp = tn = 0
    for row in rows:
        pred = norm_ws(row["pred"])
        for s in row["with"]:
            if norm_ws(s) in pred:
                tp += 1
            else:
                fn += 1
        for s in row["without"]:
            if norm_ws(s) in pred:
                fp += 1
            else:
                tn += 1
    P = tp / (tp + fp) if tp + fp else 0.0
    R = tp / (tp + fn) if tp + fn else 0.0
    total = tp + fn + fp + tn
    return {
        "pages": len(rows),
        "precision": P,
        "recall": R,
        "accuracy": (tp + tn) / total if total else 0.0,
        "f1": 2 * P * R / (P + R) if P + R else 0.0,
    }
