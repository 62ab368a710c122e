"""The learned lexical score (`pipeline.stages.lexical`) on pages it never saw (the AEB fixture
pages: the regression is fitted on WCXB dev only), and the fallback for pages in languages it
does not know."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.content_data import render_page
from benchmarks.scores import word_prf
from pipeline.stages.content_features import LEXICAL_NAMES, NAMES, line_features
from pipeline.stages.content_model import ContentModel
from pipeline.stages.lexical import MIN_COVERAGE
from tests.helpers import lines_of

AEB = Path(__file__).resolve().parent / "fixtures" / "aeb"
TRUTHS = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
ENGLISH = [AEB / f"{page}.html.gz" for page in ("06e5123e4ef7cfb4533250dc45d1e03d0838fc66223f45c583c4d12f48b4da85",
                                                 "0dd1357045727799a447563fd8851f4ebe79f042073ea16991a9b67aa595f81a")]
KOREAN = "0ec95c7261d122f304728e90c983450ef1ce1e0b423546835c397d50aaf0d0f2"
LEX, COVERAGE = len(NAMES), len(NAMES) + 1


def _page(path: Path) -> tuple[list[str], np.ndarray]:
    """A fixture page's whole-page lines and, per line, whether it is content (at least half of
    its words in the ground truth: the training labels' own rule)."""
    truth = TRUTHS[path.name.split(".")[0]]["articleBody"]
    lines = lines_of(render_page(gzip.decompress(path.read_bytes()).decode("utf-8", "replace")))
    return lines, np.array([word_prf(ln, truth)[0] >= 0.5 for ln in lines])


@pytest.fixture(scope="module")
def model() -> ContentModel:
    return ContentModel.load()


def test_model_ships_a_lexical_score(model):
    assert model.lexical is not None and model.plain is not None
    assert len(model.lexical.known) > 1000


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.name[:8])
def test_lexical_score_tells_chrome_from_content_on_pages_it_never_saw(model, path):
    """On a real English page from another set, the lines of the article score higher than the
    page's menus, teasers and footers, by the words alone."""
    lines, content = _page(path)
    X = line_features(lines, model.lexical)
    assert X[0, COVERAGE] >= MIN_COVERAGE
    assert content.sum() >= 3 and (~content).sum() >= 3
    assert np.median(X[content, LEX]) > np.median(X[~content, LEX]) + 1.0


def test_page_in_a_language_the_regression_never_saw_is_scored_without_it(model):
    """The Korean article's words are mostly unknown to the regression (WCXB dev is English):
    the forest without the lexical columns scores it, line for line."""
    lines = lines_of(TRUTHS[KOREAN]["articleBody"])
    X = line_features(lines, model.lexical)
    assert X.shape[1] == len(NAMES) + len(LEXICAL_NAMES)
    assert X[0, COVERAGE] < MIN_COVERAGE
    np.testing.assert_array_equal(model.predict(X), model.plain.predict(X[:, :len(NAMES)]))


def test_english_page_is_scored_with_it(model):
    lines, _ = _page(ENGLISH[0])
    X = line_features(lines, model.lexical)
    assert not np.array_equal(model.predict(X), model.plain.predict(X[:, :len(NAMES)]))
