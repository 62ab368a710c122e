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
from pipeline.stages.extract import Extract, ExtractConfig

AEB = Path(__file__).resolve().parent / "fixtures" / "aeb"
PAGES = sorted(p.name for p in AEB.glob("*.html.gz"))
KIND = {k: i for i, k in enumerate(page_structure.KINDS)}


def html_of(page: str) -> str:
    return gzip.decompress((AEB / page).read_bytes()).decode("utf-8", errors="replace")


def truth_of(page: str) -> str:
    return json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))[page.split(".")[0]]["articleBody"]


def extract(html: str, method: str = "page_model"):
    return Extract(ExtractConfig(method=method)).apply(Document(id="p", text=html, format="html"))


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
        out = extract(html)
        assert "page model kept" in out.edits[0].reason
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
    kept = set(extract(html).doc.text.splitlines())
    assert not kept & set(menu)


def test_page_model_text_is_lines_of_the_whole_page():
    html = html_of(PAGES[0])
    lines = extract(html).doc.text.splitlines()
    assert lines and set(lines) <= set(page_structure.render(html).lines)


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
