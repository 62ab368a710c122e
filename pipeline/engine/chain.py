"""The per-document stage chain, usable from Python one document at a time (no files, no globals).

    from pipeline import Cleaner
    result = Cleaner().clean_text("some text", id="a")
    result.doc.text, result.edits, result.rejected_reason
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from pipeline.config import PipelineConfig
from pipeline.core.deadline import Budget
from pipeline.core.document import Document, Edit, Outcome, RawDocument
from pipeline.core.registry import Registry
from pipeline.core.stage import Stage, StageStats, run_stage_batch
from pipeline.engine.plan import Plan


@dataclass
class CleanResult:
    """One document's way through the per-document stages."""

    id: str
    source: str
    input_text: str | None  # decoded text as it entered (None when decoding failed)
    input_format: str
    doc: Document | None  # final document, None when rejected
    edits: list[tuple[str, Edit]] = field(default_factory=list)  # (stage name, edit)
    rejected_stage: str | None = None
    rejected_reason: str | None = None


class Cleaner:
    """The registry's per-document stages, in order: `pre` ones (decode -> spam) before the
    corpus-wide repeated-line pass, `post` ones (quality) after it. `clean` runs both and skips
    the corpus-wide pass, which needs the whole corpus."""

    def __init__(self, config: PipelineConfig | None = None, registry: Registry | None = None) -> None:
        self.plan = Plan.of(config, registry)
        self.config = self.plan.config
        self.pre: list[Stage[Any, Any]] = self.plan.pre_stages()
        self.post: list[Stage[Any, Any]] = [s.build(self.config) for s in self.plan.post]
        self.budget = self.plan.budget  # per-document lines/time limit of every stage

    def clean(self, raw: RawDocument, stats: dict[str, StageStats] | None = None) -> CleanResult:
        result = self.clean_pre(raw, stats)
        if result.doc is not None:
            self.clean_post(result, stats)
        return result

    def clean_text(self, text: str, id: str = "doc", **fields: str) -> CleanResult:
        return self.clean(RawDocument(id=id, source=fields.pop("source", ""), data=text, **fields))  # type: ignore[arg-type]

    def clean_pre(self, raw: RawDocument, stats: dict[str, StageStats] | None = None) -> CleanResult:
        """The stages before the corpus-wide pass, from the raw input (decode first)."""
        return self.clean_pre_batch([raw], stats)[0]

    def clean_pre_batch(self, raws: Sequence[RawDocument], stats: dict[str, StageStats] | None = None) -> list[CleanResult]:
        """`clean_pre` over many documents, each stage in one call (see `run_chain_batch`)."""
        results = [CleanResult(id=r.id, source=r.source, input_text=None, input_format=r.format, doc=None) for r in raws]
        return run_chain_batch(results, raws, self.pre, stats, self.budget)

    def clean_post(self, result: CleanResult, stats: dict[str, StageStats] | None = None) -> CleanResult:
        """The stages after the corpus-wide pass, on the document `clean_pre` left."""
        assert result.doc is not None
        return run_chain(result, result.doc, self.post, stats, self.budget)


def run_chain(
    result: CleanResult,
    item: RawDocument | Document,
    stages: list[Stage[Any, Any]],
    stats: dict[str, StageStats] | None = None,
    budget: Budget | None = None,
) -> CleanResult:
    """Run `stages` in order from `item`, recording edits; stops at the first drop. The first
    Document made from a RawDocument is the decoded input text the diffs replay from. Every
    stage runs under `budget` (see `run_stage`)."""
    return run_chain_batch([result], [item], stages, stats, budget)[0]


def run_chain_batch(
    results: list[CleanResult],
    items: Sequence[RawDocument | Document],
    stages: list[Stage[Any, Any]],
    stats: dict[str, StageStats] | None = None,
    budget: Budget | None = None,
) -> list[CleanResult]:
    """`run_chain` over many documents at once, stage after stage (`run_stage_batch`): each
    stage sees every document still alive in one call, which lets batch-capable stages work on
    flat arrays. Each document's result is what `run_chain` alone would give."""
    st = stats or {}
    current = list(items)
    alive = list(range(len(current)))
    for stage in stages:
        outcomes = run_stage_batch(stage, [current[i] for i in alive], st.get(stage.name), budget)
        still = []
        for i, outcome in zip(alive, outcomes):
            result = results[i]
            result.edits.extend((stage.name, e) for e in outcome.edits)
            if outcome.doc is None:
                result.doc = None
                result.rejected_stage, result.rejected_reason = stage.name, outcome.reason
                continue
            if not isinstance(current[i], Document):
                result.input_text = outcome.doc.text
            current[i] = outcome.doc
            still.append(i)
        alive = still
    for i in alive:
        assert isinstance(current[i], Document), "the chain must start with a stage that makes Documents"
        results[i].doc = current[i]  # type: ignore[assignment]
    return results
