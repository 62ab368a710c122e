"""A document's history in a run: its input text and each stage's edits, replayed from OUT/stages.

`load_history(out, id)` for one document; `load_histories(out, ids)` reads every table once for
many documents (what the HTML report uses: one filtered scan per table, never the whole run).
`annotate(history)` turns the replayed edits into pieces of text that know which stage removed or
inserted them, in the coordinates of the *input* text, for side-by-side highlighting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

import pyarrow.dataset as ds

from pipeline.core.document import Edit, apply_edits
from pipeline.errors import PipelineError
from pipeline.io.layout import RunLayout


@dataclass
class StageStep:
    stage: str
    before: str
    after: str | None  # None when this stage dropped the document
    edits: list[Edit] = field(default_factory=list)
    dropped_reason: str | None = None


@dataclass
class History:
    id: str
    source: str | None
    input_text: str | None
    steps: list[StageStep]
    final_text: str | None
    outcome: str  # "kept" | "duplicate" | "rejected"
    input_format: str | None = None
    rejected_stage: str | None = None
    rejected_reason: str | None = None

    @property
    def dropped_by(self) -> str | None:
        """The stage that dropped the document (None when kept)."""
        if self.steps and self.steps[-1].dropped_reason:
            return self.steps[-1].stage
        return self.rejected_stage

    @property
    def last_text(self) -> str | None:
        """The text as it was just before it was dropped, or the final text when kept."""
        if self.final_text is not None:
            return self.final_text
        if self.steps and self.steps[-1].dropped_reason:
            return self.steps[-1].before
        return self.input_text

    def touched_by(self) -> list[str]:
        """Stages that changed or dropped this document, in pipeline order."""
        return [s.stage for s in self.steps if s.edits or s.dropped_reason]


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if not p.name.startswith("."))


def _rows(files: list[Path], ids: list[str], columns: list[str] | None = None) -> list[dict]:
    files = [f for f in files if not f.name.startswith(".") and f.exists()]
    if not files or not ids:
        return []
    dataset = ds.dataset([str(p) for p in sorted(files)], format="parquet")
    flt = ds.field("id") == ids[0] if len(ids) == 1 else ds.field("id").isin(ids)
    return dataset.to_table(filter=flt, columns=columns).to_pylist()


def load_histories(out: str | Path, ids: Iterable[str]) -> dict[str, History]:
    """Histories of many documents, reading each table of the run once (filtered by id).

    Ids the run does not know are left out of the result."""
    layout = RunLayout.of_run(Path(out))
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    inputs = {r["id"]: r for r in _rows(_files(layout.inputs(0).parent, "input-*.parquet"), wanted)}
    rejected = {r["id"]: r for r in _rows([layout.rejected], wanted)}
    edits: dict[str, dict[str, list[dict]]] = {}
    for name in layout.stages:
        for r in _rows(_files(layout.stage_dir(name), "edits-*.parquet"), wanted):
            edits.setdefault(r["id"], {}).setdefault(name, []).append(r)
    result: dict[str, History] = {}
    for doc_id in wanted:
        inp, rej = inputs.get(doc_id), rejected.get(doc_id)
        if inp is None and rej is None:
            continue
        result[doc_id] = _replay(layout.stages, doc_id, inp, rej, edits.get(doc_id, {}))
    return result


def load_history(out: str | Path, doc_id: str) -> History:
    layout = RunLayout.of_run(Path(out))
    found = load_histories(layout.out, [doc_id])
    if doc_id not in found:
        where = layout.inputs(0).parent.relative_to(layout.out)
        raise PipelineError(f"{out}: no document with id '{doc_id}' (is {where}/input-* there?)")
    return found[doc_id]


def _replay(stages: tuple[str, ...], doc_id: str, inp: dict | None, rej: dict | None, by_stage: dict[str, list[dict]]) -> History:
    text = inp["text"] if inp else None
    source = inp["source"] if inp else (rej["source"] if rej else None)
    steps: list[StageStep] = []
    outcome = "kept"
    for name in stages:
        rows = by_stage.get(name)
        if not rows:
            continue
        edits = sorted(
            (Edit(r["start"], r["end"], r["removed"] or "", r["reason"] or "", r["score"], r["replacement"] or "")
             for r in rows if r["action"] == "modified"),
            key=lambda e: (e.start, e.end),
        )
        dropped = next((r["reason"] or "dropped" for r in rows if r["action"] == "dropped"), None)
        before = text or ""
        after = apply_edits(before, edits) if edits else before
        steps.append(StageStep(name, before, None if dropped else after, edits, dropped))
        if dropped:
            outcome = "duplicate" if name == "dedup" else "rejected"
            text = None
            break
        text = after
    if rej is not None and outcome == "kept":
        outcome, text = "rejected", None
    return History(
        doc_id, source, inp["text"] if inp else None, steps, text, outcome,
        input_format=inp.get("format") if inp else None,
        rejected_stage=rej["stage"] if rej else None,
        rejected_reason=rej["reason"] if rej else None,
    )


# --- pieces: the whole history as one sequence of annotated text ------------------------------


@dataclass(frozen=True)
class Piece:
    """A run of text with its fate. `origin` is None for input text, else the stage whose edit
    inserted it; `removed_by` is the stage that removed or replaced it (None = still there)."""

    text: str
    origin: str | None = None
    origin_reason: str | None = None
    removed_by: str | None = None
    reason: str | None = None
    score: float | None = None
    edit: int | None = None  # index into Annotated.edits of the edit that removed it
    origin_edit: int | None = None  # index of the edit that inserted it

    @property
    def live(self) -> bool:
        return self.removed_by is None


@dataclass
class AnnotatedEdit:
    stage: str
    reason: str
    score: float | None
    removed: str
    replacement: str


@dataclass
class Annotated:
    pieces: list[Piece]
    edits: list[AnnotatedEdit]
    notes: list[tuple[str, str]]  # (stage, reason) of edits that change no text (e.g. the charset)


def _split(pieces: list[Piece], pos: int) -> int:
    """Make a piece boundary at live offset `pos`; return the index of the first live piece there."""
    acc = 0
    for i, p in enumerate(pieces):
        if not p.live:
            continue
        n = len(p.text)
        if acc == pos:
            return i
        if acc < pos < acc + n:
            cut = pos - acc
            pieces[i : i + 1] = [replace(p, text=p.text[:cut]), replace(p, text=p.text[cut:])]
            return i + 1
        acc += n
    return len(pieces)


def annotate(history: History) -> Annotated:
    """Replay the stages on pieces of text, so that the final result reads two ways: the input
    with every removed/replaced span marked by stage and reason, and the clean text with every
    inserted span marked. Concatenating the live pieces gives exactly the final text."""
    pieces = [Piece(history.input_text)] if history.input_text else []
    edits: list[AnnotatedEdit] = []
    notes: list[tuple[str, str]] = []
    for step in history.steps:
        for e in sorted(step.edits, key=lambda e: (e.start, e.end), reverse=True):
            if e.start == e.end and not e.replacement:
                notes.append((step.stage, e.reason))
                continue
            k = len(edits)
            edits.append(AnnotatedEdit(step.stage, e.reason, e.score, e.removed, e.replacement))
            i = _split(pieces, e.start)
            j = _split(pieces, e.end)
            for n in range(i, j):
                if pieces[n].live:
                    pieces[n] = replace(pieces[n], removed_by=step.stage, reason=e.reason, score=e.score, edit=k)
            if e.replacement:
                pieces.insert(j, Piece(e.replacement, origin=step.stage, origin_reason=e.reason, origin_edit=k))
        if step.dropped_reason:
            break
    notes.reverse()
    return Annotated([p for p in pieces if p.text], edits, notes)
