"""A run with real edits in it, for the report and diff tests on a branch where the boilerplate
and spam stages are still placeholders.

Two small stand-in stages (plain line rules written here, no relation to the real scorers) are
put in place of the placeholders while the *real* runner processes a copy of samples/ plus two
extra documents: a near-copy of 002 with one phrase rewritten (-> a near-duplicate cluster)
and a two-word page (-> rejected by the quality stage). Everything after that (edit tables,
stats, manifest, duplicates, rejected) is what the pipeline itself writes.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.document import Document, Edit, Outcome, apply_edits
from tests.conftest import SAMPLES

SPAM_REASON = "spam:standin_link_commerce"
CHROME_REASON = "boilerplate:standin_chrome"
ORIGINAL_PHRASE = "Subsequently, in 2014, then US President Barack Obama"
CHANGED_PHRASE = "In 2014, President Obama"  # shorter, so the original 002 is the one kept


def _line_edits(text: str, rule, reason: str, score: float) -> list[Edit]:
    edits, pos = [], 0
    for line in text.splitlines(keepends=True):
        if rule(line.strip()):
            edits.append(Edit(pos, pos + len(line), line, reason, score))
        pos += len(line)
    return edits


class StandinSpam:
    name, version = "spam", "standin"

    def __init__(self, config=None) -> None:
        pass

    def apply(self, doc: Document) -> Outcome:
        rule = lambda s: "http" in s and bool(re.search(r"\b(buy|pharmacy|prescription|casino)\b", s))  # noqa: E731
        edits = _line_edits(doc.text, rule, SPAM_REASON, 0.97)
        return Outcome.keep(doc.with_text(apply_edits(doc.text, edits)), edits)


class StandinBoilerplate:
    name, version = "boilerplate", "standin"

    def __init__(self, config=None) -> None:
        pass

    def apply(self, doc: Document) -> Outcome:
        rule = lambda s: bool(re.fullmatch(r"\d+|• Live|• Audio Only|• google plus|\(Image: AP\)|Post with no comments\.", s))  # noqa: E731
        edits = _line_edits(doc.text, rule, CHROME_REASON, 0.8)
        return Outcome.keep(doc.with_text(apply_edits(doc.text, edits)), edits)


def build_standin_run(base: Path) -> Path:
    from pipeline.runner import chain
    from pipeline.runner.local import run

    inputs = base / "in"
    shutil.copytree(SAMPLES, inputs)
    text = (SAMPLES / "002_d01ca79ddeb7fd57.txt").read_text(encoding="utf-8")
    assert ORIGINAL_PHRASE in text
    (inputs / "010_near_copy_of_002.txt").write_text(text.replace(ORIGINAL_PHRASE, CHANGED_PHRASE), encoding="utf-8")
    (inputs / "011_too_short.txt").write_text("Click here.\n", encoding="utf-8")
    out = base / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(chain, "Spam", StandinSpam)
        mp.setattr(chain, "Boilerplate", StandinBoilerplate)
        run([inputs], out)
    return out


@pytest.fixture(scope="session")
def standin_run(tmp_path_factory) -> Path:
    return build_standin_run(tmp_path_factory.mktemp("standin_run"))
