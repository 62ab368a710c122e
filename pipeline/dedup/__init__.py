"""Exact and MinHash near-duplicate detection, usable alone or as the pipeline's dedup stage.

Map (`sketch`, pure, per batch, in worker processes): normalise text, hash every shingle with
SHA-1 (datasketch's ``sha1_hash32`` is the low 32 bits), MinHash all shingles of the batch under
all permutations at once (numba kernel, NumPy fallback), plus a 64-bit hash of the normalised
text for exact duplicates.

Resolve (`find_duplicates_with_stats`, global; the steps are in resolve.py):
1. exact groups (same normalised text) -> one representative each;
2. LSH: per band, (band hash, doc) sorted - in memory or spilled to partitioned files when above
   ``memory_mb`` - and equal runs give candidate pairs (stars for huge buckets);
3. every candidate pair verified on exact shingle sets (texts fetched in large batches);
4. clustering without chaining (keep.py): a document is removed only if it has a verified edge
   (similarity >= threshold) to a *kept* document; per component the kept ones are star centres
   chosen by coverage (keep_rule "coverage", the keep rank breaks ties) or by keep rank alone
   ("policy"). Components of verified pairs up to ``max_component`` get all member pairs
   verified first, so the keep decision sees every edge; bigger ("giant") ones are split on
   candidate edges and their kept members checked pairwise and counted.

Dedup across runs (index.py): OUT/index/ holds the kept documents' signatures and band keys;
`pipeline run --against OUT` matches a new run against them before the resolve above.
"""

from pipeline.core.registry import StageSpec
from pipeline.dedup.cluster import DuplicateRow, KeepInfo, jaccard, keep_info_table, rows_to_table
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.lsh import lsh_params, s_curve
from pipeline.dedup.resolve import find_duplicates, find_duplicates_with_stats
from pipeline.dedup.sketch import (
    Sketches,
    normalise,
    shingle_hashes,
    shingles,
    sketch,
    sketches_from_table,
    sketches_to_table,
)
from pipeline.dedup.stream import Deduplicator

# The global step of a run: the engine sketches each shard's kept documents and resolves them.
# Reason codes this stage emits (the removed copy's row; the kept id follows " | "). The kept
# document is the one dedup/keep.py chose (dedup.keep_rule), or one an earlier run given to
# --against kept (duplicates.parquet: duplicate_of_run).
REASONS = {
    "dedup:exact_duplicate": "the same normalised text as the kept document (of this run, or of an earlier run given to --against)",
    "dedup:near_duplicate": "verified word 5-gram similarity >= dedup.threshold with the kept document: the centre of its "
                            "cluster (dedup.keep_rule, dedup.keep breaks ties) or a document an earlier --against run kept",
}

SPEC = StageSpec("dedup", "dedup_v1", DedupConfig, None, kind="global", reasons=REASONS)

__all__ = [
    "SPEC",
    "DedupConfig",
    "Deduplicator",
    "DuplicateRow",
    "KeepInfo",
    "Sketches",
    "find_duplicates",
    "find_duplicates_with_stats",
    "jaccard",
    "keep_info_table",
    "lsh_params",
    "normalise",
    "rows_to_table",
    "s_curve",
    "shingle_hashes",
    "shingles",
    "sketch",
    "sketches_from_table",
    "sketches_to_table",
]
