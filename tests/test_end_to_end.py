"""One real run over samples/: the output contract, the accounting and what each stage removed."""

import json
import re

import pyarrow.parquet as pq
import pytest

from tests.conftest import SAMPLES, absent

SEEDS = sorted(p.stem for p in SAMPLES.glob("00[0-4]_*.txt"))


@pytest.fixture(scope="module")
def corpus(samples_run):
    return {r["id"]: r for r in pq.read_table(samples_run / "corpus").to_pylist()}


def test_output_contract_files_exist(samples_run):
    for name in ("corpus", "duplicates.parquet", "rejected.parquet", "manifest.json", "stages"):
        assert (samples_run / name).exists(), name
    stage_dirs = sorted(p.name for p in (samples_run / "stages").iterdir())
    assert stage_dirs[:2] == ["01_decode", "02_extract"] and stage_dirs[-1] == "08_dedup"
    for d in stage_dirs:
        stats = json.loads((samples_run / "stages" / d / "stats.json").read_text())
        assert stats["docs_in"] >= stats["docs_out"]


def test_counts_add_up_and_every_id_once(samples_run, corpus):
    m = json.loads((samples_run / "manifest.json").read_text())
    dups = pq.read_table(samples_run / "duplicates.parquet").to_pylist()
    rej = pq.read_table(samples_run / "rejected.parquet").to_pylist()
    n_files = len([p for p in SAMPLES.iterdir() if not p.name.startswith(".")])
    assert m["counts"]["input_documents"] == n_files == len(corpus) + len(dups) + len(rej)
    assert m["accounting"]["ok"] is True
    ids = list(corpus) + [d["id"] for d in dups] + [r["id"] for r in rej]
    assert len(ids) == len(set(ids))
    for lib in ("ftfy", "trafilatura", "pyarrow"):
        assert m["versions"][lib] != "not installed"


def test_junk_lines_are_gone(corpus):
    all_text = "\n".join(r["text"] for r in corpus.values())
    # The spam line and 004's menu. (Kept by the content model, listed in benchmarks/README.md:
    # "Post with no comments", "(Image: AP)", the "351" counter and 008's chrome.)
    for junk in ("buy cipro online", "3-dmed.com", "google plus", "Audio Only"):
        assert junk not in all_text, junk
    lines_004 = [ln.strip() for ln in corpus["004_6557ed33d5c9a9db"]["text"].splitlines()]
    assert "• Live" not in lines_004 and "Live" not in lines_004


def test_seed_bodies_intact(corpus):
    for seed in SEEDS:
        raw = (SAMPLES / f"{seed}.txt").read_text(encoding="utf-8")
        # A metadata prefix (" date 2021-12-30 ") on the first line is moved into `date`.
        paragraphs = [re.sub(r"^date \d{4}-\d\d-\d\d ", "", p.strip())
                      for p in raw.split("\n") if len(p.split()) >= 25 and "http" not in p and "Photo:" not in p]
        assert paragraphs, seed
        for p in paragraphs:
            assert p in corpus[seed]["text"], (seed, p[:60])
    assert "Intervention history" in corpus["003_01bdece3ca2a783f"]["text"]
    assert "Why are US troops deployed in Iraq?" in corpus["002_d01ca79ddeb7fd57"]["text"]


def test_seeds_not_merged(samples_run, corpus):
    dups = {d["id"]: d for d in pq.read_table(samples_run / "duplicates.parquet").to_pylist()}
    for seed in SEEDS:
        assert seed in corpus and seed not in dups


def test_every_stage_did_real_work(samples_run):
    m = json.loads((samples_run / "manifest.json").read_text())
    s = m["stages"]
    assert s["decode"]["reasons"].get("decode:cp1252 via detected") == 1
    assert s["decode"]["docs_dropped"] >= 1  # the empty file
    assert s["extract"]["docs_modified"] == 1
    assert s["fix_encoding"]["docs_modified"] >= 1
    # The menu of 004 goes; 008's "Listen to this article" and share bar sit just above the
    # model's inside-the-article threshold (p 0.34 against 0.3) since its retraining, a known
    # gap of short pages (benchmarks/README.md), so one document is what can be asserted.
    assert s["boilerplate"]["docs_modified"] >= 1 and s["boilerplate"]["reasons"].get("boilerplate:chrome", 0) >= 4
    assert s["spam"]["docs_modified"] >= 1


