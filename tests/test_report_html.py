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
    assert len(linked) == 3  # only embedded documents are links; the others say why not
    assert len(examples) - len(linked) == len(root.xpath('//ul[@class="examples"]//span[contains(text(), "over --max-docs")]'))
    # Counts still cover the whole run.
    count = root.xpath('//li[@data-reason="boilerplate:share_widget"]/span[@class="count"]')[0].text
    assert int(count) == manifest["stages"]["boilerplate"]["reasons"]["boilerplate:share_widget"]


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
