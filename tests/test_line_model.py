"""The learned line scorer: stable hashing, shipped weights, config switch."""

import numpy as np

from pipeline.core.document import Document
from pipeline.stages.boilerplate import Boilerplate, BoilerplateConfig
from pipeline.stages.line_model import LineModel, hashed_grams
from pipeline.stages.lines import measure


def test_hash_is_stable_and_per_line():
    b, o, counts = hashed_grams(["Ab", "xyz"])
    # " ab " -> 2 trigrams + 1 four-gram; " xyz " -> 3 + 2 + 1
    assert counts.tolist() == [3, 6]
    b2, _, _ = hashed_grams(["ab", "XYZ"])
    assert np.array_equal(b, b2)  # lowercased, no per-process salt
    assert b.min() >= 0 and b.max() < 1 << 18


def test_shipped_model_scores_in_unit_interval():
    m = LineModel.load()
    lines = [ln for ln in measure("Subscribe to our newsletter today\n\nThe minister said on Monday that the plan would go ahead.") if not ln.blank]
    p = m.predict(lines)
    assert p.shape == (2,) and ((p >= 0) & (p <= 1)).all()
    assert p[0] > p[1]


def test_learned_signal_can_be_disabled():
    text = "Para.\n\nGet the free app now\n\nThe council met on Tuesday and approved the budget for the year."
    on = Boilerplate(BoilerplateConfig(learned_threshold=0.0)).apply(Document(id="a", text=text))
    off = Boilerplate(BoilerplateConfig(learned_enabled=False, learned_threshold=0.0)).apply(Document(id="a", text=text))
    assert any("learned" in e.reason for e in on.edits)
    assert not any("learned" in e.reason for e in off.edits)
