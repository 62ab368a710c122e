"""The Ray engine on a real 2-node Ray cluster on this machine: same outputs as the embedded run.

Needs the ray extra (`pip install -e '.[test,ray]'`); skipped with a reason without it. About 40 s.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import FIXTURES, SAMPLES

WIKINEWS = FIXTURES / "ray" / "wikinews-320.jsonl.gz"


def build_input(folder: Path, n_base: int | None = None, seed: int = 7) -> Path:
    """A JSONL of real Wikinews articles plus planted copies: exact copies (case and spacing
    changed), near copies (a few words edited), chains of edits, copies of the same article in
    several shards, and empty stubs the quality/decode stages reject. Deterministic."""
    rng = random.Random(seed)
    base = [json.loads(line) for line in gzip.open(WIKINEWS, "rt", encoding="utf-8")]
    if n_base is not None:
        base = base[:n_base]
    docs = list(base)
    articles = [d for d in base if len(d["text"].split()) >= 120]
    for k, d in enumerate(rng.sample(articles, min(40, len(articles)))):
        words = d["text"].split(" ")
        kind = k % 4
        if kind == 0:  # exact after normalisation
            text = re.sub(r" +", "  ", d["text"].upper())
        elif kind == 1:  # near: a handful of words replaced
            for _ in range(3):
                words[rng.randrange(len(words))] = rng.choice(["reportedly", "said", "officials", "Monday"])
            text = " ".join(words)
        elif kind == 2:  # near: a sentence dropped at the end, plus a trailer
            text = " ".join(words[: int(len(words) * 0.93)]) + " Copyright reserved."
        else:  # chain: a copy of a copy
            for _ in range(6):
                words[rng.randrange(len(words))] = "update"
            text = " ".join(words)
        docs.insert(rng.randrange(len(docs) + 1), dict(id=f"copy-{k}-{d['id']}", url=d["url"], title=d["title"], text=text))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "news.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    return path


def read_outputs(out: Path) -> dict:
    corpus = pq.read_table(out / "corpus").sort_by("id")
    return {
        "corpus": list(zip(corpus.column("id").to_pylist(), corpus.column("text").to_pylist())),
        "duplicates": pq.read_table(out / "duplicates.parquet").to_pylist(),
        "rejected": sorted(pq.read_table(out / "rejected.parquet").to_pylist(), key=lambda r: r["id"]),
    }


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    """A 2-node cluster (2 CPUs, 512 MiB object store each), torn down by its own handle."""
    pytest.importorskip("ray", reason="the Ray engine needs the ray extra: pip install -e '.[test,ray]'")
    os.environ.setdefault("RAY_TMPDIR", "/tmp/rt")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    Path(os.environ["RAY_TMPDIR"]).mkdir(parents=True, exist_ok=True)
    from ray.cluster_utils import Cluster

    node_args = dict(num_cpus=2, object_store_memory=512 * 1024**2, include_dashboard=False)
    cluster = Cluster(initialize_head=True, head_node_args=node_args)
    try:
        cluster.add_node(num_cpus=2, object_store_memory=512 * 1024**2)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()


@pytest.mark.slow
def test_ray_engine_equals_embedded_on_two_nodes(ray_cluster, tmp_path):
    from pipeline.config import PipelineConfig
    from pipeline.runner.local import run
    from pipeline.runner.ray_engine import run_ray

    src = build_input(tmp_path / "in")
    config = PipelineConfig().with_overrides(run={"shard_size": 25})
    embedded = run([src, SAMPLES], tmp_path / "embedded", config)
    result = run_ray([src, SAMPLES], tmp_path / "ray", config, address=ray_cluster.address)

    want, got = read_outputs(tmp_path / "embedded"), read_outputs(tmp_path / "ray")
    assert len(want["corpus"]) > 250 and len(want["duplicates"]) >= 30 and len(want["rejected"]) >= 10
    assert {d["kind"] for d in want["duplicates"]} == {"exact", "near"}
    assert got["corpus"] == want["corpus"]
    assert got["duplicates"] == want["duplicates"]
    assert got["rejected"] == want["rejected"]
    m = result.manifest
    assert m["accounting"]["ok"] and m["counts"] == embedded.manifest["counts"]
    assert m["shards"] == embedded.manifest["shards"] >= 14
    # Same per-shard files as the embedded run (shard boundaries by input order).
    for rel in ("stages/04_boilerplate", "stages/01_decode", "corpus"):
        assert sorted(p.name for p in (tmp_path / "ray" / rel).iterdir()) == sorted(p.name for p in (tmp_path / "embedded" / rel).iterdir())
    for part in sorted((tmp_path / "embedded" / "corpus").iterdir()):
        assert pq.read_table(tmp_path / "ray" / "corpus" / part.name).equals(pq.read_table(part))

    # Both nodes did work in the map (actor pool) and in the band shuffle.
    nodes = {n.node_id for n in ray_cluster.list_all_nodes()}
    engine = m["engine"]
    assert len(nodes) == 2 and set(engine["nodes"]) == nodes
    assert set(engine["map_nodes"]) == nodes, engine
    assert set(engine["shuffle_nodes"]) == nodes, engine
    assert engine["verified_edges"] >= len(want["duplicates"]) - 1
