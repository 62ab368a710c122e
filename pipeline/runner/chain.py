"""The per-document stage chain, usable from Python one document at a time (no files, no globals).

    from pipeline import Cleaner
    result = Cleaner().clean_text("some text", id="a")
    result.doc.text, result.edits, result.rejected_reason
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.config import PipelineConfig
from pipeline.document import Document, Edit, Outcome, RawDocument
from pipeline.stage import Stage, StageStats, run_stage
from pipeline.stages.boilerplate import Boilerplate
from pipeline.stages.deadline import Budget
from pipeline.stages.decode import Decoder
from pipeline.stages.extract import Extract
from pipeline.stages.fix_encoding import FixEncoding
from pipeline.stages.quality import QualityFilter
from pipeline.stages.spam import Spam

# Stable order and names: output folders are stages/NN_<name>.
STAGE_ORDER = (
    "decode",
    "extract",
    "fix_encoding",
    "boilerplate",
    "spam",
    "repeated_lines",
    "quality",
    "dedup",
)


def stage_dir(name: str) -> str:
    return f"{STAGE_ORDER.index(name) + 1:02d}_{name}"


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


def new_stats() -> dict[str, StageStats]:
    return {name: StageStats(name) for name in STAGE_ORDER}


class Cleaner:
    """Decode -> extract -> fix_encoding -> boilerplate -> spam -> (repeated_lines) -> quality.

    `pre` stages run before the corpus-wide repeated-line pass, `post` stages after it; callers
    that do not use the corpus-wide pass simply call `clean`."""

    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        c = self.config
        self.decoder = Decoder(c.decode)
        self.pre: list[Stage] = [Extract(c.extract), FixEncoding(c.fix_encoding), Boilerplate(c.boilerplate), Spam(c.spam)]
        self.post: list[Stage] = [QualityFilter(c.quality)]
        self.budget = Budget.from_config(c)  # per-document lines/time limit of every stage

    def clean(self, raw: RawDocument, stats: dict[str, StageStats] | None = None) -> CleanResult:
        result = self.clean_pre(raw, stats)
        if result.doc is not None:
            self.clean_post(result, self.post, stats)
        return result

    def clean_text(self, text: str, id: str = "doc", **fields: str) -> CleanResult:
        return self.clean(RawDocument(id=id, source=fields.pop("source", ""), data=text, **fields))  # type: ignore[arg-type]

    def clean_pre(self, raw: RawDocument, stats: dict[str, StageStats] | None = None) -> CleanResult:
        st = stats or {}
        t_stats = st.get("decode")
        outcome = decode_within_budget(self.decoder, raw, self.budget)
        if t_stats is not None:
            size = len(raw.data)
            t_stats.docs_in += 1
            t_stats.chars_in += size
            if outcome.doc is None:
                t_stats.docs_dropped += 1
                t_stats.reasons[(outcome.reason or "").split(" | ")[0]] += 1
            else:
                t_stats.docs_out += 1
                t_stats.chars_out += len(outcome.doc.text)
                if outcome.edits:
                    t_stats.docs_modified += 1
                    for e in outcome.edits:
                        t_stats.reasons[e.reason.split(" | ")[0]] += 1
        result = CleanResult(
            id=raw.id,
            source=raw.source,
            input_text=outcome.doc.text if outcome.doc else None,
            input_format=raw.format,
            doc=outcome.doc,
            edits=[("decode", e) for e in outcome.edits],
        )
        if outcome.doc is None:
            result.rejected_stage, result.rejected_reason = "decode", outcome.reason
            return result
        return self.clean_post(result, self.pre, stats)

    def clean_post(self, result: CleanResult, stages: list[Stage], stats: dict[str, StageStats] | None = None) -> CleanResult:
        return run_chain(result, stages, stats, self.budget)


def decode_within_budget(decoder: Decoder, raw: RawDocument, budget: Budget) -> Outcome:
    """Decode under the per-document time budget (decode runs outside `run_stage`; it never
    raises itself). Kept apart so decode can move into `run_stage` without touching callers."""
    from pipeline.stages.deadline import DeadlineExceeded, deadline

    try:
        with deadline(budget.max_seconds):
            return decoder.apply(raw)
    except DeadlineExceeded:
        return Outcome.drop(f"budget:timeout | decode took longer than run.max_stage_seconds {budget.max_seconds:g} s")


def run_chain(result: CleanResult, stages: list[Stage], stats: dict[str, StageStats] | None = None,
              budget: Budget | None = None) -> CleanResult:
    """Run `stages` in order on `result.doc`, recording edits; stops at the first drop."""
    st = stats or {}
    doc = result.doc
    assert doc is not None
    for stage in stages:
        outcome: Outcome = run_stage(stage, doc, st.get(stage.name), budget)
        result.edits.extend((stage.name, e) for e in outcome.edits)
        if outcome.doc is None:
            result.doc = None
            result.rejected_stage, result.rejected_reason = stage.name, outcome.reason
            return result
        doc = outcome.doc
    result.doc = doc
    return result
