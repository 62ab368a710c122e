"""extract's page model: the marked render gives resiliparse's own lines with their element kinds,
the shipped trees match the feature list, and on real pages (the AEB fixtures, never trained on)
the article stays and the menus go."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.content_data import render_page
from benchmarks.scores import word_prf
from pipeline.core.document import Document
from pipeline.stages import page_model, page_structure
from pipeline.stages.boilerplate import Boilerplate, BoilerplateConfig
from pipeline.stages.extract import Extract, ExtractConfig
from tests.helpers import apply_replayable

AEB = Path(__file__).resolve().parent / "fixtures" / "aeb"
PAGES = sorted(p.name for p in AEB.glob("*.html.gz"))
KIND = {k: i for i, k in enumerate(page_structure.KINDS)}


def html_of(page: str) -> str:
    return gzip.decompress((AEB / page).read_bytes()).decode("utf-8", errors="replace")


def truth_of(page: str) -> str:
    return json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))[page.split(".")[0]]["articleBody"]


def extract(html: str, method: str = "page_model"):
    return Extract(ExtractConfig(method=method)).apply(Document(id="p", text=html, format="html"))


def clean(html: str, **boilerplate):
    """extract, then boilerplate deciding from the page model's scores (edits replayed and checked)."""
    doc = extract(html).doc
    return apply_replayable(Boilerplate(BoilerplateConfig(**boilerplate)), doc.text, meta=doc.meta)


@pytest.mark.parametrize("page", PAGES)
def test_marks_leave_the_rendered_lines_as_they_are(page):
    """The element-kind characters go in and come out without moving a space or a line break."""
    html = html_of(page)
    marked = page_structure.render(html)
    assert marked.lines == render_page(html).splitlines()
    assert marked.structure.shape == (len(marked.lines), len(page_structure.KINDS))
    assert ((marked.structure >= 0) & (marked.structure <= 1)).all()


def test_structure_shares_follow_the_markup():
    html = """<html><body>
      <nav><ul><li><a href="/">Home</a></li><li><a href="/a">Archive</a></li></ul></nav>
      <article><h1>Council approves budget</h1>
        <p>The council approved the budget on Tuesday. <a href="/x">Read the full report</a></p>
        <table><tr><td>Votes for</td><td>12</td></tr></table>
      </article>
      <footer><form><p>Subscribe to our letters</p><button>Go</button></form></footer>
    </body></html>"""
    page = page_structure.render(html)
    rows = dict(zip(page.lines, page.structure))
    home = rows["• Home"]
    assert home[KIND["link"]] > 0.7 and home[KIND["chrome"]] > 0.7 and home[KIND["item"]] > 0.7
    assert home[KIND["main"]] == 0
    heading = rows["Council approves budget"]
    assert heading[KIND["heading"]] == 1 and heading[KIND["main"]] == 1 and heading[KIND["link"]] == 0
    para = rows["The council approved the budget on Tuesday. Read the full report"]
    assert 0.3 < para[KIND["link"]] < 0.6 and para[KIND["paragraph"]] == 1 and para[KIND["main"]] == 1
    cells = [v for line, v in rows.items() if "Votes for" in line]
    assert cells and cells[0][KIND["cell"]] == 1
    form = [v for line, v in rows.items() if "Subscribe" in line]
    assert form and form[0][KIND["form"]] > 0.5 and form[0][KIND["chrome"]] == 1


def test_aria_roles_count_as_their_landmark():
    page = page_structure.render('<div role="navigation"><span>Sections</span></div><div role="main"><p>Text of the story.</p></div>')
    rows = dict(zip(page.lines, page.structure))
    assert rows["Sections"][KIND["chrome"]] == 1 and rows["Text of the story."][KIND["main"]] == 1


def test_icon_font_glyphs_stay_text_and_the_marker_range_goes():
    """Icon fonts draw private-use characters of the BMP: page text, kept as resiliparse renders
    it. Plane 15's private-use range carries the marks: no font draws it, so it is dropped."""
    page = page_structure.render("<p>\ue023</p><p>Tail\U000F0005 text</p>")
    assert page.lines == ["\ue023", "Tail text"]


def test_shipped_page_model_matches_its_feature_list():
    with np.load(page_model.WEIGHTS) as z:
        assert [str(n) for n in z["names"]] == page_model.NAMES
    X = page_model.page_features(["Home", "The council approved the budget on Tuesday."],
                                 np.zeros((2, len(page_structure.KINDS)), np.float32), "")
    assert X.shape == (2, len(page_model.NAMES))
    p = page_model.shared().predict(X)
    assert ((p >= 0) & (p <= 1)).all()


