"""The HTML report opened in a real headless browser (Debian's chromium).

`make test` installs chromium with apt-get when it is missing and it runs as root (as in CI,
the one install path); otherwise these tests skip with the reason — a failure under
NEWSCLEAN_REQUIRE_ALL=1 or when env `CI` is set. Pages are read back with --dump-dom (the DOM
after the report's JavaScript ran) and photographed with --screenshot.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import lxml.html
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline.report.html import write_report
from tests.conftest import absent
from tests.test_report_support import SPAM_REASON, edited_run  # noqa: F401  (fixture)

CHROMIUM = "/usr/bin/chromium"
CIPRO = "buy cipro online"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}; CI is set: the browser tests must run", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def chromium() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(absent(f"Chromium ({CHROMIUM})", "make test installs it as root: apt-get install -y --no-install-recommends chromium"))
    return CHROMIUM


def _chrome(binary: str, profile: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    profile.mkdir(parents=True, exist_ok=True)
    return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *extra, url],
                          capture_output=True, text=True, timeout=120)


def dump_dom(binary: str, tmp: Path, page: Path, fragment: str = "", *extra: str) -> lxml.html.HtmlElement:
    r = _chrome(binary, tmp / "profile", page.resolve().as_uri() + fragment, "--dump-dom", *extra)
    assert r.returncode == 0 and "<html" in r.stdout, r.stderr[-2000:]
    return lxml.html.fromstring(r.stdout)


def screenshot(binary: str, tmp: Path, page: Path, png: Path, fragment: str = "", size: str = "1400,2000") -> Path:
    r = _chrome(binary, tmp / "profile", page.resolve().as_uri() + fragment, f"--screenshot={png}", f"--window-size={size}")
    assert r.returncode == 0 and png.exists(), r.stderr[-2000:]
    return png


def png_distinct_bytes(path: Path) -> int:
    """How many distinct byte values the decompressed pixel rows hold (a blank page has a handful)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat)))


def num(el) -> int:
    return int(el.text_content().split()[0].replace(",", ""))


def one(root, xpath: str):
    found = root.xpath(xpath)
    assert len(found) == 1, (xpath, len(found))
    return found[0]


def doc_section(root, doc_id: str):
    return one(root, f'//section[contains(@class, "doc") and @data-id="{doc_id}"]')


# --- the run on samples/ (the real stages) -----------------------------------------------------


def test_samples_report_funnel_and_spam_line(samples_run, chromium, tmp_path):
    page = write_report(samples_run, tmp_path / "report.html")
    manifest = json.loads((samples_run / "manifest.json").read_text(encoding="utf-8"))
    root = dump_dom(chromium, tmp_path, page, "#doc=001_cbb55a347cb20141&stage=spam")

    assert "js" in root.get("class", "")  # the page's script ran
    for name, s in manifest["stages"].items():
        row = one(root, f'//table[contains(@class, "funnel")]//tr[@data-stage="{name}"]')
        for cls, key in (("docs-in", "docs_in"), ("docs-out", "docs_out"), ("docs-dropped", "docs_dropped"),
                         ("docs-modified", "docs_modified"), ("chars-in", "chars_in"), ("chars-out", "chars_out"),
                         ("chars-removed", "chars_removed")):
            assert num(one(row, f'.//td[contains(@class, "{cls}")]')) == s[key], (name, key)
    c = manifest["counts"]
    for cls, key in (("n-input", "input_documents"), ("n-kept", "kept"), ("n-dups", "duplicates"), ("n-rejected", "rejected")):
        assert num(one(root, f'//*[@id="accounting"]//b[contains(@class, "{cls}")]')) == c[key]

    listed = {a.get("data-id") for a in root.xpath('//ul[@class="doclist"]//a')}
    inputs = ds.dataset([str(p) for p in (samples_run / "stages" / "01_decode").glob("input-*.parquet")]).to_table(columns=["id"]).column("id").to_pylist()
    rejected = pq.read_table(samples_run / "rejected.parquet").column("id").to_pylist()
    assert listed == set(inputs) | set(rejected)  # 10 documents < --max-docs: all of them

    sec = doc_section(root, "001_cbb55a347cb20141")
    assert "active" in sec.get("class")  # the #doc= link opened it

    png = screenshot(chromium, tmp_path, page, tmp_path / "report.png")
    assert png_distinct_bytes(png) > 30, "screenshot looks blank"
    _keep(png, "report-screenshot.png")

    spam_files = [str(p) for p in (samples_run / "stages" / "05_spam").glob("edits-*.parquet")]
    spam_edits = ds.dataset(spam_files).to_table(filter=ds.field("id") == "001_cbb55a347cb20141").num_rows
    assert spam_edits > 0, "the spam stage removed nothing from 001 (the seed with 'buy cipro online')"
    removed = sec.xpath('.//div[contains(@class, "pane-raw")]//del[@data-stage="spam"]')
    hit = [d for d in removed if CIPRO in d.text_content()]
    assert hit, [d.text_content()[:80] for d in removed]
    assert hit[0].get("data-reason").startswith("spam:")
    assert "flash" in hit[0].get("class")  # &stage=spam jumped to it
    clean = one(sec, './/div[contains(@class, "pane-clean")]').text_content()
    assert CIPRO not in clean


