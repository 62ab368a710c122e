"""The finish step and --resume, in-process and fast (so mutation testing reaches them): which
shards of an interrupted run count as complete, a run interrupted at a chosen point (the fault
points of pipeline/engine/faults.py raising KeyboardInterrupt, as Ctrl-C does) and resumed, the
output-folder and identity checks, and what finish writes, checked against the written tables."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import math
import platform
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow
import pyarrow.parquet as pq
import pytest

import pipeline
from pipeline.config import PipelineConfig
from pipeline.dedup import DuplicateRow
from pipeline.dedup.index import load_index
from pipeline.engine import finish as finish_mod
from pipeline.engine.local import _completed, check_against, check_resume_identity, iter_records, iter_shards, prepare_output
from pipeline.engine.plan import Plan
from pipeline.engine.run import run
from pipeline.errors import InputError, OutputError
from pipeline.io.layout import LOCK_NAME, OUTPUT_NAMES
from pipeline.io.readers import resolve_inputs
from pipeline.io.writers import CORPUS_SCHEMA, EDITS_SCHEMA
from tests.helpers import write_articles

SHARD = 3
CFG = PipelineConfig().with_overrides(run={"shard_size": SHARD, "keep_work": True, "workers": 1})


FIX = Path(__file__).parent / "fixtures" / "dedup"
ARTICLES = [json.loads(line)["text"] for line in (FIX / "wikinews_sample.jsonl").read_text(encoding="utf-8").splitlines()]


def _inputs(folder: Path) -> Path:
    """Eight distinct articles, an exact and a near copy of the first, one empty file (rejected),
    and a JSONL file of two articles, one of them dated."""
    names = [f"a{k}" for k in range(8)]
    write_articles(folder, names)
    orig = (folder / "a0.txt").read_text(encoding="utf-8")
    (folder / "b_exact.txt").write_text(orig.upper(), encoding="utf-8")
    (folder / "b_near.txt").write_text(orig.replace("debate", "talk", 1), encoding="utf-8")
    (folder / "c_empty.txt").write_bytes(b"")
    (folder / "j.jsonl").write_text(json.dumps({"id": "j_dated", "text": ARTICLES[20], "date": "2024-03-05T10:00:00+02:00"}) + "\n"
                                    + json.dumps({"id": "j_undated", "text": ARTICLES[21]}) + "\n", encoding="utf-8")
    return folder


N_FILES, N_DOCS = 12, 13
N_SHARDS = math.ceil(N_DOCS / SHARD)


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.parquet")) if not p.relative_to(out).as_posix().startswith("_work")}


# One run per test, not per module: mutation testing (mutmut) ties a test to the code it calls, so
# a test reading a module-wide run would never be run against mutants of that run's code.
@pytest.fixture
def reference(tmp_path_factory):
    base = tmp_path_factory.mktemp("finish")
    inputs = _inputs(base / "in")
    out = base / "ref"
    calls: list = []

    class Progress:
        def __call__(self, phase, done, total):
            calls.append((phase, done, total))

        def shard_done(self, phase, summary):
            calls.append((phase, "shard", summary.index, summary.n_input))

    t0 = time.perf_counter()
    result = run([inputs], out, CFG, progress=Progress())
    calls.append(("elapsed", time.perf_counter() - t0))
    return base, inputs, out, result, calls


def _layout(out: Path, cfg: PipelineConfig = CFG):
    return Plan.of(cfg).layout(out)


def _killed_before_finish(ref_out: Path, out: Path) -> None:
    """OUT as a run killed after its map phase leaves it: the shards' scratch and stage edits,
    none of finish's outputs."""
    shutil.copytree(ref_out, out)
    for name in ("corpus", "index", "duplicates.parquet", "rejected.parquet", "manifest.json"):
        shutil.rmtree(out / name) if (out / name).is_dir() else (out / name).unlink(missing_ok=True)
    shutil.rmtree(next((out / "stages").glob("*_dedup")))
    for p in (out / "stages").glob("*/stats.json"):
        p.unlink()