def test_real_pages_keep_the_article_and_drop_the_menus():
    """On the four AEB fixture pages (held-out: the model saw WCXB dev only), every article is
    kept nearly whole and most of the page's words that are not article go."""
    recalls, precisions, raw_precisions = [], [], []
    for page in PAGES:
        html, truth = html_of(page), truth_of(page)
        out = clean(html)
        precision, recall, _ = word_prf(out.doc.text, truth)
        recalls.append(recall)
        precisions.append(precision)
        raw_precisions.append(word_prf("\n".join(page_structure.render(html).lines), truth)[0])
    assert min(recalls) >= 0.95, recalls
    assert np.mean(precisions) >= 0.8 and np.mean(precisions) >= np.mean(raw_precisions) + 0.25, (precisions, raw_precisions)


def test_menu_lines_of_a_real_page_go():
    """The opening navigation list of a real page (list items that are all link): none kept."""
    page = PAGES[1]
    html = html_of(page)
    rendered = page_structure.render(html)
    menu = []
    for line, s in zip(rendered.lines, rendered.structure):
        if s[KIND["link"]] < 0.8 or s[KIND["item"]] < 0.8:
            break
        menu.append(line)
    assert len(menu) >= 5
    kept = set(clean(html).doc.text.splitlines())
    assert not kept & set(menu)


def test_extract_gives_the_whole_page_and_its_scores():
    html = html_of(PAGES[0])
    out = extract(html)
    lines = page_structure.render(html).lines
    assert out.doc.text.splitlines() == lines
    scores = page_model.decode_scores(out.doc.meta[page_model.SCORES_KEY])
    assert len(scores) == len(lines) and ((scores >= 0) & (scores <= 1)).all()
    assert f"{len(lines)} lines scored by the page model" in out.edits[0].reason


def test_scores_survive_their_encoding_exactly():
    probs = np.random.default_rng(7).random(1000).astype(np.float32)
    assert np.array_equal(page_model.decode_scores(page_model.encode_scores(probs)), probs)


@pytest.mark.parametrize("page", PAGES)
def test_boilerplate_removes_what_the_page_model_decides_with_reasons(page):
    """extract + boilerplate keep exactly the lines the page model keeps; every removal names the
    page model and its score; the annotation is gone once used."""
    import trafilatura

    html = html_of(page)
    extracted = trafilatura.extract(html, output_format="txt", include_tables=True, include_comments=False,
                                    deduplicate=False) or ""
    rendered = page_structure.render(html)
    keep, probs = page_model.shared().keep(rendered, extracted)
    out = clean(html)
    assert out.doc.text == "\n".join(line for line, k in zip(rendered.lines, keep) if k)
    assert page_model.SCORES_KEY not in out.doc.meta
    assert len(out.edits) == int((~keep).sum())
    for edit in out.edits:
        family, _, signal = edit.reason.partition(" | ")
        assert family in ("boilerplate:page_chrome", "boilerplate:page_outside_main")
        p = float(signal.removeprefix("p_content="))
        assert edit.score == pytest.approx(1 - p, abs=0.006)


def test_a_removed_byline_date_moves_to_the_date_field():
    """The byline line goes as chrome; its date becomes the document's (AEB page 0dd1...)."""
    out = clean(html_of("0dd1357045727799a447563fd8851f4ebe79f042073ea16991a9b67aa595f81a.html.gz"))
    assert out.doc.date == "2018-10-09"


def test_page_threshold_above_one_keeps_the_whole_page():
    html = html_of(PAGES[0])
    out = clean(html, page_threshold=1.01)
    assert out.doc.text == "\n".join(page_structure.render(html).lines) and not out.edits


def test_scores_that_no_longer_match_the_lines_fall_back_to_the_content_model():
    """A stage between extract and boilerplate that changed the number of lines: the scores are
    dropped and the content model decides, as for any text."""
    doc = extract(html_of(PAGES[0])).doc
    shifted = Document(id="p", text="Extra first line\n" + doc.text, meta=doc.meta)
    out = Boilerplate().apply(shifted)
    assert page_model.SCORES_KEY not in out.doc.meta
    assert out.edits and all(not e.reason.startswith("boilerplate:page_") for e in out.edits)


@pytest.mark.parametrize("scores", ["not base64 at all!", "AAAA" * 3 + "AA==", page_model.encode_scores(np.full(3, np.nan))])
def test_scores_that_do_not_read_back_fall_back_to_the_content_model(scores):
    text = "Home\nNews\nThe council approved the budget on Tuesday after a long debate about roads."
    out = Boilerplate().apply(Document(id="p", text=text, meta={page_model.SCORES_KEY: scores}))
    assert out.doc is not None and page_model.SCORES_KEY not in out.doc.meta
    assert all(not e.reason.startswith("boilerplate:page_") for e in out.edits)


def test_trafilatura_method_is_trafilatura_alone():
    import trafilatura

    html = html_of(PAGES[2])
    out = extract(html, method="trafilatura")
    assert out.doc.text == trafilatura.extract(html, output_format="txt", include_tables=True, include_comments=False,
                                               favor_precision=False, favor_recall=False, no_fallback=False,
                                               deduplicate=False)
    assert out.edits[0].reason.endswith("(trafilatura)")


def test_unknown_method_is_a_config_error():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ExtractConfig(method="readability")
