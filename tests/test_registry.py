"""The stage registry: a stage added from outside the package runs through the engine like the
pipeline's own (the Ray variant is in test_ray.py); decode errors reject one document."""

from __future__ import annotations

import pyarrow.parquet as pq

from pipeline.core.registry import STAGE_MODULES, default_registry
from pipeline.engine.run import run
from tests.conftest import SAMPLES
from tests.helpers import read_outputs, rejected_by_id, with_exploding_decoder, with_strip_marker, write_marked_inputs


def test_default_registry_is_the_one_stage_list():
    reg = default_registry()
    assert reg.names == ("decode", "extract", "fix_encoding", "boilerplate", "spam", "repeated_lines", "quality", "dedup")
    assert len(STAGE_MODULES) == len(reg.specs)
    assert {s.kind for s in reg.specs} == {"document", "corpus", "global"}


def test_registered_stage_runs_in_the_local_engine(tmp_path):
    inputs = write_marked_inputs(tmp_path / "in", SAMPLES)
    plain = run([inputs], tmp_path / "plain")
    result = run([inputs], tmp_path / "marked", registry=with_strip_marker())
    m = result.manifest
    assert list(m["stages"])[5] == "strip_marker" and m["stage_versions"]["strip_marker"] == "strip_marker_v1"
    assert m["stages"]["strip_marker"]["edits"] == 2 and m["accounting"]["ok"]
    edits = pq.read_table(next((tmp_path / "marked" / "stages" / "06_strip_marker").glob("edits-*.parquet"))).to_pylist()
    assert sorted(e["id"] for e in edits) == ["020_marked_0", "020_marked_1"]
    assert (tmp_path / "marked" / "stages" / "09_dedup" / "stats.json").exists()
    got, want = read_outputs(tmp_path / "marked"), read_outputs(tmp_path / "plain")
    assert not any("[[sponsored]]" in text for _, text in got["corpus"])
    assert [i for i, _ in got["corpus"]] == [i for i, _ in want["corpus"]]
    # Everything the new stage did not touch is as before.
    assert [c for c in got["corpus"] if "marked" not in c[0]] == [c for c in want["corpus"] if "marked" not in c[0]]
    assert {**plain.manifest["stages"]["spam"], "seconds": 0} == {**m["stages"]["spam"], "seconds": 0}


def test_decode_error_rejects_one_document(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    good = "The river authority said on Monday that water levels had fallen for a third week in a row. " * 4
    for name in ("a_first", "explode_me", "z_last"):
        (inputs / f"{name}.txt").write_text(good.replace("river", name), encoding="utf-8")
    result = run([inputs], tmp_path / "out", registry=with_exploding_decoder())
    rejected = rejected_by_id(tmp_path / "out")
    assert list(rejected) == ["explode_me"]
    assert rejected["explode_me"]["stage"] == "decode" and rejected["explode_me"]["reason"].startswith("error:RuntimeError")
    assert result.manifest["counts"]["kept"] == 2 and result.manifest["accounting"]["ok"]
    decode = result.manifest["stages"]["decode"]
    assert decode["docs_in"] == 3 and decode["docs_dropped"] == 1 and decode["seconds"] > 0


def test_config_sections_are_the_registered_stages():
    """PipelineConfig spells its sections out (typed, with typo suggestions); besides the
    engine's own two (run: how the work is split; input: where records keep text and id) they
    are exactly the registered stages' config models, in run order."""
    from pipeline.config import PipelineConfig

    assert list(PipelineConfig.model_fields)[:2] == ["run", "input"]
    sections = {k: f.annotation for k, f in PipelineConfig.model_fields.items() if k not in ("run", "input")}
    assert list(sections) == list(default_registry().names)
    assert all(sections[s.name] is s.config for s in default_registry().specs)