# ----------------------------------------------------------------------------- what finish writes
def test_reference_run_counts_match_its_tables(reference):
    _, inputs, out, result, _ = reference
    m = result.manifest
    corpus = pq.read_table(out / "corpus").column("id").to_pylist()
    dups = pq.read_table(out / "duplicates.parquet").to_pylist()
    rejected = pq.read_table(out / "rejected.parquet").to_pylist()
    assert [d["id"] for d in dups] == ["b_exact", "b_near"] and [r["id"] for r in rejected] == ["c_empty"]
    assert len(corpus) + len(dups) + len(rejected) == N_DOCS
    c = m["counts"]
    assert (c["input_documents"], c["kept"], c["duplicates"], c["rejected"]) == (N_DOCS, len(corpus), len(dups), len(rejected))
    assert c["rejected_by_stage"] == dict(Counter(r["stage"] for r in rejected))
    assert m["accounting"] == {"ok": True, "check": "input_documents == kept + duplicates + rejected, every id exactly once",
                               "ids_seen": N_DOCS, "unique_ids": N_DOCS}
    assert m["shards"] == N_SHARDS
    assert len(list((out / "corpus").glob("part-*.parquet"))) == 1  # files are cut by size (run.target_file_mb), not per shard
    # the corpus: its schema, the date as a UTC timestamp (10:00 at +02:00 is 08:00 UTC)
    table = pq.read_table(out / "corpus")
    assert table.schema.equals(CORPUS_SCHEMA, check_metadata=False)
    dates = dict(zip(table.column("id").to_pylist(), table.column("date").to_pylist()))
    assert dates["j_dated"] == datetime(2024, 3, 5, 8, 0, tzinfo=timezone.utc) and dates["j_undated"] is None
    # the dedup index of this run: the kept documents and the corpus parts holding them
    idx = load_index(out, CFG.dedup)
    assert sorted(idx.ids) == sorted(corpus) and all((out / "corpus" / part).is_file() for part in set(idx.corpus_part))
    assert m["inputs"] == sorted(str(p) for p in inputs.iterdir()) and m["n_input_files"] == N_FILES
    assert m["config"] == CFG.model_dump(mode="json") and m["stage_versions"] == Plan.of(CFG).registry.versions()
    stage_dirs = sorted(p.name for p in (out / "stages").iterdir())
    assert m["outputs"] == {"corpus": "corpus/", "duplicates": "duplicates.parquet", "rejected": "rejected.parquet",
                            "stages": [f"stages/{d}/" for d in stage_dirs], "index": "index/", "card": "README.md"}
    assert (out / "index" / "index.json").is_file()
    for d in stage_dirs:  # each stage's stats file is the manifest's entry
        assert json.loads((out / "stages" / d / "stats.json").read_text()) == m["stages"][d.split("_", 1)[1]]
    assert list(m["stages"]) == [d.split("_", 1)[1] for d in stage_dirs]
    assert all(m["stages"][name]["stage"] == name for name in m["stages"])
    # finish's dedup edit rows have the schema of every other stage's edits (readers concatenate them)
    dedup_edits = next((out / "stages").glob("*_dedup")) / "edits-00000.parquet"
    assert pq.read_schema(dedup_edits).equals(EDITS_SCHEMA, check_metadata=False)
    # dedup's characters: what the stage before it let through, less the duplicates (in two shards)
    texts = pq.read_table(out / "corpus").column("text").to_pylist()
    before, dedup = m["stages"][list(m["stages"])[-2]], m["stages"]["dedup"]
    assert dedup["chars_in"] == before["chars_out"] and dedup["chars_out"] == sum(map(len, texts)) < dedup["chars_in"]
    # the dedup section: resolve's own account, agreeing with the tables
    assert m["dedup"]["docs"] == len(corpus) + len(dups) and m["dedup"]["removed"] == len(dups)
    assert m["dedup"]["exact_duplicates"] == 1 and m["dedup"]["near_duplicates"] == 1


def test_manifest_versions_and_timings(reference):
    import ftfy
    import pydantic
    import trafilatura

    m, elapsed = reference[3].manifest, reference[4][-1][1]
    assert m["pipeline"] == "newsclean-pipeline"
    assert m["versions"] == {"pipeline": pipeline.__version__, "python": platform.python_version(), "ftfy": ftfy.__version__,
                             "trafilatura": trafilatura.__version__, "pyarrow": pyarrow.__version__, "numpy": np.__version__,
                             "click": importlib.metadata.version("click"), "pydantic": pydantic.VERSION,
                             "resiliparse": importlib.metadata.version("resiliparse")}
    t = m["timings_seconds"]
    assert list(t) == ["map", "dedup", "write"]
    assert all(0 <= v == round(v, 3) for v in t.values()) and sum(t.values()) <= elapsed
    assert t["dedup"] >= m["dedup"]["seconds"] - 0.001  # dedup's time includes resolve's own


