"""Outputs that load everywhere (issue 14): no Parquet file under OUT with a row group of 0
rows or a part without rows, corpus files cut by size (the same for any worker count, and
resumable), the run's version and config hash in every file, a dataset card whose configs
Hugging Face `datasets` loads, and every table read by pyarrow, DuckDB, polars, pandas and
`datasets`."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import yaml

import pipeline
from pipeline.config import load_config
from pipeline.engine.run import run
from pipeline.io.layout import RunLayout
from tests.conftest import FIXTURES, SAMPLES

INPUTS = [FIXTURES / "wikinews-300.jsonl.gz", SAMPLES]
TARGET_MB = 0.05  # ~52 KB: the 310 documents give several corpus files
SETTINGS = {"shard_size": 25, "target_file_mb": TARGET_MB, "row_group_size": 20, "keep_work": True}


def _run(out: Path, workers: int = 1, inputs=INPUTS, **run_keys) -> dict:
    config = load_config(None).with_overrides(run={**SETTINGS, "workers": workers, **run_keys})
    return run(inputs, out, config).manifest


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("outputs")
    one, two = base / "one_worker", base / "two_workers"
    return {"one": (one, _run(one)), "two": (two, _run(two, workers=2)), "base": base}


def _parquet_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.parquet") if "_work" not in p.parts)


def _bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in _parquet_files(out)}


def _card(out: Path) -> dict:
    text = (out / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_no_part_file_without_rows_and_no_empty_row_group(runs):
    out, manifest = runs["one"]
    n_shards = manifest["shards"]
    assert n_shards >= 10
    parts = [p for p in _parquet_files(out) if p.name.startswith(("edits-", "input-", "part-"))]
    for p in parts:
        md = pq.read_metadata(p)
        assert md.num_rows > 0, p
        assert all(md.row_group(i).num_rows > 0 for i in range(md.num_row_groups)), p
    # Most (stage, shard) pairs have no edits: those parts are not written at all.
    edits = [p for p in parts if p.name.startswith("edits-")]
    assert len(edits) < (len(manifest["stages"]) - 1) * n_shards / 2
    # ... and nothing is lost: the edit rows on disk are the edits and drops the stats counted.
    for name, stage in manifest["stages"].items():
        files = list(RunLayout.of_run(out).stage_dir(name).glob("edits-*.parquet"))
        rows = sum(pq.read_metadata(p).num_rows for p in files)
        assert rows == stage["edits"] + stage["docs_dropped"], name


def test_corpus_files_follow_the_target_size_not_the_shards(runs):
    out, manifest = runs["one"]
    files = sorted((out / "corpus").glob("part-*.parquet"))
    sizes = [p.stat().st_size for p in files]
    target = TARGET_MB * (1 << 20)
    total = sum(sizes)
    assert len(files) >= 3 and len(files) != manifest["shards"]
    assert all(s >= target for s in sizes[:-1]), sizes  # each file closes once it reaches the target
    assert len(files) <= total // target + 1
    assert sum(pq.read_metadata(p).num_rows for p in files) == manifest["counts"]["kept"]
    for p in files:  # row groups of at most run.row_group_size rows
        md = pq.read_metadata(p)
        assert max(md.row_group(i).num_rows for i in range(md.num_row_groups)) <= SETTINGS["row_group_size"]
    # corpus order is input order across the file boundaries: the kept scratch rows by input
    # position, without the duplicates
    ids = pq.read_table(out / "corpus", columns=["id"]).column("id").to_pylist()
    kept = ds.dataset(sorted(map(str, (out / "_work").glob("kept-*.parquet")))).to_table(columns=["id", "seq"]).sort_by("seq")
    dups = set(pq.read_table(out / "duplicates.parquet").column("id").to_pylist())
    assert ids == [i for i in kept.column("id").to_pylist() if i not in dups]


def test_outputs_are_byte_identical_for_any_worker_count(runs):
    (one, m1), (two, m2) = runs["one"], runs["two"]
    assert _bytes(one) == _bytes(two)
    assert m1["config_hash"] == m2["config_hash"]  # workers never change outputs, nor the hash


def test_every_parquet_file_names_the_version_and_config_hash(runs):
    out, manifest = runs["one"]
    files = _parquet_files(out)
    assert any(p.parent.name == "index" for p in files) and any(p.name == "duplicates.parquet" for p in files)
    for p in files:
        meta = pq.read_schema(p).metadata or {}
        assert meta.get(b"newsclean.version") == pipeline.__version__.encode(), p
        assert meta.get(b"newsclean.config_hash") == manifest["config_hash"].encode(), p
    other = load_config(None).with_overrides(quality={"min_words": 7})
    from pipeline.config import config_hash

    assert config_hash(other) != manifest["config_hash"]


def test_resume_skips_complete_shards_with_empty_parts_and_redoes_a_damaged_one(runs):
    """A shard whose parts were not written because they were empty is complete; a shard that
    lost a part it wrote is redone; the outputs stay byte-identical."""
    base = runs["base"]
    out = base / "resumed"
    _run(out)
    reference = _bytes(out)
    layout = RunLayout.of_run(out)
    summaries = [json.loads(p.read_text()) for p in sorted((out / "_work").glob("summary-0*.json"))]
    assert all(any(n == 0 for n in s["part_rows"].values()) for s in summaries)  # every shard has empty parts
    damaged = next(s for s in summaries if s["part_rows"].get("boilerplate"))
    lost = layout.edits("boilerplate", damaged["index"])
    lost.unlink()
    untouched = layout.inputs(next(s["index"] for s in summaries if s["index"] != damaged["index"]))
    before = untouched.stat().st_mtime_ns
    config = load_config(None).with_overrides(run={**SETTINGS, "workers": 1})
    run(INPUTS, out, config, resume=True)
    assert lost.exists() and untouched.stat().st_mtime_ns == before
    assert _bytes(out) == reference


def _tables(out: Path) -> dict[str, list[Path]]:
    return {
        "corpus": sorted((out / "corpus").glob("part-*.parquet")),
        "duplicates": [out / "duplicates.parquet"],
        "rejected": [out / "rejected.parquet"],
        "edits": sorted((out / "stages").glob("*/edits-*.parquet")),
    }


def _count_everywhere(files: list[Path]) -> dict[str, int]:
    names = [str(p) for p in files]
    return {
        "pyarrow": ds.dataset(names, format="parquet").count_rows(),
        "duckdb": duckdb.sql(f"select count(*) from read_parquet({names!r})").fetchall()[0][0],
        "polars": pl.concat([pl.read_parquet(p) for p in names]).height,
        "pandas": len(pd.concat([pd.read_parquet(p) for p in names])),
    }


@pytest.mark.parametrize("which", ["one", "samples"])
def test_every_table_loads_in_pyarrow_duckdb_polars_pandas_and_datasets(runs, which, tmp_path):
    import datasets

    if which == "samples":  # a run with no duplicates: an empty table
        out = runs["base"] / "samples"
        if not out.exists():
            _run(out, inputs=[SAMPLES])
        manifest = json.loads((out / "manifest.json").read_text())
    else:
        out, manifest = runs[which]
    counts = manifest["counts"]
    n_edits = sum(s["edits"] + s["docs_dropped"] for s in manifest["stages"].values())
    want = {"corpus": counts["kept"], "duplicates": counts["duplicates"], "rejected": counts["rejected"], "edits": n_edits}
    configs = {c["config_name"]: c for c in _card(out)["configs"]}
    assert set(configs) == {name for name, n in want.items() if n}  # a config per table with rows
    for name, files in _tables(out).items():
        assert _count_everywhere(files) == dict.fromkeys(("pyarrow", "duckdb", "polars", "pandas"), want[name]), name
        if name in configs:
            got = datasets.load_dataset(str(out), name, split="train", cache_dir=str(tmp_path / "hf"))
            assert got.num_rows == want[name], name
    default = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert default.num_rows == counts["kept"] and "text" in default.column_names
