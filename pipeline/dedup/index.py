"""Dedup across runs: each run's index (MinHash signatures and LSH band keys of the documents it
kept) is written as Parquet beside its corpus, in OUT/index/, and later runs match their
documents against it (`pipeline run NEW --out OUT2 --against OUT1 --against OUT0`) without
recomputing anything of the earlier runs.

    OUT/index/index.json          format, layout (what must match to reuse it), run id, doc count
    OUT/index/part-NNNNN.parquet  id, exact, n_shingles, signature (uint32 x num_perm),
                                  band_keys (uint64 x bands), corpus_part (its file in corpus/):
                                  one row per document in OUT/corpus

Matching (`match_against`): a new document whose exact hash equals an earlier kept document's,
or that shares an LSH band key with one and is verified on exact shingle sets at or above the
threshold, is removed as a duplicate of it; with several such earlier documents it names the most
similar one (ties: the run given first to --against, then the earlier document's position in its
index). Earlier documents are never removed or re-ranked: what a run kept was already delivered.
Only kept documents are indexed, so nothing is ever removed against a removed document.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.dedup.cluster import DuplicateRow
from pipeline.dedup.config import DedupConfig
from pipeline.dedup.graph import set_similarity
from pipeline.dedup.lsh import band_hashes, lsh_params
from pipeline.dedup.sketch import Sketches, shingle_hashes
from pipeline.errors import InputError
from pipeline.io.layout import RunLayout
from pipeline.io.storage import as_path, is_remote, put_parquet, read_schema, read_table

FORMAT = 1


class IndexMismatch(InputError):
    """An earlier run's index is missing or was built with another layout."""


def layout(config: DedupConfig) -> dict:
    """What two runs must share for signatures and band keys to be comparable."""
    bands, rows = lsh_params(config)
    return {
        "num_perm": config.num_perm,
        "seed": config.seed,
        "minhash_scheme": config.minhash_scheme,
        "shingle": config.shingle,
        "shingle_size": config.shingle_size,
        "bands": bands,
        "rows": rows,
    }


def write_index(run_layout: RunLayout, sketches: Iterable[Sketches], removed: set[str], config: DedupConfig, against: Sequence[str] = (),
                corpus_parts: Sequence[Sequence[tuple[str, int]]] | None = None, metadata: Mapping[str, str] | None = None) -> dict:
    """Write OUT/index/ for the documents of `sketches` not in `removed`; returns index.json.
    `corpus_parts[k]`: the (file of OUT/corpus/, rows) runs holding the k-th sketches' kept
    documents in order (a later run then reads only the files it needs texts from).
    `metadata`: key-value metadata of each part file (the run's version and config hash)."""
    folder = run_layout.index
    if not is_remote(folder):
        folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        old.unlink()
    lay = layout(config)
    n_docs, parts = 0, []
    for k, s in enumerate(sketches):
        keep = np.array([i not in removed for i in s.ids], bool)
        if not keep.any():
            continue
        sig = np.ascontiguousarray(s.signatures[keep], dtype=np.uint32)
        keys = band_hashes(sig, lay["bands"], lay["rows"])
        ids = [i for i, k_ in zip(s.ids, keep) if k_]
        part = {} if corpus_parts is None else {"corpus_part": _expand(corpus_parts[k], len(ids))}
        t = pa.table(
            {
                **part,
                "id": pa.array(ids, pa.string()),
                "exact": pa.array(np.asarray(s.exact)[keep].astype(np.uint64), pa.uint64()),
                "n_shingles": pa.array(np.asarray(s.n_shingles)[keep].astype(np.int32), pa.int32()),
                "signature": pa.FixedSizeListArray.from_arrays(pa.array(sig.reshape(-1)), sig.shape[1]),
                "band_keys": pa.FixedSizeListArray.from_arrays(pa.array(keys.reshape(-1)), lay["bands"]),
            }
        )
        if metadata:
            t = t.replace_schema_metadata(dict(metadata))
        path = run_layout.index_part(k)
        if is_remote(path):
            put_parquet(t, path, compression="zstd")  # one put: atomic
        else:
            tmp = path.with_name(path.name + ".tmp")
            pq.write_table(t, tmp, compression="zstd")
            tmp.replace(path)
        parts.append(path.name)
        n_docs += len(ids)
    info = {"format": FORMAT, "run_id": uuid.uuid4().hex, "layout": lay, "threshold": config.threshold,
            "similarity": config.similarity, "docs": n_docs, "parts": parts, "against": list(against)}
    run_layout.index_meta.write_text(json.dumps(info, indent=2, sort_keys=True), encoding="utf-8")
    return info


def _expand(segments: Sequence[tuple[str, int]], n: int) -> pa.Array:
    """[(file, rows), ...] -> one file name per document (dictionary-encoded)."""
    names = [name for name, rows in segments for _ in range(rows)]
    assert len(names) == n, f"corpus files hold {len(names)} of this shard's {n} kept documents"
    return pa.array(names, pa.string()).dictionary_encode()


