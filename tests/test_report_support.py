"""A real run with edits of every kind, for the report and diff tests: samples/ plus a
near-copy of 002 with one phrase rewritten (-> a near-duplicate cluster) and a two-word page
(-> rejected by the quality stage). Everything in it is what the pipeline itself writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

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
    out = base / "out"
    run([inputs], out)
    return out


@pytest.fixture(scope="session")
def edited_run(tmp_path_factory) -> Path:
    return build_edited_run(tmp_path_factory.mktemp("edited_run"))