def test_progress_reports_every_shard_and_the_documents_reaching_dedup(reference):
    _, _, out, result, calls = reference
    plan = Plan.of(CFG)
    sizes = [min(SHARD, N_DOCS - k * SHARD) for k in range(N_SHARDS)]
    for phase in ("clean", "+".join(plan.post_names)):
        ticks = [c for c in calls if c[0] == phase and c[1] != "shard"]
        shards = [c for c in calls if c[0] == phase and c[1] == "shard"]
        assert [c[1] for c in ticks] == list(np.cumsum(sizes)) and all(c[2] is None for c in ticks), phase
        assert [(c[2], c[3]) for c in shards] == list(enumerate(sizes)), phase
    n_dedup = pq.read_table(out / "corpus").num_rows + pq.read_table(out / "duplicates.parquet").num_rows
    assert calls[-2] == ("dedup", n_dedup, n_dedup)


def test_finish_with_duplicates_resolved_by_the_engine(reference, tmp_path):
    """Ray resolves duplicates itself and hands them to finish: they are written as given, with
    its seconds as dedup's time and its engine details in the manifest (no dedup section)."""
    _, inputs, ref_out, result, _ = reference
    out = tmp_path / "ray_like"
    _killed_before_finish(ref_out, out)
    rows = [DuplicateRow(d["id"], d["duplicate_of"], d["cluster_id"], d["similarity"], d["estimated_similarity"], d["kind"])
            for d in pq.read_table(ref_out / "duplicates.parquet").to_pylist()]
    plan = Plan.of(CFG)
    timings = {"map": 0.25}
    m = finish_mod.finish(plan, out, resolve_inputs([inputs]), result.summaries, timings,
                          resolved=finish_mod.Resolved(rows, 2.5, {"name": "ray", "nodes": 2}))
    assert m["engine"] == {"name": "ray", "nodes": 2} and "dedup" not in m
    assert m["timings_seconds"]["dedup"] == 2.5 and m["timings_seconds"]["map"] == 0.25
    assert _outputs(out) == _outputs(ref_out)
    assert m["stages"]["dedup"]["seconds"] == 2.5
    m2 = finish_mod.finish(plan, out, resolve_inputs([inputs]), result.summaries, {"map": 0.0}, resolved=finish_mod.Resolved(rows, 1.0))
    assert "engine" not in m2 and "dedup" not in m2


def test_finish_without_dedup(tmp_path, caplog):
    inputs = _inputs(tmp_path / "in")
    cfg = CFG.with_overrides(dedup={"enabled": False}, run={"row_group_size": 2})
    with caplog.at_level(logging.INFO, logger="pipeline.engine.finish"):
        m = run([inputs], tmp_path / "out", cfg).manifest
    for part in (tmp_path / "out" / "corpus").glob("part-*.parquet"):  # the configured row group size
        meta = pq.read_metadata(part)
        assert meta.num_row_groups == math.ceil(meta.num_rows / 2)
    assert m["dedup"] == {"enabled": False} and "index" not in m["outputs"] and not (tmp_path / "out" / "index").exists()
    dups = pq.read_table(tmp_path / "out" / "duplicates.parquet")
    assert dups.num_rows == 0 and dups.schema.names[:2] == ["id", "duplicate_of"]
    assert m["stages"]["dedup"]["docs_dropped"] == 0 and m["counts"]["kept"] == N_DOCS - 1
    assert any(r.getMessage().startswith("dedup: 0 duplicates among 12 documents (") for r in caplog.records)


