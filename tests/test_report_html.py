"""`pipeline report OUT` without a browser: sampling limits, self-containment, escaping, the command."""

import json

import lxml.html
import pytest
from click.testing import CliRunner

from pipeline.cli.report import report_command
from pipeline.report.html import build_report
from pipeline.engine.run import run
from tests.test_report_support import edited_run  # noqa: F401  (fixture)


def test_sampling_limits_what_is_embedded(edited_run):
    root = lxml.html.fromstring(build_report(edited_run, per_reason=1, max_docs=3))
    docs = root.xpath('//section[contains(@class, "doc") and @data-id]')
    assert len(docs) == 3
    manifest = json.loads((edited_run / "manifest.json").read_text(encoding="utf-8"))
    n_reasons = sum(len(s["reasons"]) for s in manifest["stages"].values())
    examples = root.xpath('//ul[@class="examples"]/li')
    assert len(examples) == n_reasons  # one per reason
    linked = root.xpath('//ul[@class="examples"]/li/a')
    # Only embedded documents are links (one document may be the example of several reasons);
    # the others say why not.
    targets = {a.get("href").split("&")[0].removeprefix("#doc=") for a in linked}
    assert targets == {d.get("data-id") for d in docs}
    assert len(examples) - len(linked) == len(root.xpath('//ul[@class="examples"]//span[contains(text(), "over --max-docs")]'))
    # Counts still cover the whole run.
    count = root.xpath('//li[@data-reason="boilerplate:chrome"]/span[@class="count"]')[0].text
    assert int(count) == manifest["stages"]["boilerplate"]["reasons"]["boilerplate:chrome"]


def test_self_contained_no_network(edited_run):
    page = build_report(edited_run)
    root = lxml.html.fromstring(page)
    assert not root.xpath("//script[@src] | //link | //img | //iframe | //object | //embed")
    for style in root.xpath("//style"):
        assert "url(" not in style.text and "@import" not in style.text
    hrefs = [a.get("href") for a in root.xpath("//a[@href]")]
    assert hrefs and all(h.startswith("#") for h in hrefs)


def test_document_text_is_escaped_not_rendered(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    body = ("The council met on Tuesday <script>window.pwned=1</script> and <b>voted</b> & agreed on the "
            "new budget for roads, schools and the harbour after a long debate that went on until late at night.\n")
    (inp / "markup_in_text.txt").write_text(body, encoding="utf-8")
    out = tmp_path / "out"
    run([inp], out)
    root = lxml.html.fromstring(build_report(out))
    sec = root.xpath('//section[@data-id="markup_in_text"]')[0]
    assert not sec.xpath(".//script | .//b")
    assert "<script>window.pwned=1</script>" in sec.text_content() and "<b>voted</b> &" in sec.text_content()


def test_report_command_writes_the_file_and_errors_in_one_line(edited_run, tmp_path):
    r = CliRunner().invoke(report_command, [str(edited_run), "--per-reason", "2", "--max-docs", "5"])
    assert r.exit_code == 0, r.output
    path = edited_run / "report.html"
    assert str(path) in r.output and path.stat().st_size > 10_000
    assert len(lxml.html.parse(str(path)).getroot().xpath('//section[contains(@class, "doc") and @data-id]')) == 5
    r = CliRunner().invoke(report_command, [str(edited_run)])  # the same rule as run: no silent replacing
    assert r.exit_code == 1 and "--overwrite" in r.output
    r = CliRunner().invoke(report_command, [str(edited_run), "--overwrite", "-q", "-q"])
    assert r.exit_code == 0 and r.output == ""
    other = tmp_path / "elsewhere.html"
    r = CliRunner().invoke(report_command, [str(edited_run), "-o", str(other)])
    assert r.exit_code == 0 and other.exists()
    empty = tmp_path / "not_a_run"
    empty.mkdir()
    r = CliRunner().invoke(report_command, [str(empty)])
    assert r.exit_code == 1 and "no manifest.json" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("bad", [["--per-reason", "0"], ["--max-docs", "0"]])
def test_limits_must_be_positive(edited_run, bad):
    r = CliRunner().invoke(report_command, [str(edited_run), *bad])
    assert r.exit_code == 2


def test_every_reason_of_a_run_is_in_the_glossary(samples_run, edited_run):
    from pipeline.core.registry import default_registry

    reg = default_registry()
    for out in (samples_run, edited_run):
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        for stage, s in manifest["stages"].items():
            for key in s["reasons"]:
                if stage in reg.names:
                    assert reg.explain(stage, key), (stage, key)
    root = lxml.html.fromstring(build_report(edited_run))
    codes = root.xpath('//section[@id="glossary"]//tr/@data-code')
    assert "boilerplate:chrome" in codes and "read:*" in codes and "error:*" in codes
    assert all(reg.spec(n).reasons for n in reg.names)  # every stage module declares its REASONS


def test_html_page_shows_a_bounded_excerpt_and_the_extracted_text_in_place(tmp_path):
    from pipeline.report import doc_view

    inp = tmp_path / "in"
    inp.mkdir()
    para = "The council met on Tuesday and agreed on the new budget for roads, schools and the harbour. "
    body = "".join(f"<p>{para.replace('Tuesday', day)}</p>" for day in ("Monday", "Tuesday", "Friday"))
    page = f"<html><head><title>Budget agreed</title></head><body><nav>{'<a href=/x>Menu item</a> ' * 400}</nav><article>{body}</article></body></html>"
    (inp / "page.html").write_text(page, encoding="utf-8")
    out = tmp_path / "out"
    run([inp], out)
    root = lxml.html.fromstring(build_report(out))
    sec = root.xpath('//section[@data-id="page"]')[0]
    raw = sec.xpath('.//div[contains(@class, "pane-raw")]')[0]
    html_part = raw.xpath('.//details[@class="big"]//del')[0].text_content()
    assert len(html_part) < doc_view.RAW_EXCERPT + 300 and "more characters" in html_part
    assert para.strip() in raw.text_content()  # the extracted text is in the left pane, in place
    labels = sec.xpath('.//span[@class="lbl"]')
    assert sum("extract" in x.text_content() for x in labels) == 1  # one label for the page, not per paragraph
    assert root.xpath('//ul[@class="doclist"]//span[@class="title"]')[0].text_content() == "Budget agreed"


def test_a_run_of_removed_lines_is_one_marked_span(edited_run):
    """The harbour page's menu (eight lines boilerplate removes in a row, each an edit with its own
    score) shows as one span in the raw pane, with the run's length and score range; the edits
    table keeps every line."""
    import pyarrow.dataset as ds

    root = lxml.html.fromstring(build_report(edited_run))
    section = root.xpath('//section[contains(@class, "doc") and @data-id="005_harbour_council"]')[0]
    runs = section.xpath('.//div[contains(@class, "pane-raw")]//del[@data-run and @data-stage="boilerplate"]')
    assert runs
    menu = max(runs, key=lambda d: int(d.get("data-run")))
    text = menu.text_content()
    assert "Politics" in text and "Weather" in text and int(menu.get("data-run")) >= 5
    assert f"{menu.get('data-run')} removals in a row" in menu.get("title")
    edits = ds.dataset(sorted((edited_run / "stages" / "04_boilerplate").glob("edits-*.parquet"))).to_table().to_pylist()
    assert len([e for e in edits if e["id"] == "005_harbour_council"]) >= int(menu.get("data-run"))
