"""Token precision / recall / F1 of a kept text against a ground truth (WCXB's scorer).

Tokens are `\\w+` of the lower-cased text, compared as bags (Counter intersection); an empty
truth scores 1.0 when the prediction is empty too, else 0.
"""

from __future__ import annotations

import re
from collections import Counter

WORD = re.compile(r"\w+")


def token_prf(pred: str, truth: str) -> dict:
    p = Counter(WORD.findall(pred.lower()))
    t = Counter(WORD.findall(truth.lower()))
    if not t:
        v = 1.0 if not p else 0.0
        return {"precision": v, "recall": v, "f1": v}
    if not p:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    overlap = sum((p & t).values())
    prec, rec = overlap / sum(p.values()), overlap / sum(t.values())
    f1 = 2 * prec * rec / (prec + rec) if overlap else 0.0
    return {"precision": prec, "recall": rec, "f1": f1}
