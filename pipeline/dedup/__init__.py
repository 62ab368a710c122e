"""Exact and MinHash near-duplicate detection, usable alone or as the pipeline's dedup stage."""

from pipeline.dedup.api import DuplicateRow, KeepInfo, Sketches, find_duplicates, sketch
from pipeline.dedup.config import DedupConfig

__all__ = ["DedupConfig", "DuplicateRow", "KeepInfo", "Sketches", "find_duplicates", "sketch"]
