"""boilerplate: removes page chrome (menus, teasers, widgets, footers, bylines) in runs of lines.

`score_lines` (pure, no thresholds) gives every non-blank line its probability of being content
from the content model: gradient-boosted trees over the shape of the line and of its neighbours
(`content_features`) and a learned lexical score of what the line says (`lexical`), learned from
real pages (`benchmarks/train_content_model.py`).
`Boilerplate.apply` decides over the whole document at once (`content_model.decide`): the page's
main block is found first, and lines before and after it must be far more clearly content to
stay, so a short line inside the article stays and an unknown word in a menu around it goes. A removed line that carries a date moves it to `doc.date`.
An HTML page `extract` rendered whole arrives with the page model's score of each line (it saw
the markup): those scores decide instead, with the page model's bars.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from pipeline.core.document import Document, Edit, Outcome, apply_edits
from pipeline.core.registry import StageSpec
from pipeline.stages import page_model
from pipeline.stages.content_features import line_features, page_features
from pipeline.stages.content_model import ContentModel, decide
from pipeline.stages.date_stamps import parse_date
from pipeline.stages.lines import Line, line_spans, measure, removal_edits

NAME = "boilerplate"
VERSION = "boilerplate_v7"  # v7: the content model also reads a learned lexical score of each line (lexical.py), with a forest without it for pages in languages the score never saw; v6: pages extract rendered whole are decided by the page model's scores (issue 17); v5: Han, kana and Thai characters are words of their own in the features, and on a page the stop-word list does not cover its own frequent words count as function words; forests retrained; v4: 60 shape-only trees instead of 200, both forests retrained on the batched features (issue 13); v3: features computed for a whole batch of pages at once (issue 13); v2: the content model (issue 17)


class BoilerplateConfig(BaseModel):
    """Decision settings over the content model's line probabilities."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Inside the page's main block a line is removed when its content probability is below
    # this. Above 1 disables removal. Chosen by grouped cross-validation on WCXB dev
    # (benchmarks/README.md), like the two below.
    threshold: float = Field(0.3, ge=0, le=1.01)
    # Before and after the main block (menus, related headlines, footers) a line must reach
    # this probability to stay.
    outside_threshold: float = Field(0.7, ge=0, le=1.01)
    # The main block is the run of lines with the largest total (p - block_base).
    block_base: float = Field(0.3, ge=0, le=1)
    # Anywhere on the page, a line whose own shape alone (no neighbours) scores below this goes:
    # "Comments" or "Subscribe now" between two paragraphs. 0 disables.
    line_threshold: float = Field(0.25, ge=0, le=1)
    # Documents with fewer non-blank lines are left alone: chrome is told apart from content by
    # contrast with the rest of the page, and a one- or two-line text has none.
    min_lines: int = Field(3, ge=1)
    # Move a removed publication date into doc.date when the document has no date yet.
    move_date: bool = True
    # HTML pages rendered whole by extract carry the page model's scores; its bars, chosen like
    # the three above (grouped CV on WCXB dev, benchmarks/README.md). Above 1 disables removal.
    page_threshold: float = Field(page_model.THRESHOLD, ge=0, le=1.01)
    page_outside_threshold: float = Field(page_model.OUTSIDE_THRESHOLD, ge=0, le=1.01)


@lru_cache(maxsize=1)
def _model() -> ContentModel:
    return ContentModel.load()


def score_lines(lines: list[Line]) -> np.ndarray:
    """Content probability of each non-blank line of `lines`, in order."""
    texts = [ln.text for ln in lines if not ln.blank]
    model = _model()
    return model.predict(line_features(texts, model.lexical))