@dataclass
class PriorIndex:
    """An earlier run's index, loaded: ids, exact hashes and band keys (~0.2 KB per document);
    signatures are read only for the documents matched (`signatures_of`)."""

    run: str  # the run folder as given to --against
    run_id: str
    ids: list[str]
    exact: np.ndarray
    band_keys: np.ndarray
    corpus: Path
    parts: list[Path]
    corpus_part: list[str] | None = None  # per document: its file in corpus/ (None: unknown)

    @property
    def signatures(self) -> np.ndarray:
        return self.signatures_of(np.arange(len(self.ids)))

    def signatures_of(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), num_perm) uint32 signatures of the documents at these index positions."""
        t = pa.concat_tables([read_table(p, columns=["signature"]) for p in self.parts]).take(pa.array(np.asarray(rows, np.int64)))
        col = t.column("signature").combine_chunks()
        return col.flatten().to_numpy(zero_copy_only=False).astype(np.uint32).reshape(t.num_rows, col.type.list_size)

    def fetch_texts(self, ids: Sequence[str]) -> dict[str, str]:
        import pyarrow.dataset as ds

        want = list(dict.fromkeys(ids))
        if self.corpus_part is None:
            sources = {self.corpus: want}
        else:
            if not hasattr(self, "_part_of"):
                self._part_of = dict(zip(self.ids, self.corpus_part))
            sources = {}
            for i in want:
                sources.setdefault(self.corpus / self._part_of[i], []).append(i)
        out: dict[str, str] = {}
        for src, wanted in sources.items():
            where = dict(source=src.path, filesystem=src.fs) if is_remote(src) else dict(source=str(src))
            t = ds.dataset(**where, format="parquet").to_table(columns=["id", "text"], filter=ds.field("id").isin(wanted))
            out.update(zip(t.column("id").to_pylist(), t.column("text").to_pylist()))
        return out


def load_index(run: str | Path, config: DedupConfig) -> PriorIndex:
    paths = RunLayout(as_path(run))
    folder, meta = paths.index, paths.index_meta
    if not meta.is_file():
        raise IndexMismatch(f"{run}: no dedup index ({meta.relative_to(paths.out)}); was it written by a run with dedup enabled?")
    info = json.loads(meta.read_text(encoding="utf-8"))
    if info.get("format") != FORMAT:
        raise IndexMismatch(f"{run}: index format {info.get('format')!r}, this pipeline reads {FORMAT}")
    mine = layout(config)
    diff = [k for k in mine if info["layout"].get(k) != mine[k]]
    if diff:
        k = diff[0]
        raise IndexMismatch(f"{run}: index built with dedup {k} = {info['layout'].get(k)!r}, this run uses {mine[k]!r}; "
                          "signatures and band keys are only comparable with the same layout")
    parts = [folder / p for p in info["parts"]]
    has_part = bool(parts) and "corpus_part" in read_schema(parts[0]).names
    tables = [read_table(p, columns=["id", "exact", "band_keys"] + (["corpus_part"] if has_part else [])) for p in parts]
    corpus_part = None
    if tables:
        t = pa.concat_tables(tables)
        keys = t.column("band_keys").combine_chunks().flatten().to_numpy(zero_copy_only=False).astype(np.uint64).reshape(t.num_rows, -1)
        ids, exact = t.column("id").to_pylist(), t.column("exact").to_numpy().astype(np.uint64)
        if has_part:
            corpus_part = t.column("corpus_part").to_pylist()
    else:
        keys = np.empty((0, mine["bands"]), np.uint64)
        ids, exact = [], np.empty(0, np.uint64)
    return PriorIndex(str(run), info["run_id"], ids, exact, keys, paths.corpus, parts, corpus_part)


def match_against(
    sketches: Iterable[Sketches],
    priors: Sequence[PriorIndex],
    fetch_texts: Callable[[Sequence[str]], Mapping[str, str]],
    config: DedupConfig,
) -> tuple[list[DuplicateRow], dict]:
    """Rows for the new documents (in `sketches`) that duplicate a document kept by an earlier
    run; they name that document and its run (`duplicate_of_run`). Streams: one batch of new
    sketches at a time against the earlier runs' band keys (sorted once per band)."""
    bands, rows = lsh_params(config)
    stats: dict = {"runs": [{"run": p.run, "run_id": p.run_id, "docs": len(p.ids)} for p in priors],
                   "candidate_pairs": 0, "verified_pairs": 0, "exact_duplicates": 0, "near_duplicates": 0, "removed": 0}
    if not priors or not sum(len(p.ids) for p in priors):
        return [], stats
    p_ids = [(r, i) for r, p in enumerate(priors) for i in p.ids]  # global prior index -> (run, id)
    starts = np.cumsum([0] + [len(p.ids) for p in priors])
    first: dict[int, int] = {}
    if config.exact:
        for g, h in enumerate(np.concatenate([p.exact for p in priors]).tolist()):
            first.setdefault(h, g)
    p_keys = np.concatenate([p.band_keys for p in priors])
    sorted_keys = []
    for b in range(bands):
        order = np.argsort(p_keys[:, b], kind="stable")
        sorted_keys.append((order, p_keys[order, b]))
    del p_keys
    out: list[DuplicateRow] = []
    for sk in sketches:
        if len(sk.ids):
            out.extend(_match_batch(sk, priors, p_ids, starts, first, sorted_keys, fetch_texts, config, bands, rows, stats))
    stats["removed"] = len(out)
    out.sort(key=lambda r: r.id)
    return out, stats


