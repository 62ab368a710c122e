"""Where a run's files live: every path under OUT and its scratch folder OUT/_work.

OUT is a local `Path` or, for a URL (s3://, gs://, memory://, ...), a `upath.UPath` over its
fsspec filesystem (`pipeline.io.storage.as_path`): the paths below are the same code for both.

Stage folders are numbered by the run's stage order (`stages/NN_<name>`), which comes from the
plan when writing and from the run's manifest when reading an earlier run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PipelineError

WORK = "_work"
# What a run writes into OUT; --overwrite removes exactly these and nothing else.
OUTPUT_NAMES = ("corpus", "stages", "duplicates.parquet", "rejected.parquet", "manifest.json", "README.md", "report.html", "index", WORK)
# The lock a run holds on OUT (filelock; on an object store a lock object, safety.RemoteOutLock);
# never removed by --overwrite (a run holds it meanwhile).
LOCK_NAME = ".pipeline.lock"


def shard_name(index: int) -> str:
    return f"{index:05d}"


@dataclass(frozen=True)
class RunLayout:
    """The paths of one run in `out`, for the stages `stages` (in run order). Paths outside
    stages/ do not need them (`RunLayout(out)`: e.g. an earlier run's dedup index)."""

    out: Path  # or a UPath (pipeline.io.storage.AnyPath)
    stages: tuple[str, ...] = ()

    @classmethod
    def of_run(cls, out: Path) -> "RunLayout":
        """The layout of a finished run, with the stage list its manifest recorded (a report on
        an older run reads that run's stages, not the current code's)."""
        return cls(out, tuple(read_manifest(out)["stages"]))

    # -- outputs
    def stage_dir(self, name: str) -> Path:
        return self.out / "stages" / f"{self.stages.index(name) + 1:02d}_{name}"

    def edits(self, stage: str, index: int) -> Path:
        """Shard `index`'s edits of a stage; not written when the shard has none."""
        return self.stage_dir(stage) / f"edits-{shard_name(index)}.parquet"

    def inputs(self, index: int) -> Path:
        """Shard `index`'s input texts; not written when the shard has none (all unreadable)."""
        return self.stage_dir(self.stages[0]) / f"input-{shard_name(index)}.parquet"

    # Globs of the multi-file tables, relative to OUT (the dataset card's data_files).
    CORPUS_GLOB = "corpus/part-*.parquet"
    EDITS_GLOB = "stages/*/edits-*.parquet"

    def stage_stats(self, stage: str) -> Path:
        return self.stage_dir(stage) / "stats.json"

    def corpus_part(self, index: int) -> Path:
        """The index-th file of corpus/ (files are cut by size, not by shard: corpus_files.py)."""
        return self.out / "corpus" / f"part-{shard_name(index)}.parquet"

    @property
    def corpus(self) -> Path:
        return self.out / "corpus"

    @property
    def duplicates(self) -> Path:
        return self.out / "duplicates.parquet"

    @property
    def rejected(self) -> Path:
        return self.out / "rejected.parquet"

    @property
    def manifest(self) -> Path:
        return self.out / "manifest.json"

    @property
    def card(self) -> Path:
        """The dataset card: `datasets.load_dataset(OUT, "corpus")` reads its `configs:`."""
        return self.out / "README.md"

    @property
    def lock(self) -> Path:
        """The exclusive lock of the run writing into OUT (`pipeline.io.safety.OutLock`)."""
        return self.out / LOCK_NAME

    # -- the dedup index of the kept documents, what a later run's --against reads
    @property
    def index(self) -> Path:
        return self.out / "index"

    @property
    def index_meta(self) -> Path:
        return self.index / "index.json"

    def index_part(self, k: int) -> Path:
        return self.index / f"part-{shard_name(k)}.parquet"

    # -- scratch between the phases (OUT/_work)
    @property
    def work(self) -> Path:
        return self.out / WORK

    @property
    def identity(self) -> Path:
        return self.work / "run.json"

    def pre_summary(self, index: int) -> Path:
        return self.work / f"summary-pre-{shard_name(index)}.json"

    def summary(self, index: int) -> Path:
        return self.work / f"summary-{shard_name(index)}.json"

    def survivors(self, index: int) -> Path:
        """Documents that left the stages before the corpus-wide step, whole (all fields)."""
        return self.work / f"pre-{shard_name(index)}.parquet"

    def observation(self, index: int) -> Path:
        return self.work / f"observed-{shard_name(index)}.pkl"

    def rejected_pre(self, index: int) -> Path:
        return self.work / f"rejected-pre-{shard_name(index)}.parquet"

    def rejected_part(self, index: int) -> Path:
        return self.work / f"rejected-{shard_name(index)}.parquet"

    def kept(self, index: int) -> Path:
        return self.work / f"kept-{shard_name(index)}.parquet"

    def sketch(self, index: int) -> Path:
        return self.work / f"sketch-{shard_name(index)}.parquet"

    def units(self) -> Path:
        """Engine timing records, one small file per unit of work (Ray)."""
        return self.work / "units"


def read_manifest(out: Path) -> dict:
    """A finished run's manifest.json; a missing or unreadable one is a one-line error."""
    p = out / "manifest.json"
    if not p.exists():
        raise PipelineError(f"{out}: not a finished run (no manifest.json)")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: bad JSON or not UTF-8
        raise PipelineError(f"{p}: unreadable manifest ({exc})") from None
