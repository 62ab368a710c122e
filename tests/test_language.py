"""The `language` column (issue 17): CLD2 on real articles, never an exception on hostile text,
and the quality rule that depends on it (no word-length rule for scripts without spaces)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.config import PipelineConfig
from pipeline.engine.run import run
from pipeline.stages.language import identify
from pipeline.stages.quality import QualityFilter, score

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _aeb_bodies() -> dict[str, str]:
    truth = json.loads((FIXTURES / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    return {k[:8]: v["articleBody"] for k, v in truth.items()}


def test_real_articles_get_their_language():
    bodies = _aeb_bodies()
    assert identify(bodies["0dd13570"])[0] == "en"
    assert identify(bodies["0ec95c72"])[0] == "ko"  # the Korean AEB page
    with gzip.open(FIXTURES / "wikinews-300.jsonl.gz", "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    found = [identify(t)[0] for t in texts if len(t.split()) >= 50]
    assert found.count("en") >= 0.98 * len(found)


@pytest.mark.parametrize("text", ["", "12 34 56", "😀" * 50])
def test_text_without_language_gives_none(text):
    assert identify(text) == (None, 0.0)


def test_controls_and_lone_surrogates_do_not_raise():
    """CLD2 itself raises on these ("input contains invalid UTF-8"); the text around them counts."""
    code, share = identify("\x00\x01 The council approved the new budget on Tuesday \ud800 after a long debate \x9f.")
    assert code == "en" and 0 < share <= 1


def test_japanese_article_is_not_judged_by_word_length():
    """A Japanese sentence run is one long "word" to \\w+; the language says to skip that rule."""
    text = "東京都は火曜日に来年度の予算案を発表した。新しい図書館と公園の整備に多くの予算が充てられる。" * 6
    s = score(text)
    assert s.language == "ja" and s.mean_word_length == 5.0
    out = QualityFilter().apply(__import__("pipeline").Document(id="j", text=text))
    assert out.doc is not None and out.doc.meta["language"] == "ja"


def test_corpus_has_a_language_column(tmp_path):
    out = tmp_path / "out"
    run([str(FIXTURES / "wikinews-300.jsonl.gz")], out, PipelineConfig())
    table = pq.read_table(out / "corpus")
    langs = table.column("language").to_pylist()
    assert langs.count("en") >= 0.95 * len(langs) > 0