def test_an_input_without_documents_is_an_empty_sound_run(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.jsonl").write_bytes(b"")
    m = run([tmp_path / "in"], tmp_path / "out", CFG).manifest
    c = m["counts"]
    assert (c["input_documents"], c["kept"], c["duplicates"], c["rejected"], m["shards"]) == (0, 0, 0, 0, 0)
    assert m["accounting"]["ok"] and (m["accounting"]["ids_seen"], m["accounting"]["unique_ids"]) == (0, 0)
    assert pq.read_table(tmp_path / "out" / "duplicates.parquet").num_rows == 0
    assert pq.read_table(tmp_path / "out" / "rejected.parquet").num_rows == 0


def test_finish_logs_what_dedup_removed(tmp_path, caplog):
    inputs = _inputs(tmp_path / "in")
    with caplog.at_level(logging.INFO, logger="pipeline.engine.finish"):
        run([inputs], tmp_path / "out", CFG)
    assert any(r.getMessage().startswith("dedup: 2 duplicates among 12 documents (") for r in caplog.records)


def test_against_an_earlier_run(tmp_path):
    first = write_articles(tmp_path / "in1", ["x0", "x1", "x2"])
    second = write_articles(tmp_path / "in2", ["z0", "z1", "z2", "y0"])  # y0: the fourth topic, not in the first run
    for k in range(3):
        (second / f"z{k}.txt").unlink()
    (second / "y_copy.txt").write_text((first / "x1.txt").read_text(encoding="utf-8").upper(), encoding="utf-8")
    (second / "y_copy2.txt").write_text((second / "y0.txt").read_text(encoding="utf-8") + "\nThanks.\n", encoding="utf-8")
    (second / "y_near.txt").write_text((first / "x2.txt").read_text(encoding="utf-8").replace("debate", "talk", 1), encoding="utf-8")
    run([first], tmp_path / "o1", CFG)
    m = run([second], tmp_path / "o2", CFG, against=[tmp_path / "o1"]).manifest
    dups = {d["id"]: d for d in pq.read_table(tmp_path / "o2" / "duplicates.parquet").to_pylist()}
    assert set(dups) == {"y_copy", "y_near", "y0"}  # y_copy2 is longer than y0: kept
    assert (dups["y_copy"]["duplicate_of"], dups["y_copy"]["duplicate_of_run"]) == ("x1", str(tmp_path / "o1"))
    assert (dups["y0"]["duplicate_of"], dups["y0"]["duplicate_of_run"]) == ("y_copy2", None)
    assert (dups["y_near"]["duplicate_of"], dups["y_near"]["duplicate_of_run"], dups["y_near"]["kind"]) == ("x2", str(tmp_path / "o1"), "near")
    cross = m["dedup"]["against"]
    assert cross["runs"] == [{"run": str(tmp_path / "o1"), "run_id": cross["runs"][0]["run_id"], "docs": 3}]
    assert (cross["exact_duplicates"], cross["near_duplicates"], cross["removed"]) == (1, 1, 2)
    assert m["counts"]["duplicates"] == 3 and m["accounting"]["ok"]
    # this run's index records the runs it was deduplicated against (a later run chains them)
    assert json.loads((tmp_path / "o2" / "index" / "index.json").read_text())["against"] == [str(tmp_path / "o1")]
    with pytest.raises(InputError, match=r"^--against needs dedup enabled \(dedup.enabled: true\)$"):
        check_against(_layout(tmp_path / "o3"), [str(tmp_path / "o1")], CFG.with_overrides(dedup={"enabled": False}))
    with pytest.raises(InputError, match=r"--against names the output folder itself$"):
        check_against(_layout(tmp_path / "o1"), [str(tmp_path / "o1")], CFG)
    with pytest.raises(Exception, match="no dedup index"):
        check_against(_layout(tmp_path / "o3"), [str(tmp_path / "in1")], CFG)
    check_against(_layout(tmp_path / "o3"), [], CFG.with_overrides(dedup={"enabled": False}))
    # the run's identity records --against: resuming it without them is another run
    with pytest.raises(OutputError, match="--resume with different inputs than the interrupted run"):
        run([second], tmp_path / "o2", CFG, resume=True)
    with pytest.raises(OutputError, match="--resume with different config than the interrupted run"):
        run([second], tmp_path / "o2", CFG.with_overrides(run={"shard_size": 2}), resume=True, against=[tmp_path / "o1"])
    assert run([second], tmp_path / "o2", CFG, resume=True, against=[tmp_path / "o1"]).manifest["counts"] == m["counts"]


# ----------------------------------------------------------------------------- which shards are complete
def _shard_files(layout, index: int) -> list[Path]:
    """The shard's scratch files (the parts under stages/ are checked from its summary)."""
    files = [layout.survivors(index), layout.rejected_pre(index), layout.observation(index), layout.kept(index),
             layout.rejected_part(index), layout.sketch(index)]
    assert all(f.is_file() for f in files)
    return files


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


DAMAGE = {
    "summary truncated": (lambda lay: _truncate(lay.summary(1)), "JSONDecodeError"),
    "summary of another shape": (lambda lay: lay.summary(1).write_text('{"index": 1, "n_docs": 3}'), "TypeError"),
    "kept truncated": (lambda lay: _truncate(lay.kept(1)), "ArrowInvalid"),
    "sketch missing": (lambda lay: lay.sketch(1).unlink(), "FileNotFoundError"),
    "observation truncated": (lambda lay: _truncate(lay.observation(1)), "UnpicklingError|EOFError"),
    "observation empty": (lambda lay: lay.observation(1).write_bytes(b""), "EOFError"),
    "observation not a pickle": (lambda lay: lay.observation(1).write_bytes(b"not a pickle at all"), "UnpicklingError"),
}


def test_complete_shard_is_reused_with_its_summary(reference, tmp_path):
    _, _, ref_out, _, _ = reference
    lay = _layout(ref_out)
    for i in range(N_SHARDS):
        done = _completed(lay, lay.summary(i), _shard_files(lay, i))
        assert done is not None and done.__dict__ == json.loads(lay.summary(i).read_text())
        assert (done.index, done.n_kept) == (i, pq.read_table(lay.kept(i)).num_rows)
    assert _completed(lay, lay.work / "summary-00099.json", []) is None  # never written: redo, no warning


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_shard_is_redone_with_a_warning(reference, tmp_path, caplog, damage):
    _, _, ref_out, _, _ = reference
    out = tmp_path / "o"
    _killed_before_finish(ref_out, out)
    lay = _layout(out)
    files = _shard_files(lay, 1)
    hurt, error = DAMAGE[damage]
    hurt(lay)
    with caplog.at_level(logging.WARNING, logger="pipeline.engine.local"):
        assert _completed(lay, lay.summary(1), files) is None
        assert _completed(lay, lay.summary(0), _shard_files(lay, 0)) is not None  # the others stand
    (rec,) = caplog.records
    msg = rec.getMessage()
    assert msg.startswith("summary-00001.json: scratch of the interrupted run is unreadable (") and msg.endswith("); redoing that shard")
    assert any(f"({e}: " in msg for e in error.split("|")), msg
    if damage == "sketch missing":
        assert "sketch-00001.parquet" in msg  # the error itself, naming the file


# ----------------------------------------------------------------------------- interrupted, then resumed
FUSED = CFG.with_overrides(repeated_lines={"enabled": False})  # no corpus-wide stage: one task per shard


@pytest.mark.parametrize("fault, cfg", [("after_pre_shard:2", CFG), ("after_shard:1", CFG), ("finish", CFG), ("after_shard:1", FUSED),
                                        ("after_shard:2", CFG.with_overrides(run={"workers": 2}))],
                         ids=["after_pre_shard", "after_shard", "finish", "after_shard-fused", "after_shard-2-workers"])
def test_interrupted_at_a_fault_point_then_resumed_gives_the_reference(reference, tmp_path, monkeypatch, fault, cfg):
    """NEWSCLEAN_FAULT with NEWSCLEAN_FAULT_SIGNAL=INT: the run stops there with KeyboardInterrupt
    (as on Ctrl-C); --resume redoes only what is missing and gives the reference's bytes."""
    _, inputs, ref_out, _, _ = reference
    if cfg is not CFG:
        ref_out = tmp_path / "ref"
        run([inputs], ref_out, cfg)
    out = tmp_path / "o"
    monkeypatch.setenv("NEWSCLEAN_FAULT", fault)
    monkeypatch.setenv("NEWSCLEAN_FAULT_SIGNAL", "INT")
    with pytest.raises(KeyboardInterrupt):
        run([inputs], out, cfg)
    assert not (out / "manifest.json").exists()
    lay = _layout(out, cfg)
    written = {p: p.stat().st_mtime_ns for p in lay.work.iterdir() if p.name.startswith("summary")}
    if fault == "finish":  # corpus written, duplicates not yet
        assert any((out / "corpus").glob("part-*")) and not (out / "duplicates.parquet").exists()
    else:
        last = {"after_pre_shard": "summary-pre-0000{}.json", "after_shard": "summary-0000{}.json"}[fault.split(":")[0]]
        k = int(fault[-1])
        assert lay.work.joinpath(last.format(k)).exists()
        assert cfg.run.workers > 1 or not lay.work.joinpath(last.format(k + 1)).exists()
    monkeypatch.delenv("NEWSCLEAN_FAULT")
    with pytest.raises(OutputError, match="output folder is not empty"):
        run([inputs], out, cfg)
    result = run([inputs], out, cfg, resume=True)
    assert result.manifest["accounting"]["ok"] and _outputs(out) == _outputs(ref_out)
    # the shards the interrupted run completed were reused, not redone
    assert {p: p.stat().st_mtime_ns for p in written} == written


def test_resume_redoes_a_damaged_shard_and_the_post_phase_of_another(reference, tmp_path):
    _, inputs, ref_out, _, _ = reference
    out = tmp_path / "o"
    _killed_before_finish(ref_out, out)
    lay = _layout(out)
    _truncate(lay.kept(1))
    lay.summary(2).unlink()  # shard 2: pre phase done, post phase not
    before = {p: p.stat().st_mtime_ns for p in lay.work.iterdir()}
    result = run([inputs], out, CFG, resume=True)
    assert result.manifest["accounting"]["ok"] and _outputs(out) == _outputs(ref_out)
    changed = {p.name for p, t in before.items() if not p.exists() or p.stat().st_mtime_ns != t}
    assert {"kept-00001.parquet", "summary-00001.json", "kept-00002.parquet"} <= changed and lay.summary(2).is_file()
    assert "pre-00001.parquet" not in changed  # shard 1's pre phase stands: only its post phase is redone
    assert not any(n.endswith(("00000.parquet", "00000.json", "00003.parquet", "00003.json")) for n in changed), changed
    assert "pre-00002.parquet" not in changed and "summary-pre-00002.json" not in changed


def _scratch(lay, plan, kind: str) -> tuple[int, Path]:
    """(shard, file) to damage: shard 1's scratch file of that kind; for a pre-phase stage's
    edits part, which exists only where the stage edited, the first shard and stage with one."""
    if kind == "pre_edits":
        return next((i, lay.edits(s.name, i)) for i in range(N_SHARDS) for s in plan.pre if lay.edits(s.name, i).is_file())
    return 1, {"survivors": lay.survivors(1), "rejected_pre": lay.rejected_pre(1), "observation": lay.observation(1),
               "inputs": lay.inputs(1), "kept": lay.kept(1), "rejected": lay.rejected_part(1), "sketch": lay.sketch(1)}[kind]


PRE_FILES = ["survivors", "rejected_pre", "observation", "inputs", "pre_edits"]


# (No "post_edits": the reference's post-phase stages edit nothing inside shards, and a stage
# that edits nothing writes no part; the post phase's own files are kept, rejected, sketch.)
@pytest.mark.parametrize("kind", PRE_FILES + ["kept", "rejected", "sketch"])
def test_resume_checks_every_scratch_file_of_a_shard(reference, tmp_path, kind):
    """Each file a shard wrote, damaged after the kill, makes resume redo that shard's phase (a
    pre-phase file when the post phase must still run), and the outputs are the reference's."""
    _, inputs, ref_out, _, _ = reference
    out = tmp_path / "o"
    _killed_before_finish(ref_out, out)
    lay, plan = _layout(out), Plan.of(CFG)
    shard, target = _scratch(lay, plan, kind)
    _truncate(target)
    if kind in PRE_FILES:
        lay.summary(shard).unlink()  # the post phase of that shard is still to run
    result = run([inputs], out, CFG, resume=True)
    assert result.manifest["accounting"]["ok"] and _outputs(out) == _outputs(ref_out)
    assert target.read_bytes() == _scratch(_layout(ref_out), plan, kind)[1].read_bytes()


def test_resume_of_a_fused_plan_redoes_only_the_damaged_shard(tmp_path):
    """Without a corpus-wide stage both phases run in one task per shard."""
    cfg = CFG.with_overrides(repeated_lines={"enabled": False})
    assert Plan.of(cfg).corpus is None
    inputs = _inputs(tmp_path / "in")
    ref = run([inputs], tmp_path / "ref", cfg)
    out = tmp_path / "o"
    _killed_before_finish(tmp_path / "ref", out)
    lay = _layout(out, cfg)
    _truncate(lay.sketch(2))
    before = {p: p.stat().st_mtime_ns for p in lay.work.iterdir()}
    result = run([inputs], out, cfg, resume=True)
    assert result.manifest["counts"] == ref.manifest["counts"] and _outputs(out) == _outputs(tmp_path / "ref")
    changed = {p.name for p, t in before.items() if p.stat().st_mtime_ns != t}
    assert "sketch-00002.parquet" in changed and not any("0000" + k in n for n in changed for k in "013"), changed


def test_two_workers_give_the_same_bytes(reference, tmp_path):
    _, inputs, ref_out, _, _ = reference
    result = run([inputs], tmp_path / "o", CFG.with_overrides(run={"workers": 2}))
    assert [s.index for s in result.summaries] == list(range(N_SHARDS))
    assert _outputs(tmp_path / "o") == _outputs(ref_out)


def test_resume_without_dedup_reuses_the_completed_shards(tmp_path):
    """Without dedup a shard writes no sketch, and resume does not ask for one."""
    cfg = CFG.with_overrides(dedup={"enabled": False})
    inputs = _inputs(tmp_path / "in")
    run([inputs], tmp_path / "ref", cfg)
    out = tmp_path / "o"
    _killed_before_finish(tmp_path / "ref", out)
    lay = _layout(out, cfg)
    assert not list(lay.work.glob("sketch-*"))
    before = {p: p.stat().st_mtime_ns for p in lay.work.iterdir()}
    run([inputs], out, cfg, resume=True)
    assert {p: p.stat().st_mtime_ns for p in before} == before and _outputs(out) == _outputs(tmp_path / "ref")


def test_shards_close_at_shard_bytes_and_a_limit_reads_the_first_documents(tmp_path):
    inputs = write_articles(tmp_path / "in", [f"a{k}" for k in range(6)])
    sizes = [p.stat().st_size for p in sorted(inputs.iterdir())]
    assert all(500 < n < 1000 for n in sizes)  # so two files reach 1,000 bytes
    m = run([inputs], tmp_path / "o", CFG.with_overrides(run={"shard_size": 100, "shard_bytes": 1000})).manifest
    assert m["shards"] == 3 and len(list((tmp_path / "o" / "corpus").glob("part-*.parquet"))) == 1  # cut by size, not shard
    m = run([inputs], tmp_path / "lim", CFG.with_overrides(run={"limit": 4})).manifest
    assert m["counts"]["input_documents"] == 4
    assert sorted(pq.read_table(tmp_path / "lim" / "corpus").column("id").to_pylist()) == ["a0", "a1", "a2", "a3"]


def test_corpus_wide_lines_are_counted_across_shards(tmp_path):
    """The corpus-wide step (repeated lines) merges every shard's observations before the post
    phase: a footer in three documents of one folder, in three different shards, is removed.
    (Boilerplate is off: the content model already takes this footer out of some documents,
    which would leave fewer than three to count.)"""
    inputs = write_articles(tmp_path / "in", ["a0", "a1", "a2"])
    footer = "Subscribe to the Harbour Herald for the latest council news."
    for p in inputs.iterdir():
        p.write_text(p.read_text(encoding="utf-8") + "\n" + footer + "\n", encoding="utf-8")
    cfg = CFG.with_overrides(run={"shard_size": 1}, repeated_lines={"min_docs": 3}, boilerplate={"threshold": 1.01})
    run([inputs], tmp_path / "o", cfg)
    corpus = pq.read_table(tmp_path / "o" / "corpus").to_pylist()
    assert len(corpus) == 3 and all(footer not in c["text"] and "The council met on day 1" in c["text"] for c in corpus)


# ----------------------------------------------------------------------------- the output folder and the run's identity
def test_prepare_output_refusals(tmp_path):
    lay = _layout(tmp_path / "o")
    with pytest.raises(OutputError, match="--overwrite and --resume exclude each other"):
        prepare_output(lay, overwrite=True, resume=True)
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="f: exists and is not a folder"):
        prepare_output(_layout(tmp_path / "f"), overwrite=True, resume=False)
    with pytest.raises(OutputError, match=r"cannot create output folder \(Not a directory\)"):
        prepare_output(_layout(tmp_path / "f" / "sub"), overwrite=False, resume=False)
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / LOCK_NAME).write_text("")
    prepare_output(lay, overwrite=False, resume=False)  # only our lock: empty enough
    assert lay.work.is_dir()
    with pytest.raises(OutputError, match="output folder is not empty; pass --overwrite"):
        prepare_output(lay, overwrite=False, resume=False)
    (tmp_path / "o" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"holds files this pipeline did not write \(notes.txt\); refusing to overwrite"):
        prepare_output(lay, overwrite=True, resume=False)
    assert (tmp_path / "o" / "notes.txt").exists() and lay.work.is_dir()


