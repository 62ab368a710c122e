"""Settings of the dedup stage (exact + MinHash near-duplicates)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DedupConfig(BaseModel):
    """Near-duplicate detection settings; bands/rows are derived from the threshold when unset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Exact duplicates: hash of the normalised text (case, whitespace, punctuation folded).
    exact: bool = True
    # "word" n-grams for prose; "char" n-grams for short or unsegmented (CJK) text.
    shingle: Literal["word", "char"] = "word"
    shingle_size: int = Field(5, ge=1)
    num_perm: int = Field(128, ge=16, le=1024)
    # Verified Jaccard a document must reach with the kept one to be removed.
    threshold: float = Field(0.8, gt=0, le=1)
    bands: int | None = None
    rows: int | None = None
    seed: int = 1
    # Which document of a cluster stays; ties broken by the smallest id.
    keep: Literal["longest", "earliest_date", "first_seen", "best_quality"] = "longest"
