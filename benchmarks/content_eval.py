"""Held-out figures of the line stages on real pages: whole-page text and the HTML path.

Reads the labelled lines of `benchmarks/content_data.py` for the sets the content model never
saw (WCXB test, AEB, trafilatura-eval; it is trained on WCXB dev only) and scores, per set:
- whole-page text (`page` render): the raw lines, the C4 line rule, jusText on the lines, our
  line stages (boilerplate + spam), and trafilatura on the page's HTML as the reference;
- the HTML path: trafilatura alone (`traf` render), trafilatura + our line stages, and the
  page model (extract's default: the `page` lines with their element kinds and trafilatura's
  text), each with the share of output lines that are junk (less than half of their words in
  the ground truth).
Token P/R/F1 are macro means over pages (WCXB's scorer); trafilatura-eval has only must-keep /
must-drop snippets, so it reports the share of each found in the output.
"""

from __future__ import annotations

import html as html_lib
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from benchmarks import content_data
from benchmarks.scores import word_prf
from pipeline.core.document import Document

HELD_OUT = ("wcxb-test", "aeb", "traf")
_TERMINAL = (".", "!", "?", "\"", "”", "'", "’", "…", "。", "！", "？")


@dataclass
class Page:
    set: str
    page: str
    type: str
    lines: list[str]
    labels: np.ndarray  # coverage by the truth, or 1 / 0 / -1 from snippets
    structure: np.ndarray | None = None  # `page` lines: element kinds (page_structure.KINDS)


def pages(content, name: str) -> dict[tuple[str, str], Page]:
    out = {}
    for (page, render), rows in content_data.grouped(content, name).items():
        structure = None
        if render == "page" and all(r["structure"] is not None for r in rows):
            structure = np.array([r["structure"] for r in rows], dtype=np.float32).reshape(len(rows), -1)
        out[(page, render)] = Page(name, page, rows[0]["type"], [r["text"] for r in rows],
                                   np.array([r["label"] for r in rows], dtype=np.float32), structure)
    return out


def c4_lines(lines: list[str]) -> list[bool]:
    """C4's line rule: keep lines ending in terminal punctuation with at least 3 words, no 'javascript'."""
    return [ln.rstrip().endswith(_TERMINAL) and len(ln.split()) >= 3 and "javascript" not in ln.lower()
            for ln in lines]


def justext_lines(lines: list[str]) -> list[bool]:
    """jusText's paragraph classifier over the lines as paragraphs (English stop-list)."""
    import justext

    if not lines:
        return []
    body = "".join(f"<p>{html_lib.escape(ln)}</p>" for ln in lines)
    paras = justext.justext(f"<html><body>{body}</body></html>".encode(), justext.get_stoplist("English"))
    kept = [not p.is_boilerplate for p in paras]
    return kept if len(kept) == len(lines) else [True] * len(lines)


class LineStages:
    """Our boilerplate + spam stages applied to a list of lines; returns the keep mask."""

    def __init__(self) -> None:
        from pipeline.stages.boilerplate import Boilerplate
        from pipeline.stages.spam import Spam

        self.stages = [Boilerplate(), Spam()]

    def __call__(self, lines: list[str]) -> list[bool]:
        text = "\n".join(lines) + "\n"
        doc = Document(id="p", source="", text=text)
        for stage in self.stages:
            outcome = stage.apply(doc)
            if outcome.doc is None:
                return [False] * len(lines)
            doc = outcome.doc
        kept = set(doc.text.splitlines())
        # Line stages only remove whole lines: a line survived when its text is still there.
        return [ln in kept for ln in lines]


def page_model_lines(p: Page, extracted: Page | None) -> list[bool]:
    """extract's page model on a rendered page (trafilatura's text where it keeps no line)."""
    from pipeline.stages import page_model
    from pipeline.stages.page_structure import PageText

    traf_lines = extracted.lines if extracted is not None else []
    keep, _ = page_model.shared().keep(PageText(p.lines, p.structure), "\n".join(traf_lines))
    if not keep.any():
        kept = set(traf_lines)
        return [ln in kept for ln in p.lines]
    return keep.tolist()


def _count_junk(junk: list[int], labels: np.ndarray, keep: list[bool]) -> None:
    kept_labels = labels[np.array(keep, dtype=bool)] if len(labels) else labels
    junk[0] += int(np.sum(kept_labels < 0.5))
    junk[1] += len(kept_labels)


