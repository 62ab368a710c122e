"""Train the learned line scorer shipped as pipeline/stages/line_model.npz.

    PYTHONPATH=. python benchmarks/train_line_model.py [--data ../shared/data] [--out PATH]
                                                      [--epochs 8] [--seeds 10]

Positives: injected chrome/spam lines of the `tune`, `holdout` and `tune2` template families
(never blind / blind2 / blind3), injected into ground-truth articles with several seeds, so the
shape signals (position, overlap with the document) are those the stage sees. Negatives: every
short-to-medium line of the ground-truth texts (AEB articleBody, WCXB main_content of every page
type: headings, list items, quotes, table rows), in context. Pages are split 70/30 by a stable
hash of their id; the 30 % are only used for the validation figures printed at the end.
Plain numpy logistic regression (Adagrad, L2), fixed seeds: reruns give the same weights.
"""

from __future__ import annotations

import argparse
import random
import sys
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import datasets, injection  # noqa: E402
from benchmarks.injection_templates import HOLDOUT, TUNE, TUNE2  # noqa: E402
from pipeline.stages import line_model as LM  # noqa: E402
from pipeline.stages.lines import measure  # noqa: E402

MAX_WORDS = 30  # the stage only asks the model about lines up to 25 words
FAMILIES = (("tune", TUNE), ("holdout", HOLDOUT), ("tune2", TUNE2))


def split_of(key: str) -> str:
    return "train" if zlib.crc32(key.encode()) % 10 < 7 else "val"


def load_texts(data: Path) -> dict[str, dict[str, list[str]]]:
    """{'train'|'val': {'articles': [...], 'other': [...]}}: articles (>= 50 words, injected)
    and other WCXB page types (clean negatives only)."""
    out = {s: {"articles": [], "other": []} for s in ("train", "val")}
    for p in datasets.aeb_pages(data):
        t = injection.clean_article(p["truth"])
        if t.strip():
            out[split_of("aeb" + p["id"])]["articles" if len(t.split()) >= 50 else "other"].append(t)
    for p in datasets.wcxb_pages(data):
        t = injection.clean_article(p["truth"])
        if not t.strip():
            continue
        kind = "articles" if p["type"] == "article" and len(t.split()) >= 50 else "other"
        out[split_of("wcxb" + p["id"])][kind].append(t)
    return out


def labelled_lines(texts: dict[str, list[str]], seeds: list[int]) -> tuple[list, list[int]]:
    """(Line, label) for the short-to-medium lines of injected articles and clean other pages."""
    lines, labels = [], []

    def add(text: str, injected: set[str], original: set[str]) -> None:
        for ln in measure(text):
            if ln.blank or ln.n_words > MAX_WORDS:
                continue
            if ln.text in original:
                lines.append(ln)
                labels.append(0)
            elif ln.text in injected:
                lines.append(ln)
                labels.append(1)

    for seed in seeds:
        for case in injection.build_injected(texts["articles"], seed=seed, mojibake_share=0.0, groups=FAMILIES):
            orig = {x.strip() for x in case["original"].splitlines() if x.strip()}
            # Negatives of the articles are taken once (first seed), positives from every seed.
            add(case["text"], {x for _f, x in case["injected"]}, orig if seed == seeds[0] else set())
    for t in texts["other"]:
        add(t, set(), {x.strip() for x in t.splitlines() if x.strip()})
    return lines, labels


def features(lines: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Grams sorted by line: (buckets, line offsets into buckets, 1/sqrt(grams), dense)."""
    b, o, counts = LM.hashed_grams([ln.text for ln in lines])
    order = np.argsort(o, kind="stable")
    b = b[order]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    norm = 1.0 / np.sqrt(np.maximum(counts, 1))
    dense = np.array([LM.dense_features(ln) for ln in lines], dtype=np.float64)
    return b, offsets, norm, dense


def train(lines: list, y: np.ndarray, epochs: int, neg_weight: float, l2: float, lr: float,
          seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(lines))
    lines = [lines[i] for i in perm]
    y = y[perm]
    b, offsets, norm, dense = features(lines)
    D = 1 << LM.BITS
    wh = np.zeros(D)
    wd = np.zeros(dense.shape[1])
    gh2 = np.full(D, 1e-8)
    gd2 = np.full(dense.shape[1], 1e-8)
    sw = np.where(y == 1, 1.0, neg_weight)
    n = len(lines)
    bs = 256
    for ep in range(epochs):
        loss = 0.0
        for a in range(0, n, bs):
            z_ = min(a + bs, n)
            g0, g1 = offsets[a], offsets[z_]
            bb = b[g0:g1]
            owner = np.repeat(np.arange(z_ - a), np.diff(offsets[a:z_ + 1]))
            nm = norm[a:z_]
            z = np.bincount(owner, weights=wh[bb], minlength=z_ - a) * nm + dense[a:z_] @ wd
            p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
            yy = y[a:z_]
            loss += float(np.sum(sw[a:z_] * -(yy * np.log(p + 1e-12) + (1 - yy) * np.log(1 - p + 1e-12))))
            g = sw[a:z_] * (p - yy) / (z_ - a)
            gh = np.bincount(bb, weights=(g * nm)[owner], minlength=D)
            touched = np.unique(bb)
            gh[touched] += l2 * wh[touched]
            gd = dense[a:z_].T @ g + l2 * wd
            gh2 += gh * gh
            gd2 += gd * gd
            wh -= lr * gh / np.sqrt(gh2)
            wd -= lr * gd / np.sqrt(gd2)
        print(f"epoch {ep + 1}: weighted log-loss {loss / n:.4f}", flush=True)
    return wh, wd


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parent.parent.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(LM.MODEL_PATH))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seeds", type=int, default=10, help="injection rounds over the training articles")
    ap.add_argument("--neg-weight", type=float, default=1.0)
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--lr", type=float, default=1.0)
    args = ap.parse_args()
    data = Path(args.data)
    if not (data / "scrapinghub-aeb" / "ground-truth.json").is_file() or not (data / "wcxb" / "test" / "ground-truth").is_dir():
        print(f"data folder {data} not found (needs scrapinghub-aeb/ground-truth.json and "
              "wcxb/test/ground-truth/); pass --data", file=sys.stderr)
        return 2
    random.seed(0)
    texts = load_texts(data)
    tr_lines, tr_y = labelled_lines(texts["train"], seeds=[101 + k for k in range(args.seeds)])
    va_lines, va_y = labelled_lines(texts["val"], seeds=[901])
    tr_y, va_y = np.array(tr_y, dtype=np.float64), np.array(va_y, dtype=np.float64)
    print(f"train lines {len(tr_y)} (pos {int(tr_y.sum())}), val lines {len(va_y)} (pos {int(va_y.sum())})")
    wh, wd = train(tr_lines, tr_y, args.epochs, args.neg_weight, args.l2, args.lr, seed=0)
    model = LM.LineModel(wh.astype(np.float16), wd)
    p = model.predict(va_lines)
    nw = np.array([ln.n_words for ln in va_lines])
    neg_words = nw[va_y == 0].sum()
    print("val threshold: recall of injected lines | negative lines flagged | negative words flagged")
    for th in (0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99):
        hit = p >= th
        print(f"  {th:.2f}: {hit[va_y == 1].mean():.3f} | {hit[va_y == 0].mean():.4f} | "
              f"{nw[(va_y == 0) & hit].sum() / neg_words:.4f}")
    np.savez_compressed(args.out, w_hash=wh.astype(np.float16), w_dense=wd.astype(np.float32))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
