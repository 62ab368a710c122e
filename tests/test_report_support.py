"""A real run with edits of every kind, for the report and diff tests: samples/ plus a
near-copy of 002 with one phrase rewritten (-> a near-duplicate cluster), a two-word page
(-> rejected by the quality stage) and the whole-page text of a real news page (menus and
footers: a second document the boilerplate stage edits besides 004). Everything in it is what
the pipeline itself writes."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from benchmarks.content_data import render_page
from tests.conftest import SAMPLES

# An English AEB fixture page (tests/fixtures/aeb, with its licence), rendered as whole-page text.
AEB_PAGE = Path(__file__).resolve().parent / "fixtures" / "aeb" / "06e5123e4ef7cfb4533250dc45d1e03d0838fc66223f45c583c4d12f48b4da85.html.gz"

# Reason families the real stages give the seed lines these tests look at.
SPAM_REASON = "spam:link+commercial+cta+pitch"  # the pharmacy line of 001
CHROME_REASON = "boilerplate:chrome"  # "• google plus" and friends in 004: below the content threshold
ORIGINAL_PHRASE = "Subsequently, in 2014, then US President Barack Obama"
CHANGED_PHRASE = "In 2014, President Obama"  # shorter, so the original 002 is the one kept


def build_edited_run(base: Path) -> Path:
    from pipeline.engine.run import run

    inputs = base / "in"
    shutil.copytree(SAMPLES, inputs)
    text = (SAMPLES / "002_d01ca79ddeb7fd57.txt").read_text(encoding="utf-8")
    assert ORIGINAL_PHRASE in text
    (inputs / "010_near_copy_of_002.txt").write_text(text.replace(ORIGINAL_PHRASE, CHANGED_PHRASE), encoding="utf-8")
    (inputs / "011_too_short.txt").write_text("Click here.\n", encoding="utf-8")
    page = gzip.decompress((AEB_PAGE).read_bytes()).decode("utf-8", "replace")
    (inputs / "012_whole_page.txt").write_text(render_page(page), encoding="utf-8")
    out = base / "out"
    run([inputs], out)
    return out


@pytest.fixture(scope="session")
def edited_run(tmp_path_factory) -> Path:
    return build_edited_run(tmp_path_factory.mktemp("edited_run"))
