"""datasketch is an optional extra: pipeline/ never imports it, yet its signatures (default
config, and as stored in a run's index) are identical to datasketch 2.0's MinHash."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from pipeline.dedup import DedupConfig, shingles, sketch
from tests.conftest import absent

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "dedup"
TEXTS = [json.loads(line)["text"] for line in (FIX / "wikinews_sample.jsonl").read_text(encoding="utf-8").splitlines()][:8]


def test_pipeline_never_imports_datasketch_and_it_is_an_extra():
    pat = re.compile(r"^\s*(import|from)\s+datasketch\b", re.M)
    assert not [p for p in (ROOT / "pipeline").rglob("*.py") if pat.search(p.read_text(encoding="utf-8"))]
    toml = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    deps = toml.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert "datasketch" not in deps  # not a run-time dependency
    assert re.search(r'^datasketch = \["datasketch>=2\.0"\]', toml, re.M)  # the extra


def test_default_signatures_and_index_signatures_equal_datasketch(tmp_path):
    datasketch = pytest.importorskip("datasketch", reason=absent("datasketch", "a test extra"))
    cfg = DedupConfig()  # 128 perms, seed 1, word 5-grams, affine32
    sk = sketch([(str(k), t) for k, t in enumerate(TEXTS)], cfg)
    from pipeline.dedup.index import load_index, write_index
    from pipeline.io.layout import RunLayout

    write_index(RunLayout(tmp_path), [sk], set(), cfg)
    idx = load_index(tmp_path, cfg)
    for k, t in enumerate(TEXTS):
        m = datasketch.MinHash(num_perm=cfg.num_perm, seed=cfg.seed)
        m.update_batch(shingles(t, cfg))
        assert np.array_equal(sk.signatures[k], m.hashvalues.astype(np.uint32))
        assert np.array_equal(idx.signatures[k], m.hashvalues.astype(np.uint32))


def test_shingle_hashes_are_sha1_across_block_and_lane_boundaries():
    """Shingles of 1-120 bytes (one or two SHA-1 blocks; 55/56 bytes is the boundary), more
    than one batch of lanes per document: every hash = first 8 bytes of SHA-1, little endian."""
    import hashlib
    import random

    from pipeline.dedup import _kernels as K
    from pipeline.dedup.sketch import shingle_hashes

    rnd = random.Random(5)
    for size in (1, 3, 5):
        cfg = DedupConfig(shingle_size=size)
        for _ in range(20):
            words = ["".join(rnd.choice("abcdéfghijklmnopqrstuvwxyz0123456789") for _ in range(rnd.randint(1, 25)))
                     for _ in range(rnd.randint(1, 120))]
            text = " ".join(words)
            want = sorted({int.from_bytes(hashlib.sha1(s).digest()[:8], "little") for s in shingles(text, cfg)})
            assert shingle_hashes(text, cfg).tolist() == want
    assert K.LANES >= 2
