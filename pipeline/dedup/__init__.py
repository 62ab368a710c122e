"""Exact and MinHash near-duplicate detection, usable alone or as the pipeline's dedup stage."""

from pipeline.dedup.api import (
    DuplicateRow,
    KeepInfo,
    Sketches,
    find_duplicates,
    find_duplicates_with_stats,
    lsh_params,
    normalise,
    rows_to_table,
    sketch,
    sketches_from_table,
    sketches_to_table,
)
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.stream import Deduplicator

__all__ = [
    "DedupConfig",
    "Deduplicator",
    "DuplicateRow",
    "KeepInfo",
    "Sketches",
    "find_duplicates",
    "find_duplicates_with_stats",
    "lsh_params",
    "normalise",
    "rows_to_table",
    "sketch",
    "sketches_from_table",
    "sketches_to_table",
]
