"""annotate(): replaying edits on pieces must reproduce both the input and the clean text."""

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.document import Edit, apply_edits
from pipeline.report.history import History, StageStep, annotate


@st.composite
def stage_edits(draw, text: str):
    """Non-overlapping edits on `text`: removals, replacements and zero-width notes."""
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=8))))
    edits = []
    for a, b in zip(cuts[::2], cuts[1::2]):
        repl = draw(st.sampled_from(["", "", "X", "new words\n"]))
        edits.append(Edit(a, b, text[a:b], f"r{a}", None, repl))
    return edits


@st.composite
def histories(draw):
    text = draw(st.text(alphabet="ab \n", min_size=0, max_size=40))
    steps, cur = [], text
    for name in ("boilerplate", "spam", "quality"):
        edits = draw(stage_edits(cur))
        after = apply_edits(cur, edits)
        steps.append(StageStep(name, cur, after, edits))
        cur = after
    return History("d", "s", text, steps, cur, "kept")


@settings(max_examples=300, deadline=None)
@given(histories())
def test_pieces_reproduce_input_and_final_text(h):
    a = annotate(h)
    assert "".join(p.text for p in a.pieces if p.live) == h.final_text
    assert "".join(p.text for p in a.pieces if p.origin is None) == h.input_text
    # Whatever a stage removed is, in order, exactly the text its edits said they removed.
    for step in h.steps:
        removed = "".join(p.text for p in a.pieces if p.removed_by == step.stage)
        assert removed == "".join(e.removed for e in step.edits)


def test_later_stage_removal_inside_replacement_is_attributed_to_both():
    text = "keep\nMOJIBAKE\nend\n"
    fix = Edit(5, 13, "MOJIBAKE", "fix_encoding:x", None, "fixed line")
    after1 = apply_edits(text, [fix])
    spam = Edit(5, 11, "fixed ", "spam:y", 0.9, "")
    after2 = apply_edits(after1, [spam])
    h = History("d", None, text, [StageStep("fix_encoding", text, after1, [fix]), StageStep("spam", after1, after2, [spam])], after2, "kept")
    a = annotate(h)
    gone = [p for p in a.pieces if p.origin == "fix_encoding" and p.removed_by == "spam"]
    assert [p.text for p in gone] == ["fixed "]
    assert [p.text for p in a.pieces if p.origin is None and p.removed_by == "fix_encoding"] == ["MOJIBAKE"]
    assert after2 == "keep\nline\nend\n"