# --- a run with stand-in boilerplate/spam stages, duplicates and rejections --------------------


@pytest.fixture(scope="module")
def edited_page(edited_run, tmp_path_factory) -> Path:
    return write_report(edited_run, tmp_path_factory.mktemp("edited_report") / "report.html")


def test_removed_and_changed_spans_are_marked_with_stage_and_reason(edited_run, edited_page, chromium, tmp_path):
    root = dump_dom(chromium, tmp_path, edited_page, "#doc=001_cbb55a347cb20141&stage=spam")
    sec = doc_section(root, "001_cbb55a347cb20141")
    assert "active" in sec.get("class")
    spam = one(sec, './/div[contains(@class, "pane-raw")]//del[@data-stage="spam"]')
    assert CIPRO in spam.text_content() and spam.get("data-reason").startswith(SPAM_REASON) and "flash" in spam.get("class")
    assert "spam" in one(spam, './span[@class="lbl"]').text_content()  # a visible label, not only a tooltip
    clean = one(sec, './/div[contains(@class, "pane-clean")]')
    assert CIPRO not in clean.text_content()
    assert clean.xpath('.//span[@class="gap" and @data-stage="spam"]')  # where it was
    raw_text = (Path(__file__).parents[1] / "samples" / "001_cbb55a347cb20141.txt").read_text(encoding="utf-8")
    raw_pane = one(sec, './/div[contains(@class, "pane-raw")]/div[@class="text"]')
    # The raw pane minus its labels is exactly the input text.
    text_wo_labels = "".join(raw_pane.itertext())
    for lbl in raw_pane.xpath('.//span[@class="lbl"]'):
        text_wo_labels = text_wo_labels.replace(lbl.text_content(), "", 1)
    assert text_wo_labels == raw_text

    moj = doc_section(root, "007_mojibake_festival")
    chg = moj.xpath('.//del[contains(@class, "chg") and @data-stage="fix_encoding"]')
    assert len(chg) == 3 and "festivalâ€™s" in chg[0].text_content()
    assert [m.text_content() for m in chg[0].xpath(".//mark")][0] == "â€™"
    fixed = moj.xpath('.//div[contains(@class, "pane-clean")]//ins[@data-stage="fix_encoding"]')
    assert len(fixed) == 3 and "festival’s" in fixed[0].text_content()


def test_reasons_clusters_and_rejected(edited_run, edited_page, chromium, tmp_path):
    root = dump_dom(chromium, tmp_path, edited_page)
    manifest = json.loads((edited_run / "manifest.json").read_text(encoding="utf-8"))
    for stage, s in manifest["stages"].items():
        for key, count in s["reasons"].items():
            li = one(root, f'//section[@id="reasons"]//li[@data-stage="{stage}" and @data-reason="{key}"]')
            assert num(one(li, './span[@class="count"]')) == count
            assert li.xpath('.//ul[@class="examples"]/li/a[starts-with(@href, "#doc=")]'), (stage, key)
    ex = one(root, f'//li[@data-stage="spam" and @data-reason="{SPAM_REASON}"]//a')  # reason family
    assert ex.get("href") == "#doc=001_cbb55a347cb20141&stage=spam"

    dups = {d["id"]: d for d in pq.read_table(edited_run / "duplicates.parquet").to_pylist()}
    assert "010_near_copy_of_002" in dups  # (008, the syndicated copy, keeps its chrome now: see test_end_to_end)
    dup = dups["010_near_copy_of_002"]
    cluster = one(root, f'//div[@class="cluster" and @data-kept="{dup["duplicate_of"]}"]')
    member = one(cluster, './/li[@data-id="010_near_copy_of_002"]')
    assert one(member, './/b[@class="sim"]').text_content() == f'{dup["similarity"]:.3f}'
    only_kept = " ".join(d.text_content() for d in member.xpath('.//div[@class="dupdiff"]//del'))
    only_dup = " ".join(d.text_content() for d in member.xpath('.//div[@class="dupdiff"]//ins'))
    assert "Subsequently," in only_kept and "Barack" in only_kept and "In" in only_dup

    for r in pq.read_table(edited_run / "rejected.parquet").to_pylist():
        row = one(root, f'//section[@id="rejected"]//tr[@data-id="{r["id"]}"]')
        assert r["reason"] in row.text_content() and r["stage"] in row.text_content()


