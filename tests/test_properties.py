"""Property tests: random bytes and random Unicode never make a stage raise, edits replay
exactly, and the counts always add up."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import PipelineConfig
from pipeline.core.document import Document, RawDocument, apply_edits
from pipeline.engine.chain import Cleaner
from pipeline.engine.plan import Plan

CLEANER = Cleaner(PipelineConfig())
TEXT_STAGES = [s for s in CLEANER.pre[1:] + CLEANER.post if s.name != "extract"]  # after decode: Document -> Document

# Mix real-looking lines with arbitrary Unicode (including controls, surrogates, RTL, emoji).
lines = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["• Home", "Share on Facebook", "buy cheap pills https://x.example/p", "351", "Published 3 May 2021", ""]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=20, max_size=300),
)
documents = st.lists(lines, max_size=25).map("\n".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(["text", "html"]))
def test_random_bytes_never_raise_and_stats_add_up(data, fmt):
    stats = Plan().new_stats()
    result = CLEANER.clean(RawDocument("r", "s", data, format=fmt), stats)
    assert (result.doc is None) == (result.rejected_reason is not None)
    for s in stats.values():
        assert s.docs_in == s.docs_out + s.docs_dropped


@settings(max_examples=200, deadline=None)
@given(text=documents)
def test_text_stages_never_raise_and_edits_replay(text):
    doc = Document("d", text)
    for stage in TEXT_STAGES:
        out = stage.apply(doc)
        if out.doc is None:
            assert out.reason
            return
        assert apply_edits(doc.text, out.edits) == out.doc.text, stage.name
        doc = out.doc


@settings(max_examples=60, deadline=None)
@given(text=documents)
def test_extract_never_raises_on_random_markup(text):
    html = "<html><body><article><p>" + text.replace("\n", "</p><p>") + "</p></article></body></html>"
    stats = Plan().new_stats()
    CLEANER.clean(RawDocument("h", "s", html, format="html"), stats)
    assert stats["extract"].docs_in == stats["extract"].docs_out + stats["extract"].docs_dropped


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(documents, min_size=1, max_size=8), blobs=st.lists(st.binary(max_size=500), max_size=4))
def test_whole_run_accounts_for_every_document(tmp_path_factory, texts, blobs):
    from pipeline.engine.run import run

    base = tmp_path_factory.mktemp("prop")
    inp = base / "in"
    inp.mkdir()
    (inp / "docs.jsonl").write_text("\n".join(json.dumps({"id": f"t{i}", "text": t}) for i, t in enumerate(texts)) + "\n")
    for i, b in enumerate(blobs):
        (inp / f"blob{i}.txt").write_bytes(b)
    m = run([inp], base / "out").manifest
    assert m["accounting"]["ok"]
    assert m["counts"]["input_documents"] == len(texts) + len(blobs)