def _match_batch(sk, priors, p_ids, starts, first, sorted_keys, fetch_texts, config, bands, rows, stats) -> list[DuplicateRow]:
    ids = sk.ids
    sig = np.asarray(sk.signatures, np.uint32)
    nsh = np.asarray(sk.n_shingles)
    out: list[DuplicateRow] = []
    usable = nsh != 0
    if first:
        for a, h in enumerate(np.asarray(sk.exact, np.uint64).tolist()):
            g = first.get(h)
            if g is not None and usable[a]:
                r, pid = p_ids[g]
                out.append(DuplicateRow(ids[a], pid, pid, 1.0, 1.0, "exact", priors[r].run))
                usable[a] = False
    stats["exact_duplicates"] += len(out)

    # candidates: equal band key in the same band (at most max_bucket earlier documents per key)
    keys = band_hashes(sig, bands, rows)
    pairs: list[np.ndarray] = []
    for b, (order, col) in enumerate(sorted_keys):
        q = keys[:, b]
        lo = np.searchsorted(col, q, "left")
        cnt = np.minimum(np.searchsorted(col, q, "right") - lo, config.max_bucket)
        cnt[~usable] = 0
        if not cnt.any():
            continue
        a = np.repeat(np.arange(len(ids), dtype=np.uint64), cnt)
        off = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        g = order[np.repeat(lo, cnt) + off].astype(np.uint64)
        pairs.append((a << np.uint64(32)) | g)
    cand = np.unique(np.concatenate(pairs)) if pairs else np.empty(0, np.uint64)
    stats["candidate_pairs"] += int(cand.size)
    if not cand.size:
        return out
    ca = (cand >> np.uint64(32)).astype(np.int64)
    cg = (cand & np.uint64(0xFFFFFFFF)).astype(np.int64)

    # verify on exact shingle sets, one fetch per run for the earlier texts
    new_text = fetch_texts(sorted({ids[a] for a in ca.tolist()}))
    by_run: dict[int, list[int]] = {}
    for g in sorted(set(cg.tolist())):
        by_run.setdefault(p_ids[g][0], []).append(g)
    old_text: dict[int, str] = {}
    for r, gs in by_run.items():
        got = priors[r].fetch_texts([p_ids[g][1] for g in gs])
        for g in gs:
            if p_ids[g][1] not in got:
                raise IndexMismatch(f"{priors[r].run}: document {p_ids[g][1]!r} is in the index but not in corpus/")
            old_text[g] = got[p_ids[g][1]]
    sets: dict[tuple[str, int], np.ndarray] = {}

    def sh(kind: str, k: int, text: str) -> np.ndarray:
        if (kind, k) not in sets:
            sets[(kind, k)] = shingle_hashes(text, config)
        return sets[(kind, k)]

    best: dict[int, tuple[float, int]] = {}
    for a, g in zip(ca.tolist(), cg.tolist()):
        s = set_similarity(sh("n", a, new_text[ids[a]]), sh("o", g, old_text[g]), config.similarity)
        if s >= config.threshold:
            stats["verified_pairs"] += 1
            if a not in best or (s, -g) > (best[a][0], -best[a][1]):
                best[a] = (s, g)
    p_sig: dict[int, np.ndarray] = {}
    for r, p in enumerate(priors):  # signatures of the matched earlier documents only
        gs = sorted({g for _, g in best.values() if p_ids[g][0] == r})
        if gs:
            p_sig.update(zip(gs, p.signatures_of(np.array(gs) - starts[r])))
    for a, (s, g) in sorted(best.items()):
        r, pid = p_ids[g]
        est = float(np.mean(sig[a] == p_sig[g]))
        out.append(DuplicateRow(ids[a], pid, pid, round(s, 6), round(est, 6), "near", priors[r].run))
    stats["near_duplicates"] += len(best)
    return out


def without(sketches: Iterable[Sketches], removed: set[str]) -> Iterator[Sketches]:
    """The sketches minus the documents in `removed` (what the within-run resolve still sees)."""
    for s in sketches:
        keep = np.array([i not in removed for i in s.ids], bool)
        if keep.all():
            yield s
        elif keep.any():
            yield Sketches([i for i, k in zip(s.ids, keep) if k], np.asarray(s.exact)[keep],
                           np.asarray(s.signatures)[keep], np.asarray(s.n_shingles)[keep])
