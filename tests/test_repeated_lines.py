"""repeated_lines: map keys, bounded counts, merge and removal."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.document import Document, apply_edits
from pipeline.stages.repeated_lines import LineCounts, RepeatedLines, RepeatedLinesConfig, RepeatedLinesPass, line_keys, source_group

CFG = RepeatedLinesConfig(min_docs=3)
FOOTER = "Contact us at news@example.org | Terms | Privacy"
QUOTE = "\u201cWe are ready from today,\u201d he said."


def doc(i: int, body: str, url: str | None = "https://www.example.org/a", source: str = "crawl/site/f.jsonl") -> Document:
    return Document(id=str(i), text=body, url=url and f"{url}{i}", source=source)


def corpus():
    docs = []
    for i in range(6):
        w = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"][i]
        body = f"Story {w} about the {w} topic.\n\nAnother paragraph on {w}.\n\n{FOOTER}\n"
        if i < 2:
            body = f"{QUOTE}\n\n" + body  # quote shared by two syndicated stories only
        docs.append(doc(i, body))
    return docs


def counts_of(docs, cfg=CFG):
    c = LineCounts()
    for d in docs:
        c.add(line_keys(d, cfg))
    return c


def test_footer_removed_quote_and_unique_lines_kept():
    docs = corpus()
    stage = RepeatedLines(CFG, counts_of(docs).repeated(CFG))
    for d in docs:
        out = stage.apply(d)
        assert FOOTER not in out.doc.text
        assert out.doc.text.count("Story ") == 1 and "Another paragraph on" in out.doc.text
        assert apply_edits(d.text, out.edits) == out.doc.text
        assert all(e.reason.startswith("repeated_lines:cross_document") for e in out.edits)
    assert QUOTE in stage.apply(docs[0]).doc.text


def test_counts_once_per_document_and_digits_normalised():
    d = doc(1, "Updated 12 May\nUpdated 13 May\n")
    c = LineCounts()
    c.add(line_keys(d, CFG))
    assert list(c.counts.values()) == [1]


def test_other_source_does_not_count():
    docs = corpus()[:2] + [doc(i, f"x {i}\n{FOOTER}\n", url="https://other.example.com/") for i in range(2, 6)]
    assert not (counts_of(docs).repeated(CFG) & set(line_keys(docs[0], CFG)))


def test_source_group_without_url_uses_folder():
    a = Document(id="a", text="", source="crawl/site1/part-1.jsonl")
    b = Document(id="b", text="", source="crawl/site1/part-2.jsonl")
    assert source_group(a, CFG) == source_group(b, CFG) == "crawl/site1"
    file_cfg = RepeatedLinesConfig(source_group="file")
    assert source_group(a, file_cfg) != source_group(b, file_cfg)
    assert source_group(Document(id="c", text="", url="https://www.bbc.co.uk/news/x"), CFG) == "bbc.co.uk"


def test_merge_equals_single_pass():
    docs = corpus()
    left, right = counts_of(docs[:3]), counts_of(docs[3:])
    assert left.merge(right).counts == counts_of(docs).counts


def test_pruning_bounds_memory_and_only_undercounts():
    c = LineCounts(max_keys=1000)
    for i in range(5000):
        c.add([i, -1])  # key -1 in every doc, the rest unique
    assert len(c) <= 1000
    assert c.counts[-1] == 5000
    assert c.error >= 1


def test_disabled_or_empty_is_noop():
    d = corpus()[0]
    assert RepeatedLines(RepeatedLinesConfig(enabled=False), frozenset({1})).apply(d).doc is d
    assert RepeatedLines(CFG, frozenset()).apply(d).doc is d


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=10).map("\n".join))
def test_random_text_removal_replays(text):
    d = Document(id="r", text=text, source="s/f")
    keys = frozenset(line_keys(d, CFG))
    out = RepeatedLines(CFG, keys).apply(d)
    assert apply_edits(text, out.edits) == out.doc.text


def _word(n: int) -> str:
    """A distinct letters-only word per n (digits would normalise to the same key)."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out += chr(97 + r)
        if n == 0:
            return out