def test_encodings_repaired(corpus):
    assert "Élodie Marchetti" in corpus["006_cp1252_tourist_levy"]["text"]
    assert corpus["006_cp1252_tourist_levy"]["charset"] == "cp1252"
    assert "Renée Okafor" in corpus["007_mojibake_festival"]["text"]
    assert corpus["005_harbour_council"]["title"].startswith("Harbour council approves")
    assert "Share on Facebook" not in corpus["005_harbour_council"]["text"]


def test_corpus_loads_in_other_readers(samples_run):
    import pyarrow.dataset as ds

    t = ds.dataset(samples_run / "corpus", format="parquet").to_table()
    assert t.schema.field("id").type == "string" and t.num_rows >= 8
    duckdb = pytest.importorskip("duckdb", reason=absent("duckdb", "a test extra"))
    n = duckdb.sql(f"select count(*) from read_parquet('{samples_run / 'corpus'}/*.parquet')").fetchall()[0][0]
    assert n == t.num_rows
    pd = pytest.importorskip("pandas", reason=absent("pandas", "a test extra"))
    assert len(pd.read_parquet(samples_run / "corpus")) == t.num_rows
    pl = pytest.importorskip("polars", reason=absent("polars", "a test extra"))
    df = pl.read_parquet(str(samples_run / "corpus" / "*.parquet"))
    assert df.height == t.num_rows and df["text"].str.len_chars().min() > 0


def test_page_url_from_canonical_or_og_url():
    from pipeline.stages.extract import page_url

    assert page_url('<head><link href="https://ex.org/a?x=1&amp;y=2" rel="canonical"></head>') == "https://ex.org/a?x=1&y=2"
    assert page_url("<meta property='og:url' content='https://ex.org/b'><link rel=canonical href=/relative>") == "https://ex.org/b"
    assert page_url("<link rel=stylesheet href=https://ex.org/s.css>") is None


def test_corpus_has_url_from_the_page_a_utc_date_the_raw_date_and_a_quality_score(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.engine.run import run

    inp = tmp_path / "in"
    inp.mkdir()
    body = "".join(f"<p>The council met on {d} and agreed on the new budget for roads, schools and the harbour after a long debate.</p>"
                   for d in ("Monday", "Tuesday", "Friday"))
    (inp / "page.html").write_text(f'<html><head><title>Budget</title><link rel="canonical" href="https://news.example/budget">'
                                   f"</head><body><article>{body}</article></body></html>", encoding="utf-8")
    (inp / "items.jsonl").write_text(
        '{"id": "tz", "date": "2021-12-09T10:00:00+02:00", "text": "The harbour council agreed on the new budget for roads and schools after a debate that lasted until late at night on Tuesday."}\n'
        '{"id": "vague", "date": "yesterday", "text": "Fishermen in the northern port say the storm season came early this year and several boats stayed in harbour for a week."}\n',
        encoding="utf-8")
    out = tmp_path / "out"
    run([inp], out)
    t = pq.read_table(sorted((out / "corpus").glob("*.parquet"))[0])
    assert t.schema.field("date").type == pa.timestamp("us", tz="UTC") and t.schema.field("quality_score").type == pa.float64()
    rows = {r["id"]: r for r in t.to_pylist()}
    assert rows["page"]["url"] == "https://news.example/budget"
    assert (rows["tz"]["date"].hour, str(rows["tz"]["date"].tzinfo)) == (8, "UTC") and rows["tz"]["date_raw"] == "2021-12-09T10:00:00+02:00"
    assert rows["vague"]["date"] is None and rows["vague"]["date_raw"] == "yesterday"
    assert all(0.0 <= r["quality_score"] <= 1.0 for r in rows.values())
