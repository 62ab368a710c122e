"""The accounting check and `pipeline stats` against a run's own tables, with a real fault: a
stage registered from the suite (tests.helpers.LOSE_DOCUMENT) hands one document on under
another one's id, so the run must end in MISMATCH and a non-zero exit. (Dedup is off in those
runs: with it on, dedup's own guard refuses the repeated id first.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from tests.conftest import SAMPLES
from tests.helpers import with_lost_document, write_articles


NO_DEDUP = "dedup:\n  enabled: false\n"


@pytest.fixture(scope="module")
def mismatched_run(tmp_path_factory) -> tuple[Path, object]:
    import pipeline.engine.plan as plan

    base = tmp_path_factory.mktemp("mismatch")
    inputs = write_articles(base / "in", ["keep_me", "lose_me", "other"])
    cfg = base / "no_dedup.yaml"
    cfg.write_text(NO_DEDUP)
    mp = pytest.MonkeyPatch()  # the CLI takes no registry: its default one gets the faulty stage
    mp.setattr(plan, "default_registry", with_lost_document)
    try:
        r = CliRunner().invoke(main, ["run", str(inputs), "--out", str(base / "out"), "-w", "1", "--config", str(cfg)])
    finally:
        mp.undo()
    return base / "out", r


def test_lost_document_fails_the_run_with_mismatch(mismatched_run):
    out, r = mismatched_run
    assert r.exit_code == 1, r.output
    assert "(accounting MISMATCH)" in r.output
    assert "counts do not add up" in r.output and "Traceback" not in r.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["accounting"]["ok"] is False
    assert m["accounting"]["ids_seen"] == 3 and m["accounting"]["unique_ids"] == 2
    assert (out / "_work").is_dir(), "a failed accounting keeps the scratch folder for inspection"


def test_stats_of_a_mismatched_run_says_mismatch(mismatched_run):
    out, _ = mismatched_run
    r = CliRunner().invoke(main, ["stats", str(out)])
    assert r.exit_code == 0, r.output
    assert "(MISMATCH)" in r.output and "(ok)" not in r.output


def test_api_run_reports_the_mismatch(tmp_path):
    from pipeline.config import PipelineConfig
    from pipeline.engine.run import run

    inputs = write_articles(tmp_path / "in", ["keep_me", "lose_me"])
    cfg = PipelineConfig().with_overrides(dedup={"enabled": False})
    result = run([inputs], tmp_path / "out", cfg, registry=with_lost_document())
    assert result.manifest["accounting"]["ok"] is False
    plain = run([inputs], tmp_path / "plain", cfg)
    assert plain.manifest["accounting"]["ok"] is True and not (tmp_path / "plain" / "_work").exists()


def test_a_sound_run_prints_ok_and_exits_0(tmp_path):
    inputs = write_articles(tmp_path / "in", ["keep_me", "lose_me"])
    r = CliRunner().invoke(main, ["run", str(inputs), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0 and "(accounting ok)" in r.output, r.output


# --- `pipeline stats` checked against the tables of a real run --------------------------------

# stage, docs in, out, changed, dropped, chars in, chars out, removed (decode: 'bytes->chars'), sec
STAGE_ROW = re.compile(r"^(\w+)" + r"\s+([\d,]+)" * 6 + r"\s+(\S+)\s+([\d.]+)$")


def _stats_rows(output: str) -> dict[str, tuple[int, ...]]:
    """{stage: (docs in, out, changed, dropped, chars in, chars out)} of the stats table."""
    rows = {}
    for line in output.splitlines():
        m = STAGE_ROW.match(line.strip())
        if m:
            rows[m.group(1)] = tuple(int(x.replace(",", "")) for x in m.groups()[1:7])
    return rows


def _stats_reasons(output: str) -> dict[tuple[str, str], int]:
    """{(stage, reason as shown under the stage's heading): count} of the reasons section."""
    reasons, stage = {}, None
    for line in output.split("reasons (edits, or dropped documents):", 1)[-1].splitlines():
        if m := re.match(r"^  (\w+)$", line):
            stage = m.group(1)
        elif (m := re.match(r"^    \s*([\d,]+)  (\S.*)$", line)) and stage:
            reasons[(stage, m.group(2))] = int(m.group(1).replace(",", ""))
    return reasons


def _shown(stage: str, reason: str) -> str:
    return reason[len(stage) + 1:] if reason.startswith(stage + ":") else reason


def test_stats_funnel_matches_the_tables(samples_run):
    r = CliRunner().invoke(main, ["stats", str(samples_run)])
    assert r.exit_code == 0, r.output
    rows = _stats_rows(r.output)
    manifest = json.loads((samples_run / "manifest.json").read_text())
    names = list(manifest["stages"])
    assert list(rows) == names

    corpus = pq.read_table(samples_run / "corpus").to_pylist()
    dups = pq.read_table(samples_run / "duplicates.parquet").to_pylist()
    rejected = pq.read_table(samples_run / "rejected.parquet").to_pylist()
    n_input = len([p for p in SAMPLES.iterdir() if not p.name.startswith(".")])
    read_failures = sum(x["stage"] == "read" for x in rejected)

    # Docs flow: a stage takes what the previous one let through and drops what rejected.parquet
    # (or duplicates.parquet, for dedup) says it dropped.
    docs = n_input - read_failures
    for name in names:
        docs_in, docs_out, changed, dropped, chars_in, chars_out = rows[name]
        want_dropped = len(dups) if name == "dedup" else sum(x["stage"] == name for x in rejected)
        assert (docs_in, dropped, docs_out) == (docs, want_dropped, docs - want_dropped), name
        stage_dir = next((samples_run / "stages").glob(f"*_{name}"))
        edits = pq.read_table(list(stage_dir.glob("edits-*.parquet"))).to_pylist() if list(stage_dir.glob("edits-*.parquet")) else []
        assert changed == len({e["id"] for e in edits if e["action"] == "modified"}), name
        assert name == "decode" or chars_out <= chars_in, name  # decode: bytes in, characters out
        docs = docs_out
    assert docs == len(corpus)
    assert rows["dedup"][2 - 1] == len(corpus)
    assert rows["dedup"][5] == sum(len(c["text"]) for c in corpus)  # chars out of the last stage

    total = re.search(r"^([\d,]+) in = ([\d,]+) kept \+ ([\d,]+) duplicates \+ ([\d,]+) rejected  \((\w+)\)$", r.output, re.M)
    assert total, r.output
    assert tuple(int(x.replace(",", "")) for x in total.groups()[:4]) == (n_input, len(corpus), len(dups), len(rejected))
    assert total.group(5) == "ok"

    reasons = _stats_reasons(r.output)
    quality_rejects = [x for x in rejected if x["stage"] == "quality"]
    for x in quality_rejects:
        key = ("quality", _shown("quality", x["reason"].split(" | ")[0]))
        assert reasons.get(key) == sum(y["reason"].split(" | ")[0] == x["reason"].split(" | ")[0] for y in quality_rejects)
    dup_key = {d["kind"] for d in dups}
    for kind in dup_key:
        assert reasons[("dedup", f"{kind}_duplicate")] == sum(d["kind"] == kind for d in dups)


def test_stats_json_is_the_manifest(samples_run):
    r = CliRunner().invoke(main, ["stats", str(samples_run), "--json"])
    assert r.exit_code == 0
    got = json.loads(r.output)
    m = json.loads((samples_run / "manifest.json").read_text())
    assert got == {"counts": m["counts"], "stages": m["stages"]}


def test_stats_without_a_manifest_is_one_line_error(tmp_path):
    (tmp_path / "run").mkdir()
    r = CliRunner().invoke(main, ["stats", str(tmp_path / "run")])
    assert r.exit_code == 1 and "not a finished run (no manifest.json)" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("content", [b"{ not json", b"\xff\xfe\x00garbage"])
def test_stats_with_an_unreadable_manifest_is_one_line_error(tmp_path, content):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "manifest.json").write_bytes(content)
    r = CliRunner().invoke(main, ["stats", str(tmp_path / "run")])
    assert r.exit_code == 1 and "unreadable manifest" in r.output and "Traceback" not in r.output


def test_stats_on_a_missing_folder_is_a_usage_error(tmp_path):
    r = CliRunner().invoke(main, ["stats", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_finish_writes_duplicates_their_edits_and_stats(tmp_path):
    """The duplicates path of finish, in-process and small: an exact and a near copy of one
    article; duplicates.parquet, the dedup edit rows and the dedup stats must agree."""
    from pipeline.engine.run import run

    inputs = write_articles(tmp_path / "in", ["a_orig", "b_other"])
    orig = (inputs / "a_orig.txt").read_text(encoding="utf-8")
    (inputs / "c_exact.txt").write_text(orig.upper(), encoding="utf-8")
    (inputs / "d_near.txt").write_text(orig.replace("debate", "talk", 1), encoding="utf-8")
    result = run([inputs], tmp_path / "out")
    out = tmp_path / "out"
    dups = {d["id"]: d for d in pq.read_table(out / "duplicates.parquet").to_pylist()}
    assert set(dups) == {"c_exact", "d_near"}
    assert dups["c_exact"]["kind"] == "exact" and dups["c_exact"]["similarity"] == 1.0
    assert dups["d_near"]["kind"] == "near" and 0.8 <= dups["d_near"]["similarity"] < 1.0
    for d in dups.values():
        assert d["duplicate_of"] == d["cluster_id"] == "a_orig"
        assert d["source"] == str(inputs / f"{d['id']}.txt")
        assert 0 < d["estimated_similarity"] <= 1.0
    edits = {e["id"]: e for e in pq.read_table(next((out / "stages").glob("*_dedup")) / "edits-00000.parquet").to_pylist()}
    assert set(edits) == set(dups)
    for i, e in edits.items():
        assert (e["stage"], e["action"], e["start"], e["end"], e["removed"], e["replacement"]) == ("dedup", "dropped", None, None, None, None)
        assert e["reason"] == f"dedup:{dups[i]['kind']}_duplicate | of a_orig (similarity {dups[i]['similarity']:.3f})"
        assert e["score"] == dups[i]["similarity"]
    corpus = pq.read_table(out / "corpus").to_pylist()
    assert sorted(c["id"] for c in corpus) == ["a_orig", "b_other"]
    stats = result.manifest["stages"]["dedup"]
    n_chars = {c["id"]: c["n_chars"] for c in corpus}
    assert (stats["docs_in"], stats["docs_out"], stats["docs_dropped"]) == (4, 2, 2)
    assert stats["chars_out"] == sum(n_chars.values())
    # the exact copy is as long as the kept original, the near copy 2 characters shorter ("talk")
    assert stats["chars_in"] - stats["chars_out"] == 2 * n_chars["a_orig"] - 2
    assert stats["reasons"] == {"dedup:exact_duplicate": 1, "dedup:near_duplicate": 1}
    c = result.manifest["counts"]
    assert (c["input_documents"], c["kept"], c["duplicates"], c["rejected"]) == (4, 2, 2, 0) and result.manifest["accounting"]["ok"]