def test_max_keys_bounds_the_counts_the_engine_builds():
    docs = [doc(i, "\n".join(f"line {_word(i * 100 + j)} of story" for j in range(100)) + f"\n{FOOTER}\n") for i in range(15)]
    capped = RepeatedLinesPass(RepeatedLinesConfig(min_docs=3, max_keys=1000))
    counts = capped.observe(docs)  # 1,501 distinct keys seen
    assert counts.max_keys == 1000 and len(counts) <= 1000 and counts.error >= 1
    assert len(RepeatedLinesPass(CFG).observe(docs)) == 1501  # the default cap keeps them all
    # Pruning drops the rarest keys only: the footer is still found repeated after the merge.
    repeated = capped.merge([counts, capped.observe(docs[:3])])
    assert set(line_keys(docs[0], CFG)) & repeated
    assert FOOTER not in capped.apply(docs[0], repeated).doc.text


def test_keys_of_real_lines_match_a_line_by_line_reference():
    """The batch keys (Arrow normalisation, the length bound before counting words, `wanted`)
    against a per-line reference written with `re` and `lines.measure`, on the Wikinews articles,
    the same articles as one long line each (over max_words) and with "_" for spaces."""
    import gzip
    import json
    import re
    from pathlib import Path

    from pipeline.stages import repeated_lines as rl
    from pipeline.stages.lines import measure

    fixture = Path(__file__).resolve().parent / "fixtures" / "wikinews-300.jsonl.gz"
    with gzip.open(fixture, "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    texts += [" ".join(t.split()) for t in texts[:40]] + [t.replace(" ", "_") for t in texts[40:60]]
    docs = [Document(id=str(i), source="/crawl/site/a.txt", text=t) for i, t in enumerate(texts)]
    config = RepeatedLinesConfig()

    def reference(doc):
        out = {}
        for i, raw in enumerate(doc.text.splitlines()):
            s = raw.strip()
            norm = re.sub(r"[\W_]+", " ", re.sub(r"\d+", "0", s.lower())).strip()
            if s and len(norm) >= config.min_chars and measure(s)[0].n_words <= config.max_words:
                out[i] = rl._key("/crawl/site", norm)
        return out

    expected = [reference(d) for d in docs]
    assert rl._keys_by_line(docs, config) == expected
    assert sum(not e for e in expected[300:340]) >= 20  # one line of more than max_words: no key
    wanted = frozenset(k for e in expected[::3] for k in e.values())
    assert rl._keys_by_line(docs, config, wanted) == [{n: k for n, k in e.items() if k in wanted} for e in expected]


def test_noted_keys_give_the_outcomes_of_keying_again():
    """The engine keeps what `observe_noting` noted of each document beside it between the
    phases and `apply_batch` reads those notes instead of keying the lines again: on real
    articles with a shared footer (some lines too long to key) the outcomes equal `apply` one
    document at a time, for the whole batch and for a subset in another order (what `Bound`
    hands over when the chain retries documents)."""
    import gzip
    import json
    from pathlib import Path

    from pipeline.core.stage import Bound

    fixture = Path(__file__).resolve().parent / "fixtures" / "wikinews-300.jsonl.gz"
    with gzip.open(fixture, "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh][:120]
    texts = [t + (f"\n\n{FOOTER}\nUpdated {i} May\n" if i % 2 else "") for i, t in enumerate(texts)]
    texts += [" ".join(t.split()) for t in texts[:10]]
    docs = [Document(id=str(i), source="/crawl/site/a.txt", text=t) for i, t in enumerate(texts)]
    stage = RepeatedLinesPass(RepeatedLinesConfig())
    observation, notes = stage.observe_noting(docs)
    assert len(notes) == len(docs)
    assert observation.counts == stage.observe(docs).counts
    fact = stage.merge([observation])
    assert fact
    one_by_one = [stage.apply(d, fact) for d in docs]
    assert sum(bool(o.edits) for o in one_by_one) >= 60  # the footer and the "Updated" line go
    assert stage.apply_batch(docs, fact, notes) == one_by_one
    # the notes are what is read: documents noted as having no keyed line lose nothing
    import pyarrow as pa
    from pipeline.stages.repeated_lines import NOTE_TYPE

    assert not any(o.edits for o in stage.apply_batch(docs, fact, pa.array([[]] * len(docs), NOTE_TYPE)))
    bound = Bound(stage, fact, notes, {d.id: i for i, d in enumerate(docs)})
    subset = docs[::-3]
    assert bound.apply_batch(subset) == [one_by_one[int(d.id)] for d in subset]
