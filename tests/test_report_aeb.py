"""The report of the 181 AEB news pages (real HTML input): its size bound, and a click-through in
headless Chromium — search, a reason's example link, a duplicate cluster's link — with screenshots
kept under outputs/report-screenshots/ (git-ignored; REPORT_SCREENSHOT_DIR moves them)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pipeline.report.html import write_report
from tests.conftest import ROOT, data_path
from tests.test_report_browser import chromium, dump_dom, one, png_distinct_bytes, screenshot  # noqa: F401  (fixture)
from tests.test_report_support import edited_run  # noqa: F401  (fixture)

MAX_REPORT_BYTES = 5 * 1024 * 1024
SHOTS = Path(os.environ.get("REPORT_SCREENSHOT_DIR") or ROOT / "outputs" / "report-screenshots")

# Runs in the report's iframe: each step waits for the hash routing, then logs what is shown.
DRIVER = """<!DOCTYPE html><html><body><pre id="log"></pre>
<iframe id="f" src="report.html" width="1400" height="900"></iframe>
<script>
var STEPS = %s;
document.getElementById('f').addEventListener('load', function () {
  var w = this.contentWindow, d = this.contentDocument, log = [], i = 0;
  function active() { var a = d.querySelector('section.doc.active'); return a ? a.dataset.id : 'none'; }
  function flashed() { var f = d.querySelector('section.doc.active .flash'); return f ? f.dataset.stage : '-'; }
  function next() {
    if (i >= STEPS.length) { document.getElementById('log').textContent = log.join('\\n'); return; }
    var s = STEPS[i++];
    if (s[0] === 'search') {
      var q = d.getElementById('search'); q.value = s[1]; q.dispatchEvent(new w.Event('input'));
    } else {
      var a = d.querySelector(s[1]);
      if (!a) { log.push('missing ' + s[1]); return next(); }
      a.click();
    }
    setTimeout(function () {
      log.push(s[0] + ' ' + active() + ' ' + flashed() + ' | ' + d.getElementById('match-count').textContent);
      next();
    }, 50);
  }
  next();
});
</script></body></html>"""


def drive(binary: str, tmp: Path, page: Path, steps: list[list[str]]) -> list[str]:
    driver = page.parent / "driver.html"
    driver.write_text(DRIVER % json.dumps(steps), encoding="utf-8")
    root = dump_dom(binary, tmp, driver, "", "--allow-file-access-from-files", "--virtual-time-budget=10000")
    return one(root, '//pre[@id="log"]').text_content().splitlines()


def keep(png: Path, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    dest = SHOTS / name
    shutil.copy(png, dest)
    return dest


@pytest.mark.slow
def test_aeb_report_is_small_and_clickable(chromium, tmp_path):
    from pipeline.engine.run import run
    from pipeline.config import load_config

    pages = data_path("scrapinghub-aeb", "html")
    out = tmp_path / "aeb"
    run([pages], out, load_config(None).with_overrides(run={"workers": 2}))
    page = write_report(out)
    size = page.stat().st_size
    assert size <= MAX_REPORT_BYTES, f"report.html is {size:,} bytes > {MAX_REPORT_BYTES:,}"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["input_documents"] == 181

    root = dump_dom(chromium, tmp_path, page)
    listed = root.xpath('//ul[@class="doclist"]//a')
    assert len(listed) == 181
    titled = [a for a in listed if a.xpath('./span[@class="title"]')]
    assert len(titled) == 181  # pages have titles: the list shows them, not 64-hex ids
    # Every reason of the run is explained in the glossary and in the chart.
    for stage, s in manifest["stages"].items():
        for key in s["reasons"]:
            li = one(root, f'//section[@id="reasons"]//li[@data-stage="{stage}" and @data-reason="{key}"]')
            assert li.xpath('./span[@class="meaning small"]'), (stage, key)
            assert root.xpath(f'//ul[@class="rchart"]/li[@data-chart-reason="{key}"]')

    title = titled[0].xpath('./span[@class="title"]')[0].text_content()
    word = max(title.split(), key=len)
    reason = next(k for k, _ in sorted(manifest["stages"]["boilerplate"]["reasons"].items(), key=lambda kv: -kv[1]))
    example = f'#reasons li[data-stage="boilerplate"][data-reason="{reason}"] ul.examples a'
    log = drive(chromium, tmp_path, page, [["search", word], ["reason", example]])
    assert log[0].startswith(f"search {listed[0].get('data-id')} ")  # the searched page opened
    assert "documents match" in log[0]
    ex_id = one(root, f'//section[@id="reasons"]//li[@data-stage="boilerplate" and @data-reason="{reason}"]'
                      '//ul[@class="examples"]/li[1]/a').get("href").split("=")[1].split("&")[0]
    assert log[1].split()[:3] == ["reason", ex_id, "boilerplate"]  # opened at the removed line

    top = screenshot(chromium, tmp_path, page, tmp_path / "top.png", "", "1400,1800")
    doc = screenshot(chromium, tmp_path, page, tmp_path / "doc.png", f"#doc={ex_id}&stage=boilerplate&focus=1", "1400,1100")
    for png in (top, doc):
        assert png_distinct_bytes(png) > 30
    keep(top, "aeb-report-top.png")
    keep(doc, "aeb-report-document.png")


def test_duplicate_cluster_link_opens_the_duplicate(edited_run, chromium, tmp_path):
    page = write_report(edited_run, tmp_path / "report.html")
    link = 'div.cluster li[data-id="010_near_copy_of_002"] a.idlink'
    log = drive(chromium, tmp_path, page, [["cluster", link], ["search", "cipro"]])
    assert log[0].split()[:2] == ["cluster", "010_near_copy_of_002"]
    assert log[1].startswith("search 001_cbb55a347cb20141 ")
    shot = screenshot(chromium, tmp_path, page, tmp_path / "dups.png", "#show=duplicates", "1400,1200")
    assert png_distinct_bytes(shot) > 30
    keep(shot, "edited-report-duplicates.png")
