"""Exact and near-duplicate detection: map-phase sketches, then one global resolve step.
Thin re-export of sketch.py (map), lsh.py (candidates) and cluster.py (resolve), kept as the
stable import path `pipeline.dedup.api`.

Map (`sketch`, pure, per batch, in worker processes): normalise text, hash every shingle with
SHA-1 (datasketch's ``sha1_hash32`` is the low 32 bits), MinHash all shingles of the batch under
all permutations at once (numba kernel, NumPy fallback), plus a 64-bit hash of the normalised
text for exact duplicates.

Resolve (`find_duplicates_with_stats`, global):
1. exact groups (same normalised text) -> one representative each;
2. LSH: per band, (band hash, doc) sorted - in memory or spilled to partitioned files when above
   ``memory_mb`` - and equal runs give candidate pairs (stars for huge buckets);
3. every candidate pair verified on exact shingle sets (texts fetched in large batches);
4. clustering without chaining (keep.py): a document is removed only if it has a verified edge
   (similarity >= threshold) to a *kept* document; per component the kept ones are star centres
   chosen by coverage (keep_rule "coverage", the keep rank breaks ties) or by keep rank alone
   ("policy"). Components of verified pairs up to ``max_component`` get all member pairs
   verified first, so the greedy pass sees every edge; bigger ("giant") ones are split on
   candidate edges and their kept members checked pairwise and counted.
"""

from pipeline.dedup.cluster import (
    DuplicateRow,
    KeepInfo,
    find_duplicates,
    find_duplicates_with_stats,
    jaccard,
    rows_to_table,
)
from pipeline.dedup.lsh import band_hashes, lsh_params, s_curve
from pipeline.dedup.sketch import (
    Sketches,
    normalise,
    shingle_hashes,
    shingles,
    sketch,
    sketches_from_table,
    sketches_to_table,
)

__all__ = [
    "DuplicateRow",
    "KeepInfo",
    "Sketches",
    "band_hashes",
    "find_duplicates",
    "find_duplicates_with_stats",
    "jaccard",
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
