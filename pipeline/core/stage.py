"""The stage protocols and the one wrapper that runs a stage on one input, counts and times it.

A stage is any object with a stable `name` and a pure `apply(item) -> Outcome`; heavy resources
are built in its constructor from its (frozen, picklable) config section. A corpus-wide stage
observes every shard, merges the observations once, then applies the result per document.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from contextlib import nullcontext
from typing import Any, Generic, Iterable, Mapping, Protocol, Sequence, TypeVar, runtime_checkable

from pipeline.core.deadline import Budget, DeadlineExceeded, ItemTimer, deadline
from pipeline.core.document import Document, Outcome, RawDocument

log = logging.getLogger(__name__)

In = TypeVar("In", contravariant=True)  # RawDocument for decode, Document after it
Out = TypeVar("Out", bound=Document, covariant=True)
Obs = TypeVar("Obs")  # what one shard observed (picklable: it crosses processes)
Fact = TypeVar("Fact")  # what the merge of all observations decided


@runtime_checkable
class Stage(Protocol[In, Out]):
    """A per-document stage: decode is Stage[RawDocument, Document], the rest take and give
    Documents (the new document travels in `Outcome.doc`)."""

    name: str  # stable, used in output paths and reasons ("boilerplate")
    version: str  # which logic produced the output ("boilerplate_v1")

    def apply(self, item: In) -> Outcome: ...


class BatchStage(Stage[In, Out], Protocol[In, Out]):
    """A stage that can also take many documents in one call, for speed: `apply_batch(items)`
    must equal `[apply(item) for item in items]`, each document's outcome independent of the
    others in the batch (so results never depend on how a run is sharded)."""

    def apply_batch(self, items: Sequence[In]) -> list[Outcome]: ...


class CorpusStage(Protocol[Obs, Fact]):
    """A corpus-wide stage: `observe` each shard's documents, `merge` all observations once,
    then `apply(doc, fact)` per document like any other stage (through `Bound`)."""

    name: str
    version: str

    def observe(self, docs: Iterable[Document]) -> Obs: ...

    def merge(self, observations: Iterable[Obs]) -> Fact: ...

    def apply(self, doc: Document, fact: Fact) -> Outcome: ...


@dataclass(frozen=True)
class Bound(Generic[Obs, Fact]):
    """A corpus-wide stage with its merged fact: a per-document Stage for `run_stage`.

    A stage with `observe_noting(docs) -> (observation, notes)` notes something of each
    document as it observes it (one value each in an Arrow array; repeated_lines: its keyed
    lines); the engine keeps the notes beside the documents and binds them here (`notes`, with
    `noted`: document id -> its note's row), and `apply_batch(docs, fact, notes)` then reads
    them instead of computing them again. Outcomes are the same with or without notes."""

    stage: CorpusStage[Obs, Fact]
    fact: Fact
    notes: Any = None
    noted: Mapping[str, int] | None = None

    @property
    def name(self) -> str:
        return self.stage.name

    @property
    def version(self) -> str:
        return self.stage.version

    def apply(self, doc: Document) -> Outcome:
        return self.stage.apply(doc, self.fact)

    def apply_batch(self, docs: Sequence[Document]) -> list[Outcome]:
        batch = getattr(self.stage, "apply_batch", None)
        if batch is None:
            return [self.stage.apply(doc, self.fact) for doc in docs]
        if self.notes is None or self.noted is None:
            return batch(docs, self.fact)
        return batch(docs, self.fact, self.notes.take([self.noted[d.id] for d in docs]))


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

    def record(self, chars_in: int, outcome: Outcome, seconds: float) -> None:
        self.docs_in += 1
        self.chars_in += chars_in
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


# Reason codes any stage may record (see StageSpec.reasons for each stage's own).
REASONS = {
    "error:*": "the stage crashed on this document (the exception type follows); the document is "
               "rejected and the run goes on",
    "budget:too_many_lines": "the document has more lines than run.max_doc_lines; rejected before the stage runs",
    "budget:timeout": "the stage took longer than run.max_stage_seconds on this document",
    "budget:out_of_memory": "the stage ran out of memory on this document",
}


def reason_key(reason: str) -> str:
    """The family of a reason, for counting: 'spam:link+commercial' -> 'spam:link+commercial',
    but free-form details after ' | ' are cut off so counts stay small."""
    return reason.split(" | ", 1)[0]


def input_size(item: RawDocument | Document) -> int:
    """Characters (or raw bytes, before decoding) a stage received: its stats' chars_in."""
    return len(item.text) if isinstance(item, Document) else len(item.data)


def run_stage(stage: Stage[In, Out], item: In, stats: StageStats | None = None, budget: Budget | None = None,
              timer: ItemTimer | None = None) -> Outcome:
    """Apply one stage; a crash on one document drops that document with the error as reason
    instead of killing the run. With a `Budget` (the run's per-document limits), a document
    with too many lines or a stage that takes too long on it is dropped with a `budget:` reason;
    the same for every stage, decode included (its input has no lines yet: time only)."""
    limits = budget or Budget()  # no budget: no limits
    t0 = time.perf_counter()
    try:
        n_lines = limits.over_lines(item.text) if isinstance(item, Document) else None
        if n_lines is not None:
            outcome = Outcome.drop(f"budget:too_many_lines | {n_lines} lines > run.max_doc_lines {limits.max_lines}")
        elif limits.max_seconds and timer is not None and timer.active:
            timer.start()  # the loop's handler is installed: one timer call, not a handler swap
            try:
                outcome = stage.apply(item)
            finally:
                timer.stop()
        elif limits.max_seconds:
            with deadline(limits.max_seconds):
                outcome = stage.apply(item)
        else:
            outcome = stage.apply(item)
    except DeadlineExceeded:
        outcome = Outcome.drop(f"budget:timeout | {stage.name} took longer than run.max_stage_seconds {limits.max_seconds:g} s")
    except MemoryError:
        outcome = Outcome.drop("budget:out_of_memory")
    except Exception as exc:  # noqa: BLE001 - one bad document must not stop a corpus run
        log.warning("%s failed on %s: %s: %s", stage.name, item.id, type(exc).__name__, exc)
        outcome = Outcome.drop(f"error:{type(exc).__name__} | {str(exc)[:200]}")
    if stats is not None:
        stats.record(input_size(item), outcome, time.perf_counter() - t0)
    return outcome


def run_stage_batch(stage: Stage[In, Out], items: Sequence[In], stats: StageStats | None = None,
                    budget: Budget | None = None) -> list[Outcome]:
    """`run_stage` over many documents, in one `apply_batch` call when the stage has one. The
    budget's line limit is checked per document first; its time limit applies to the batch as
    a whole (per-document limit x documents). If the batch call fails or runs out of time, the
    documents are run again one by one, so only the document at fault is dropped, with its own
    reason, exactly as `run_stage` would."""
    batch = getattr(stage, "apply_batch", None)
    limits = budget or Budget()
    if batch is None or len(items) < 2:
        with ItemTimer(limits.max_seconds) as timer:
            return [run_stage(stage, item, stats, limits, timer) for item in items]
    outcomes: list[Outcome | None] = [None] * len(items)
    todo = []
    for i, item in enumerate(items):
        if isinstance(item, Document) and limits.over_lines(item.text) is not None:
            outcomes[i] = run_stage(stage, item, stats, limits)  # drops it with the budget reason
        else:
            todo.append(i)
    t0 = time.perf_counter()
    try:
        with deadline(limits.max_seconds * len(todo)) if limits.max_seconds else nullcontext():
            results = batch([items[i] for i in todo])
    except (Exception, DeadlineExceeded):  # noqa: BLE001 - MemoryError included: retry singly
        log.info("%s: batch of %d failed, running its documents one by one", stage.name, len(todo))
        return [o if o is not None else run_stage(stage, items[i], stats, limits) for i, o in enumerate(outcomes)]
    seconds = (time.perf_counter() - t0) / max(len(todo), 1)
    for i, outcome in zip(todo, results):
        outcomes[i] = outcome
        if stats is not None:
            stats.record(input_size(items[i]), outcome, seconds)
    return outcomes  # type: ignore[return-value]