def test_overwrite_removes_exactly_the_outputs(tmp_path):
    out = tmp_path / "o"
    lay = _layout(out)
    for name in OUTPUT_NAMES:
        p = out / name
        if "." in name:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("old")
        else:
            (p / "sub").mkdir(parents=True)
            (p / "sub" / "old.parquet").write_text("old")
    (out / ".gitkeep").write_text("")
    (out / LOCK_NAME).write_text("")
    prepare_output(lay, overwrite=True, resume=False)
    assert sorted(p.name for p in out.iterdir()) == sorted([".gitkeep", LOCK_NAME, "_work"]) and not any(lay.work.iterdir())


def test_resume_keeps_everything_but_temp_files(tmp_path):
    out = tmp_path / "o"
    lay = _layout(out)
    (out / "_work" / ".d.tmp-5").mkdir(parents=True)
    keep = [out / "_work" / "kept-00000.parquet", out / "corpus" / "part.tmp-3", out / "_work" / ".d.tmp-5" / "x", out / "manifest.json"]
    gone = [out / "corpus" / ".part-00000.parquet.tmp-99", out / ".manifest.json.tmp-1"]
    for p in keep + gone:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    prepare_output(lay, overwrite=False, resume=True)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in gone)


def test_identity_is_recorded_and_checked_on_resume(tmp_path):
    inputs = write_articles(tmp_path / "in", ["a", "b"])
    files = resolve_inputs([inputs])
    lay = _layout(tmp_path / "o")
    lay.work.mkdir(parents=True)
    check_resume_identity(lay, files, CFG, resume=False)
    ident = json.loads(lay.identity.read_text())
    assert ident["inputs"] == [[str(f.path), f.path.stat().st_size, f.path.stat().st_mtime_ns] for f in files]
    assert ident["config"]["run"]["workers"] is None and ident["config"]["dedup"] == CFG.model_dump(mode="json")["dedup"]
    assert "against" not in ident
    check_resume_identity(lay, files, CFG.with_overrides(run={"workers": 3}), resume=True)  # workers never change results
    with pytest.raises(OutputError, match="--resume with different config than the interrupted run; use --overwrite"):
        check_resume_identity(lay, files, CFG.with_overrides(run={"shard_size": 5}), resume=True)
    with pytest.raises(OutputError, match="--resume with different inputs"):
        check_resume_identity(lay, files, CFG, resume=True, against=["elsewhere"])
    (inputs / "a.txt").write_text("changed", encoding="utf-8")
    with pytest.raises(OutputError, match="--resume with different inputs"):
        check_resume_identity(lay, resolve_inputs([inputs]), CFG, resume=True)
    check_resume_identity(lay, files, CFG, resume=False, against=["elsewhere"])  # a new run records its identity
    assert json.loads(lay.identity.read_text())["against"] == ["elsewhere"]
    lay.identity.write_text("{ truncated")
    with pytest.raises(OutputError, match=r"run.json: unreadable \(JSONDecodeError\), so this run cannot be resumed"):
        check_resume_identity(lay, files, CFG, resume=True)
    lay.identity.unlink()
    check_resume_identity(lay, resolve_inputs([inputs]), CFG, resume=True)  # nothing recorded yet: recorded now
    a = inputs / "a.txt"
    assert json.loads(lay.identity.read_text())["inputs"][0] == [str(a), 7, a.stat().st_mtime_ns]


