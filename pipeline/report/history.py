"""A document's history in a run: its input text and each stage's edits, replayed from OUT/stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.dataset as ds

from pipeline.document import Edit, apply_edits
from pipeline.errors import PipelineError
from pipeline.runner.chain import STAGE_ORDER, stage_dir


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


def _rows(files: list[Path], doc_id: str, columns: list[str] | None = None) -> list[dict]:
    files = [f for f in files if not f.name.startswith(".")]
    if not files:
        return []
    dataset = ds.dataset([str(p) for p in sorted(files)], format="parquet")
    return dataset.to_table(filter=ds.field("id") == doc_id, columns=columns).to_pylist()


def load_history(out: str | Path, doc_id: str) -> History:
    out = Path(out)
    if not (out / "manifest.json").exists():
        raise PipelineError(f"{out}: not a finished run (no manifest.json)")
    inputs = _rows(list((out / "stages" / stage_dir("decode")).glob("input-*.parquet")), doc_id, ["id", "source", "text"])
    rejected = _rows([out / "rejected.parquet"] if (out / "rejected.parquet").exists() else [], doc_id)
    text = inputs[0]["text"] if inputs else None
    source = inputs[0]["source"] if inputs else (rejected[0]["source"] if rejected else None)
    if text is None and not rejected:
        raise PipelineError(f"{out}: no document with id '{doc_id}' (is stages/{stage_dir('decode')}/input-* there?)")
    steps: list[StageStep] = []
    outcome = "kept"
    for name in STAGE_ORDER:
        rows = _edit_rows(out, name, doc_id)
        if not rows:
            continue
        edits = [Edit(r["start"], r["end"], r["removed"] or "", r["reason"], r["score"], r["replacement"] or "")
                 for r in rows if r["action"] == "modified"]
        dropped = next((r["reason"] for r in rows if r["action"] == "dropped"), None)
        before = text or ""
        after = apply_edits(before, edits) if edits else before
        steps.append(StageStep(name, before, None if dropped else after, edits, dropped))
        if dropped:
            outcome = "duplicate" if name == "dedup" else "rejected"
            text = None
            break
        text = after
    if rejected and outcome == "kept":
        outcome = "rejected"
    return History(doc_id, source, inputs[0]["text"] if inputs else None, steps, text, outcome)


def _edit_rows(out: Path, stage: str, doc_id: str) -> list[dict]:
    return _rows(list((out / "stages" / stage_dir(stage)).glob("edits-*.parquet")), doc_id)
