"""Train the page model (HTML pages: text shape + markup + trafilatura's agreement) on WCXB dev.

    python benchmarks/train_page_model.py [--content outputs/content] [--data ../shared/data]
                                          [--cv-only] [--out pipeline/stages/page_model.npz]

Training material: the whole-page lines of WCXB **dev** from `benchmarks/content_data.py` with
their element kinds (`structure` column) and trafilatura's extraction of the same page, labelled
by the page's ground truth. WCXB test, AEB and trafilatura-eval are never read here. Same trees,
weights and seed as the content model (`train_content_model.py`). `--cv-only` reports grouped
3-fold figures (folds by domain) beside trafilatura's on the same pages, and writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import content_data  # noqa: E402
from benchmarks.scores import word_prf  # noqa: E402
from benchmarks.train_content_model import LABEL_CUT, doc_weights, fit  # noqa: E402
from pipeline.stages import content_model, page_model  # noqa: E402


def documents(content: Path, data: Path) -> list[dict]:
    """WCXB dev pages: whole-page lines, labels, element kinds, trafilatura's text, truth."""
    meta, truths = content_data.dev_context(data)
    groups = content_data.grouped(content, "wcxb-dev")
    docs = []
    for (page, render), rows in groups.items():
        if render != "page" or rows[0]["structure"] is None:
            continue
        extracted = groups.get((page, "traf"), [])
        docs.append({"page": page, "render": "page", "domain": meta.get(page, {}).get("domain", page),
                     "type": rows[0]["type"], "lines": [r["text"] for r in rows],
                     "labels": np.array([r["label"] >= LABEL_CUT for r in rows]),
                     "structure": np.array([r["structure"] for r in rows], dtype=np.float32),
                     "extracted": "\n".join(r["text"] for r in extracted), "truth": truths.get(page, "")})
    return docs


def matrix(docs: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    feats = [page_model.page_features(d["lines"], d["structure"], d["extracted"]) for d in docs]
    owner = np.concatenate([np.full(len(f), i) for i, f in enumerate(feats)])
    return np.concatenate(feats), np.concatenate([d["labels"] for d in docs]), owner


def cross_validate(X, y, owner, docs, weights, folds: int = 3) -> None:
    """Grouped k-fold (by domain) whole-page figures, beside trafilatura alone on the same pages."""
    from sklearn.model_selection import GroupKFold

    groups = np.array([docs[i]["domain"] for i in owner])
    probs = np.zeros(len(y))
    for tr, te in GroupKFold(folds).split(X, y, groups):
        probs[te] = fit(X[tr], y[tr], weights[tr]).predict_proba(X[te])[:, 1]
    starts = np.searchsorted(owner, np.arange(len(docs) + 1))
    ours, traf = defaultdict(list), defaultdict(list)
    for i, d in enumerate(docs):
        keep = page_model.decide_page(probs[starts[i]:starts[i + 1]])
        kept = "\n".join(ln for ln, k in zip(d["lines"], keep) if k)
        for group in ("all", d["type"]):
            ours[group].append(word_prf(kept, d["truth"]))
            traf[group].append(word_prf(d["extracted"], d["truth"]))
    for group in sorted(ours, key=lambda g: (g != "all", g)):
        a, b = np.mean(ours[group], axis=0), np.mean(traf[group], axis=0)
        print(f"{group:14s} {len(ours[group]):5d} pages  page model F1 {a[2]:.4f} (P {a[0]:.4f} R {a[1]:.4f})"
              f"  trafilatura F1 {b[2]:.4f} (P {b[0]:.4f} R {b[1]:.4f})", flush=True)


def export(clf, path: Path) -> None:
    nodes = [pred[0].nodes for pred in clf._predictors]
    arrays = content_model.tree_arrays(nodes, float(clf._baseline_prediction.ravel()[0]), "page_")
    np.savez_compressed(path, names=np.array(page_model.NAMES), **arrays)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--content", type=Path, default=content_data.DEFAULT_OUT)
    ap.add_argument("--data", type=Path, default=content_data.DEFAULT_DATA)
    ap.add_argument("--cv-only", action="store_true", help="report grouped 3-fold figures, write nothing")
    ap.add_argument("--out", type=Path, default=page_model.WEIGHTS)
    args = ap.parse_args(argv)
    if not (args.data / "wcxb").is_dir():
        print(f"evaluation data not found at {args.data}; pass --data", file=sys.stderr)
        return 2
    docs = documents(args.content, args.data)
    X, y, owner = matrix(docs)
    print(f"{len(docs)} pages, {len(y)} lines, {X.shape[1]} features", flush=True)
    weights = doc_weights(owner, docs, 3.0)
    if args.cv_only:
        cross_validate(X, y, owner, docs, weights)
        return 0
    clf = fit(X, y, weights)
    export(clf, args.out)
    agree = np.abs(page_model.PageModel.load(args.out).predict(X[:5000]) - clf.predict_proba(X[:5000])[:, 1]).max()
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} KB); max |numpy - sklearn| {agree:.2e}")
    return 0 if agree < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
