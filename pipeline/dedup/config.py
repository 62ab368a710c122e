"""Settings of the dedup stage (exact + MinHash near-duplicates)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


Similarity = Literal["jaccard", "containment"]


class DedupConfig(BaseModel):
    """Near-duplicate detection settings; bands/rows are derived from the threshold when unset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Exact duplicates: hash of the normalised text (NFKC, lower case, punctuation and
    # whitespace folded to single spaces; digits are kept).
    exact: bool = True
    # "word" n-grams for prose; "char" n-grams for short or unsegmented (CJK) text.
    shingle: Literal["word", "char"] = "word"
    shingle_size: int = Field(5, ge=1)
    num_perm: int = Field(128, ge=16, le=1024)
    # datasketch's permutation scheme the signatures match: "affine32" is datasketch >= 2.0's
    # default (MinHash(num_perm, seed)); "legacy" is MinHash(..., scheme="legacy") / datasketch 1.x.
    minhash_scheme: Literal["affine32", "legacy"] = "affine32"
    # Verified similarity a document must reach with the kept one to be removed.
    threshold: float = Field(0.8, gt=0, le=1)
    # "jaccard" = |A∩B|/|A∪B|; "containment" = |A∩B|/min(|A|,|B|) (partial copies, quoted text).
    similarity: Similarity = "jaccard"
    # Where the LSH S-curve must reach `lsh_recall` (Jaccard); defaults to `threshold`.
    # Lower it for containment, where the Jaccard of a contained copy is below the threshold.
    lsh_threshold: float | None = Field(None, gt=0, le=1)
    lsh_recall: float = Field(0.99, gt=0, lt=1)
    bands: int | None = Field(None, ge=1)
    rows: int | None = Field(None, ge=1)
    seed: int = 1
    # Keep policy: ranks documents (ties broken by the smallest id). With keep_rule "coverage" it
    # breaks ties between equally central members; with "policy" it decides outright.
    keep: Literal["longest", "earliest_date", "first_seen", "best_quality"] = "longest"
    # Which members of a verified cluster stay (pipeline/dedup/keep.py). "coverage": keep the
    # member verified-similar to the most undecided members (the star centre), remove those,
    # repeat; a member not within threshold of any kept document is kept itself. So every
    # removed document names a kept one >= threshold, and no two kept ones are >= threshold of
    # each other (except inside giant components, counted in the manifest). "policy": the
    # best-ranked undecided member is always the next centre (the policy wins outright).
    keep_rule: Literal["coverage", "policy"] = "coverage"
    # LSH buckets larger than this emit only pairs with their best-ranked member (a star)
    # instead of all pairs, so templated text cannot blow up quadratically.
    max_bucket: int = Field(50, ge=2)
    # Connected components (of verified pairs) up to this size get every member pair verified,
    # so greedy clustering sees all edges; larger ("giant") ones are split using candidate edges only,
    # and their kept members are then verified pairwise: pairs at or above the threshold are counted in
    # manifest.json (dedup.giant_kept_pairs_over_threshold), the one case where two kept documents may be.
    max_component: int = Field(100, ge=2)
    # Memory for band hashes before they are spilled to partitioned files in `tmp_dir`.
    memory_mb: int = Field(256, ge=16)
    # Documents whose shingle sets are held at once during verification (also fetch batch size).
    verify_docs: int = Field(20_000, ge=100)
    tmp_dir: str | None = None

    @model_validator(mode="after")
    def _bands_rows(self) -> "DedupConfig":
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both bands and rows, or neither (they are then derived from the threshold)")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands*rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        return self