def _kept_text(lines: list[str], keep: list[bool]) -> str:
    return "\n".join(ln for ln, k in zip(lines, keep) if k)


def score_set(name: str, rows: dict, truths: dict, snippets: dict, ours: LineStages) -> dict:
    methods = {"raw": lambda ls: [True] * len(ls), "c4": c4_lines, "justext": justext_lines, "ours": ours}
    per: dict[str, list] = defaultdict(list)
    junk = {"traf": [0, 0], "traf+ours": [0, 0], "page model": [0, 0]}
    for (page, render), p in sorted(rows.items()):
        if render == "page":
            for label, fn in methods.items():
                score = _score(_kept_text(p.lines, fn(p.lines)), page, truths, snippets)
                per[f"page:{label}"].append(score)
                if p.type == "article" and name != "aeb":
                    per[f"article:{label}"].append(score)
            if p.structure is not None:
                keep = page_model_lines(p, rows.get((page, "traf")))
                score = _score(_kept_text(p.lines, keep), page, truths, snippets)
                per["html:page model"].append(score)
                if p.type == "article" and name != "aeb":
                    per["article:page model"].append(score)
                if page in truths:
                    _count_junk(junk["page model"], p.labels, keep)
        else:
            keep = ours(p.lines)
            for label, kept in (("traf", "\n".join(p.lines)), ("traf+ours", _kept_text(p.lines, keep))):
                score = _score(kept, page, truths, snippets)
                per[f"html:{label}"].append(score)
                if p.type == "article" and name != "aeb":
                    per[f"article:{label}"].append(score)
            if page in truths:
                _count_junk(junk["traf"], p.labels, [True] * len(p.lines))
                _count_junk(junk["traf+ours"], p.labels, keep)
    out = {k: {m: float(np.mean([r[m] for r in v])) for m in v[0]} for k, v in per.items() if v}
    out["junk"] = {k: a / b if b else 0.0 for k, (a, b) in junk.items()}
    out["pages"] = len({pg for pg, _ in rows})
    return out


def _score(pred: str, page: str, truths: dict, snippets: dict) -> dict:
    if page in truths:
        return dict(zip(("precision", "recall", "f1"), word_prf(pred, truths[page])))
    keep, drop = snippets[page]
    low = pred.lower()
    return {"kept": float(np.mean([s.lower() in low for s in keep])) if keep else 1.0,
            "leaked": float(np.mean([s.lower() in low for s in drop])) if drop else 0.0}


def evaluate(content, data) -> dict:
    """Every held-out set, every method: {set: {method: metrics}}."""
    truths = {p["id"]: p["truth"] for p in content_data.wcxb_split(data, "test")}
    truths.update({p["id"]: p["truth"] for p in content_data.datasets.aeb_pages(data)})
    snippets = {p["id"]: (p["with"], p["without"]) for p in content_data.datasets.trafilatura_pages(data)}
    ours = LineStages()
    return {name: score_set(name, pages(content, name), truths, snippets, ours) for name in HELD_OUT}


def print_table(results: dict) -> None:
    cols = ("page:raw", "page:c4", "page:justext", "page:ours", "html:traf", "html:traf+ours", "html:page model")
    print("\nheld-out real pages (model trained on WCXB dev only)")
    print("metric".ljust(34) + "".join(c.ljust(15) for c in cols))
    for name, r in results.items():
        metrics = ("f1", "precision", "recall") if name != "traf" else ("kept", "leaked")
        for m in metrics:
            cells = "".join((f"{r[c][m]:.3f}" if c in r else "-").ljust(15) for c in cols)
            print(f"{name} ({r['pages']} pages) {m}".ljust(34) + cells)
        if "article:raw" in r:
            arts = ("article:raw", "article:c4", "article:justext", "article:ours", "article:traf", "article:traf+ours",
                    "article:page model")
            print(f"{name} article pages f1".ljust(34) + "".join((f"{r[c]['f1']:.3f}" if c in r else "-").ljust(15)
                                                                for c in arts))
        if name != "traf":
            print(f"{name} junk lines left".ljust(34) + " " * 15 * 4
                  + "".join(f"{r['junk'][k]:.3f}".ljust(15) for k in ("traf", "traf+ours", "page model")))
