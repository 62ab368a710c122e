"""Batched stages (issue 13): `run_stage_batch` and `run_chain_batch` give each document what
running it alone gives, and one bad document in a batch still only drops itself."""

from __future__ import annotations

from pipeline.core.deadline import Budget
from pipeline.core.document import Document, Outcome
from pipeline.core.stage import StageStats, run_stage, run_stage_batch
from pipeline.engine.chain import Cleaner


class Upper:
    """A batch stage that crashes on any batch holding a document with 'boom' in it."""

    name = "upper"
    version = "upper_v1"

    def __init__(self) -> None:
        self.batches: list[int] = []

    def apply(self, doc: Document) -> Outcome:
        if "boom" in doc.text:
            raise ValueError("boom inside")
        return Outcome.keep(doc.with_text(doc.text.upper()))

    def apply_batch(self, docs):
        self.batches.append(len(docs))
        return [self.apply(d) for d in docs]


def _docs(*texts: str) -> list[Document]:
    return [Document(id=f"d{i}", source="t", text=t) for i, t in enumerate(texts)]


def test_one_bad_document_drops_only_itself():
    stage, stats = Upper(), StageStats("upper")
    out = run_stage_batch(stage, _docs("a", "boom", "c"), stats)
    assert [o.doc.text if o.doc else o.reason.split(" | ")[0] for o in out] == ["A", "error:ValueError", "C"]
    assert stage.batches == [3]  # tried as one batch, then one by one
    assert (stats.docs_in, stats.docs_out, stats.docs_dropped) == (3, 2, 1)


def test_line_budget_is_per_document_in_a_batch():
    stage, stats = Upper(), StageStats("upper")
    out = run_stage_batch(stage, _docs("a\nb\nc\nd", "x", "y"), stats, Budget(max_lines=3))
    assert out[0].doc is None and out[0].reason.startswith("budget:too_many_lines")
    assert [o.doc.text for o in out[1:]] == ["X", "Y"]
    assert stage.batches == [2] and stats.docs_in == 3


def test_batch_equals_one_at_a_time_for_the_default_chain():
    texts = [
        "Home\nNews\nSport\nThe council approved the budget on Tuesday after a long debate about schools.\n"
        "Members said the vote came after months of talks with parents and teachers in the city.\n"
        "Share this article\nCookie settings",
        "Buy cheap viagra online now at http://pills-cheap-meds.example.com best price!!!\n"
        "The mayor opened the new library on Friday, and hundreds of residents came to see it.",
        "Short.",
        "",
    ]
    cleaner = Cleaner()
    from pipeline.core.document import RawDocument

    raws = [RawDocument(id=f"r{i}", source="t", data=t) for i, t in enumerate(texts)]
    together = cleaner.clean_pre_batch(raws)
    alone = [cleaner.clean_pre(r) for r in raws]
    assert [(r.doc.text if r.doc else None, r.rejected_reason, r.edits) for r in together] == \
           [(r.doc.text if r.doc else None, r.rejected_reason, r.edits) for r in alone]
    assert any(r.edits for r in together)


def test_single_stage_path_is_unchanged():
    stage = Upper()
    assert run_stage(stage, _docs("q")[0]).doc.text == "Q"
    assert run_stage_batch(stage, _docs("q")) [0].doc.text == "Q" and stage.batches == []


class Sleepy:
    """A per-document stage (no apply_batch) that stalls on one document."""

    name = "sleepy"
    version = "sleepy_v1"

    def apply(self, doc: Document) -> Outcome:
        if "slow" in doc.text:
            import time

            time.sleep(3)
        return Outcome.keep(doc)


def test_time_limit_holds_per_document_in_a_loop_with_one_timer():
    """Without an enclosing alarm (a real run; pytest-timeout's is lifted for the test) the loop
    arms one timer per document through `ItemTimer`: the stalled one is dropped at its limit."""
    import signal
    import time

    saved = signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        t0 = time.monotonic()
        stats = StageStats("sleepy")
        out = run_stage_batch(Sleepy(), _docs("a", "slow", "b"), stats, Budget(max_seconds=0.3))
        elapsed = time.monotonic() - t0
    finally:
        signal.setitimer(signal.ITIMER_REAL, *saved)
    assert [o.doc is not None for o in out] == [True, False, True]
    assert out[1].reason.startswith("budget:timeout | sleepy took longer than run.max_stage_seconds 0.3")
    assert elapsed < 2 and stats.docs_dropped == 1
    assert signal.getsignal(signal.SIGALRM) is not None


def test_line_spans_are_measures_spans():
    """The cheap spans the removal paths use are `measure`'s, field for field, on real articles
    and on awkward line breaks (CR, CRLF, form feed, Unicode separators, blank runs)."""
    import gzip
    import json
    from pathlib import Path

    from pipeline.stages.lines import line_spans, measure

    fixture = Path(__file__).resolve().parent / "fixtures" / "wikinews-300.jsonl.gz"
    with gzip.open(fixture, "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh][:60]
    texts += ["a\r\nb\rc\x0cd\u2028e\u2029f\x85g", "\n\n  \nx\n\n\ny  \n \n", "", "one"]
    for text in texts:
        full = measure(text)
        spans = line_spans(text)
        assert [(s.index, s.start, s.end, s.raw, s.text, s.blank) for s in spans] == \
               [(m.index, m.start, m.end, m.raw, m.text, m.blank) for m in full]
        assert [s.blank_before for s in spans if not s.blank] == [m.blank_before for m in full if not m.blank]