class Boilerplate:
    """Remove the lines the content model decides are chrome; move publication dates to metadata."""

    name = NAME
    version = VERSION

    def __init__(self, config: BoilerplateConfig | None = None) -> None:
        self.config = config or BoilerplateConfig()
        self._model = _model()

    def apply(self, doc: Document) -> Outcome:
        return self.apply_batch([doc])[0]

    def apply_batch(self, docs: Sequence[Document]) -> list[Outcome]:
        """`apply` on many documents: one feature pass and one model pass over all their lines
        (pages carrying the page model's scores are decided from those)."""
        docs = list(docs)
        outcomes: list[Outcome | None] = [None] * len(docs)
        plain: list[int] = []
        for k, doc in enumerate(docs):
            scored = _page_scores(doc)
            if scored is None:
                plain.append(k)
                continue
            docs[k], index, probs = scored
            if index is None:  # the lines no longer match the scores: the content model decides
                plain.append(k)
            else:
                outcomes[k] = self._decide_page(docs[k], index, probs)
        for k, outcome in zip(plain, self._content_model([docs[k] for k in plain])):
            outcomes[k] = outcome
        return outcomes  # type: ignore[return-value]

    def _content_model(self, docs: Sequence[Document]) -> list[Outcome]:
        c = self.config
        pages = [_nonblank(doc.text) for doc in docs]
        scored = [len(p) >= c.min_lines and c.threshold <= 1.0 for p in pages]
        X, sizes = page_features([[t for _, t in p] if ok else [] for p, ok in zip(pages, scored)],
                                 self._model.lexical)
        probs = self._model.predict(X)
        line_probs = self._model.predict_line(X)
        bounds = np.concatenate(([0], np.cumsum(sizes)))
        clear = self._all_clear(probs, line_probs, sizes)
        outcomes = []
        for k, doc in enumerate(docs):
            if not scored[k] or clear[k]:
                outcomes.append(Outcome.keep(doc))
                continue
            a, b = bounds[k], bounds[k + 1]
            outcomes.append(self._decide(doc, [i for i, _ in pages[k]], probs[a:b],
                                         None if line_probs is None else line_probs[a:b]))
        return outcomes

    def _decide_page(self, doc: Document, index: list[int], probs: np.ndarray) -> Outcome:
        """The outcome for a page from the page model's scores of its non-blank lines."""
        c = self.config
        if c.page_threshold > 1.0:
            return Outcome.keep(doc)
        keep = page_model.decide_page(probs, c.page_threshold, c.page_outside_threshold)
        removals = {index[i]: (f"boilerplate:{'page_chrome' if probs[i] < c.page_threshold else 'page_outside_main'}"
                               f" | p_content={probs[i]:.2f}", float(1.0 - probs[i]))
                    for i in np.flatnonzero(~keep).tolist()}
        return self._remove(doc, removals)

    def _all_clear(self, probs: np.ndarray, line_probs: np.ndarray | None, sizes: np.ndarray) -> np.ndarray:
        """Per page: every line clears the highest bar `decide` can set, so all stay wherever the
        main block falls; about half of news articles, whose per-page decision is then skipped."""
        c = self.config
        below = probs < max(c.threshold, c.outside_threshold)
        if line_probs is not None:
            below |= line_probs < c.line_threshold
        owner = np.repeat(np.arange(len(sizes)), sizes)
        return np.bincount(owner, weights=below, minlength=len(sizes)) == 0

    def _decide(self, doc: Document, index: list[int], probs: np.ndarray, line_probs: np.ndarray | None) -> Outcome:
        """The outcome for one page from its non-blank lines' (line numbers) probabilities."""
        c = self.config
        keep = decide(probs, c.threshold, c.outside_threshold, c.block_base, line_probs, c.line_threshold)
        if keep.all():
            return Outcome.keep(doc)
        removals: dict[int, tuple[str, float]] = {}
        for i in np.flatnonzero(~keep).tolist():
            p = probs[i]
            if p < c.threshold:
                kind = "chrome"
            elif line_probs is not None and line_probs[i] < c.line_threshold:
                kind, p = "line_shape", line_probs[i]
            else:
                kind = "outside_main"
            removals[index[i]] = (f"boilerplate:{kind} | p_content={p:.2f}", float(1.0 - p))
        return self._remove(doc, removals)

    def _remove(self, doc: Document, removals: dict[int, tuple[str, float]]) -> Outcome:
        """Remove the lines `removals` names (line number -> reason, score); a removed short line's
        date moves to `doc.date`."""
        if not removals:
            return Outcome.keep(doc)
        c = self.config
        text = doc.text
        lines = line_spans(text)
        edits: list[Edit] = removal_edits(text, lines, removals)
        changes: dict[str, object] = {}
        if c.move_date and not doc.date:
            # A byline or time stamp is short; a removed teaser paragraph's date is not the page's.
            stamps = (lines[i].text for i in sorted(removals) if measure(lines[i].text)[0].n_words <= 12)
            date = next((d for t in stamps if (d := parse_date(t))), None)
            if date:
                changes["date"] = date
        return Outcome.keep(doc.with_text(apply_edits(text, edits), **changes), edits)


def _page_scores(doc: Document) -> tuple[Document, list[int] | None, np.ndarray] | None:
    """For a page carrying the page model's scores: the document without them, the line numbers
    of its non-blank lines (None when their count no longer matches the scores, or the scores do
    not read back) and the scores."""
    encoded = doc.meta.get(page_model.SCORES_KEY)
    if encoded is None:
        return None
    bare = replace(doc, meta={k: v for k, v in doc.meta.items() if k != page_model.SCORES_KEY})
    try:
        probs = page_model.decode_scores(encoded)
    except ValueError:  # not base64 of float32 values: not ours to trust
        return bare, None, np.zeros(0, np.float32)
    index = [i for i, _ in _nonblank(doc.text)]
    return bare, (index if len(index) == len(probs) and np.isfinite(probs).all() else None), probs


def _nonblank(text: str) -> list[tuple[int, str]]:
    """(line number, stripped line) of every non-blank line, numbered as `lines.measure` does."""
    return [(i, s) for i, raw in enumerate(text.splitlines()) if (s := raw.strip())]


# Reason codes this stage emits ("boilerplate:<family> | <signals>"), one per removed line.
REASONS = {
    "boilerplate:chrome": "page chrome by the content model: the line's content probability (p_content) is below "
                          "the threshold, from its shape and its neighbours' (menu, teaser, widget, footer ...)",
    "boilerplate:outside_main": "before or after the page's main block and not clearly content "
                                "(p_content below outside_threshold): menus, related headlines, sign-up prompts",
    "boilerplate:line_shape": "the line's own shape, without its neighbours, says chrome (p_content of the "
                              "shape-only trees below line_threshold): a widget or label inside the article",
    "boilerplate:page_chrome": "page chrome by the page model (an HTML page rendered whole: the line's text, the "
                               "markup it sat in and trafilatura's choice): p_content below page_threshold",
    "boilerplate:page_outside_main": "before or after the page's main block by the page model and not clearly "
                                     "content (p_content below page_outside_threshold)",
}

SPEC = StageSpec(NAME, VERSION, BoilerplateConfig, Boilerplate, reasons=REASONS)