def test_search_and_next_document_touched_by_a_stage(edited_run, edited_page, chromium, tmp_path):
    # A page that drives the report in an iframe (same folder; file:// access allowed for the test)
    # and writes what it saw into its own DOM for --dump-dom.
    driver = edited_page.parent / "driver.html"
    driver.write_text("""<!DOCTYPE html><html><body><pre id="log"></pre>
<iframe id="f" src="report.html" width="1200" height="800"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  var w = this.contentWindow, d = this.contentDocument, log = [];
  function active() { return d.querySelector('section.doc.active').dataset.id; }
  function shown() { return Array.prototype.filter.call(d.querySelectorAll('ul.doclist li'),
      function (li) { return li.style.display !== 'none'; }).map(function (li) { return li.firstChild.dataset.id; }); }
  log.push('start ' + active());
  var sel = d.getElementById('stage-nav'); sel.value = 'boilerplate';
  for (var i = 0; i < 5; i++) { d.getElementById('next-doc').click(); log.push('next ' + active()); }
  d.getElementById('prev-doc').click(); log.push('prev ' + active());
  var s = d.getElementById('search'); s.value = 'cipro'; s.dispatchEvent(new w.Event('input'));
  log.push('search ' + shown().join(',') + ' | ' + d.getElementById('match-count').textContent + ' | ' + active());
  s.value = '011_too'; s.dispatchEvent(new w.Event('input'));
  log.push('search ' + shown().join(',') + ' | ' + active());
  document.getElementById('log').textContent = log.join('\\n');
});
</script></body></html>""", encoding="utf-8")
    root = dump_dom(chromium, tmp_path, driver, "", "--allow-file-access-from-files", "--virtual-time-budget=5000")
    log = one(root, '//pre[@id="log"]').text_content().splitlines()
    # The documents the boilerplate stage edited, in list order, from the run's own edit table.
    edits = pq.read_table(sorted((edited_run / "stages" / "04_boilerplate").glob("edits-*.parquet"))[0]).to_pylist()
    touched = sorted({e["id"] for e in edits if e["action"] == "modified"})
    assert len(touched) >= 2
    assert log[0] == "start 000_e2e47744eb601a7f"  # first in the list
    assert log[1:6] == [f"next {touched[i % len(touched)]}" for i in range(5)]  # wraps around
    assert log[6] == f"prev {touched[3 % len(touched)]}"
    assert log[7] == "search 001_cbb55a347cb20141 | 1 of 13 documents match | 001_cbb55a347cb20141"
    assert log[8] == "search 011_too_short | 011_too_short"


def test_screenshot_for_people(edited_page, chromium, tmp_path):
    png = screenshot(chromium, tmp_path, edited_page, tmp_path / "report.png")
    assert png_distinct_bytes(png) > 30
    doc = screenshot(chromium, tmp_path, edited_page, tmp_path / "doc.png", "#doc=001_cbb55a347cb20141&stage=spam&focus=1", "1400,1200")
    assert png_distinct_bytes(doc) > 30
    _keep(png, "report-screenshot-edited.png")
    _keep(doc, "report-screenshot-edited-document.png")


def _keep(png: Path, name: str) -> None:
    """Screenshots stay in the test's tmp dir; REPORT_SCREENSHOT_DIR=outputs also copies them there."""
    if os.environ.get("REPORT_SCREENSHOT_DIR"):
        dest = Path(os.environ["REPORT_SCREENSHOT_DIR"])
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(png, dest / name)
