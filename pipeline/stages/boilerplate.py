"""boilerplate: removes page chrome (menus, teasers, widgets, footers, bylines) in runs of lines.

`score_lines` (pure, no thresholds) gives every non-blank line its probability of being content
from the content model: gradient-boosted trees over the shape of the line and of its neighbours
(`content_features`), learned from real pages (`benchmarks/train_content_model.py`).
`Boilerplate.apply` decides over the whole document at once: the most likely run structure of
content and chrome (`content_model.decide`), so a short line inside the article stays and an
unknown word inside a menu goes. A removed line that carries a date moves it to `doc.date`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from pipeline.core.document import Document, Edit, Outcome, apply_edits
from pipeline.core.registry import StageSpec
from pipeline.stages.content_features import line_features
from pipeline.stages.content_model import ContentModel, decide
from pipeline.stages.date_stamps import parse_date
from pipeline.stages.lines import Line, measure, removal_edits

NAME = "boilerplate"
VERSION = "boilerplate_v2"


class BoilerplateConfig(BaseModel):
    """Decision settings over the content model's line probabilities."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A lone line is removed when its content probability is below this (chosen by grouped
    # cross-validation on WCXB dev, see benchmarks/README.md); above 1 disables removal.
    threshold: float = Field(0.5, ge=0, le=1.01)
    # Cost, in nats, of each change between content and chrome along the document: higher
    # values decide in longer runs (a short heading between paragraphs stays).
    switch_cost: float = Field(1.0, ge=0)
    # Documents with fewer non-blank lines are left alone: chrome is told apart from content by
    # contrast with the rest of the page, and a one- or two-line text has none.
    min_lines: int = Field(3, ge=1)
    # Move a removed publication date into doc.date when the document has no date yet.
    move_date: bool = True


@lru_cache(maxsize=1)
def _model() -> ContentModel:
    return ContentModel.load()


def score_lines(lines: list[Line]) -> np.ndarray:
    """Content probability of each non-blank line of `lines`, in order."""
    texts = [ln.text for ln in lines if not ln.blank]
    return _model().predict(line_features(texts))


class Boilerplate:
    """Remove the lines the content model decides are chrome; move publication dates to metadata."""

    name = NAME
    version = VERSION

    def __init__(self, config: BoilerplateConfig | None = None) -> None:
        self.config = config or BoilerplateConfig()
        self._model = _model()

    def apply(self, doc: Document) -> Outcome:
        c = self.config
        text = doc.text
        lines = measure(text)
        nonblank = [ln for ln in lines if not ln.blank]
        if len(nonblank) < c.min_lines or c.threshold > 1.0:
            return Outcome.keep(doc)
        probs = self._model.predict(line_features([ln.text for ln in nonblank]))
        keep = decide(probs, c.threshold, c.switch_cost)
        removals: dict[int, tuple[str, float]] = {}
        for ln, p, k in zip(nonblank, probs, keep):
            if not k:
                kind = "chrome" if p < c.threshold else "chrome_run"
                removals[ln.index] = (f"boilerplate:{kind} | p_content={p:.2f}", float(1.0 - p))
        if not removals:
            return Outcome.keep(doc)
from pipeline.core.document import Document, Edit, Outcome, apply_edits
from pipeline.core.registry import StageSpec
from pipeline.stages.content_features import line_features
from pipeline.stages.content_model import ContentModel, decide
from pipeline.stages.date_stamps import parse_date


SPEC = StageSpec(NAME, VERSION, BoilerplateConfig, Boilerplate)