# ----------------------------------------------------------------------------- the input stream
@dataclass
class Rec:
    id: str
    data: bytes = b""


def test_shards_close_at_their_size_or_their_bytes():
    recs = [Rec(f"r{k}", b"x" * n) for k, n in enumerate([5, 5, 5, 1, 1, 9, 0])]
    shape = lambda shards: [(i, seq, [r.id for r in batch]) for i, seq, batch in shards]  # noqa: E731
    assert shape(iter_shards(iter(recs), 3)) == [(0, 0, ["r0", "r1", "r2"]), (1, 3, ["r3", "r4", "r5"]), (2, 6, ["r6"])]
    assert shape(iter_shards(iter(recs), 4, max_bytes=10)) == [(0, 0, ["r0", "r1"]), (1, 2, ["r2", "r3", "r4", "r5"]), (2, 6, ["r6"])]
    assert shape(iter_shards(iter(recs), 7, max_bytes=None)) == [(0, 0, [r.id for r in recs])]
    # a shard closes when its bytes reach max_bytes, not one byte before (5 + 4 = 9 < 10)
    nine = [Rec("x", b"x" * 5), Rec("y", b"y" * 4), Rec("z", b"z")]
    assert shape(iter_shards(iter(nine), 10, max_bytes=10)) == [(0, 0, ["x", "y", "z"])]
    assert shape(iter_shards(iter([Rec("a"), Rec("b")]), 1)) == [(0, 0, ["a"]), (1, 1, ["b"])]
    assert list(iter_shards(iter([]), 3)) == []


def test_records_in_input_order_with_unique_ids_and_a_limit(tmp_path):
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps({"id": i, "text": f"text {k}"}) for k, i in enumerate(["x", "y", "x"])))
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "x", "text": "later"}))
    files = resolve_inputs([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    assert [r.id for r in iter_records(files, 10_000)] == ["x", "y", "x#2", "x#3"]
    assert [r.id for r in iter_records(files, 10_000, limit=2)] == ["x", "y"]
