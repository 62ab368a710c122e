"""The Stage protocol and the one wrapper that runs a stage on a document, counts and times it.

A stage is any object with a stable `name` and a pure `apply(doc) -> Outcome`; heavy resources
are built in its constructor from its (frozen, picklable) config section.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from pipeline.document import Document, Outcome

log = logging.getLogger(__name__)


@runtime_checkable
class Stage(Protocol):
    name: str  # stable, used in output paths and reasons ("boilerplate")
    version: str  # which logic produced the output ("boilerplate_v1")

    def apply(self, doc: Document) -> Outcome: ...


@dataclass
class StageStats:
    """Counts for one stage; `merge` adds shards together so totals never depend on sharding."""

    stage: str
    docs_in: int = 0
    docs_out: int = 0
    docs_modified: int = 0
    docs_dropped: int = 0
    chars_in: int = 0
    chars_out: int = 0
    edits: int = 0
    seconds: float = 0.0
    reasons: Counter = field(default_factory=Counter)

    def record(self, doc: Document, outcome: Outcome, seconds: float) -> None:
        self.docs_in += 1
        self.chars_in += len(doc.text)
        self.seconds += seconds
        self.edits += len(outcome.edits)
        for e in outcome.edits:
            self.reasons[reason_key(e.reason)] += 1
        if outcome.doc is None:
            self.docs_dropped += 1
            self.reasons[reason_key(outcome.reason or "dropped")] += 1
        else:
            self.docs_out += 1
            self.chars_out += len(outcome.doc.text)
            if outcome.edits:
                self.docs_modified += 1

    def merge(self, other: "StageStats") -> "StageStats":
        assert other.stage == self.stage
        return StageStats(
            stage=self.stage,
            docs_in=self.docs_in + other.docs_in,
            docs_out=self.docs_out + other.docs_out,
            docs_modified=self.docs_modified + other.docs_modified,
            docs_dropped=self.docs_dropped + other.docs_dropped,
            chars_in=self.chars_in + other.chars_in,
            chars_out=self.chars_out + other.chars_out,
            edits=self.edits + other.edits,
            seconds=self.seconds + other.seconds,
            reasons=self.reasons + other.reasons,
        )

    def to_dict(self) -> dict:
        return {
            "stage": self.stage,
            "docs_in": self.docs_in,
            "docs_out": self.docs_out,
            "docs_modified": self.docs_modified,
            "docs_dropped": self.docs_dropped,
            "chars_in": self.chars_in,
            "chars_out": self.chars_out,
            "chars_removed": self.chars_in - self.chars_out,
            "edits": self.edits,
            "seconds": round(self.seconds, 4),
            "reasons": dict(sorted(self.reasons.items())),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "StageStats":
        return cls(
            stage=d["stage"],
            docs_in=d["docs_in"],
            docs_out=d["docs_out"],
            docs_modified=d["docs_modified"],
            docs_dropped=d["docs_dropped"],
            chars_in=d["chars_in"],
            chars_out=d["chars_out"],
            edits=d["edits"],
            seconds=d["seconds"],
            reasons=Counter(d["reasons"]),
        )


def reason_key(reason: str) -> str:
    """The family of a reason, for counting: 'spam:link+commercial' -> 'spam:link+commercial',
    but free-form details after ' | ' are cut off so counts stay small."""
    return reason.split(" | ", 1)[0]


def run_stage(stage: Stage, doc: Document, stats: StageStats | None = None, budget=None) -> Outcome:
    """Apply one stage; a crash on one document drops that document with the error as reason
    instead of killing the run. With a `Budget` (pipeline.stages.deadline), a document with too
    many lines or a stage that takes too long on it drops it with a `budget:` reason."""
    from pipeline.stages.deadline import DeadlineExceeded, deadline

    t0 = time.perf_counter()
    try:
        n_lines = budget.over_lines(doc.text) if budget is not None else None
        if n_lines is not None:
            outcome = Outcome.drop(f"budget:too_many_lines | {n_lines} lines > run.max_doc_lines {budget.max_lines}")
        elif budget is not None and budget.max_seconds:
            with deadline(budget.max_seconds):
                outcome = stage.apply(doc)
        else:
            outcome = stage.apply(doc)
    except DeadlineExceeded:
        outcome = Outcome.drop(f"budget:timeout | {stage.name} took longer than run.max_stage_seconds {budget.max_seconds:g} s")
    except MemoryError:
        outcome = Outcome.drop("budget:out_of_memory")
    except Exception as exc:  # noqa: BLE001 - one bad document must not stop a corpus run
        log.warning("%s failed on %s: %s: %s", stage.name, doc.id, type(exc).__name__, exc)
        outcome = Outcome.drop(f"error:{type(exc).__name__} | {str(exc)[:200]}")
    if stats is not None:
        stats.record(doc, outcome, time.perf_counter() - t0)
    return outcome
