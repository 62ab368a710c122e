"""repeated_lines: cross-document removal of lines that recur across many documents of one
source (site chrome, signatures, legal footers), in the spirit of CCNet's repeated paragraphs.

Three phases, driven by the engine through the corpus-stage protocol of `RepeatedLinesPass`:
  1. map: `line_keys(doc, config)` -> a 64-bit key per normalised non-blank line, salted with
     the document's source group (URL host when known, else its input folder or file), so a
     line only counts against documents of the same source;
  2. global: a `LineCounts` per shard (`add(keys, text)` once per document, every key counted
     once per distinct document text: exact copies count once, also across shards), `merge`d
     together, then `repeated(config)` -> the frozenset of keys seen in at least `min_docs`
     distinct documents;
  3. map: `RepeatedLines(config, repeated).apply(doc)` removes those lines.

A quote shared by a handful of syndicated stories stays: removal needs `min_docs` documents of
the same source, and lines shorter than `min_chars` or longer than `max_words` are never keyed.
"""

from __future__ import annotations

import os
from array import array
from itertools import chain
from typing import Iterable, Literal, Sequence
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash
from pydantic import BaseModel, ConfigDict, Field

from pipeline.core.document import Document, Outcome, apply_edits
from pipeline.core.registry import StageSpec
from pipeline.stages.lines import CJK_CHARS, line_spans, measure, removal_edits

NAME = "repeated_lines"
VERSION = "repeated_lines_v3"  # v3: XXH3 line keys, batch normalisation (issue 13); v2: a line counts once per distinct document text (issue 12)



class RepeatedLinesConfig(BaseModel):
    """Thresholds and grouping of the cross-document repeated-line statistics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # A line is site chrome when it occurs in at least this many documents of one source.
    # Syndicated quotes recur in a few stories; 10 keeps them while catching footers that
    # appear on every page of a site.
    min_docs: int = Field(10, ge=2)
    # Very short normalised lines ("", "a") carry no evidence of being chrome and would collide.
    min_chars: int = Field(3, ge=1)
    # Paragraph-length lines are content even when repeated; dedup handles copied articles.
    max_words: int = Field(120, ge=1)
    # How documents are grouped into sources when they have no URL: by the folder holding the
    # input file (a crawl folder of one site) or by the input file itself.
    source_group: Literal["folder", "file"] = "folder"
    # Memory bound of LineCounts: when more distinct keys are held, the rarest are pruned
    # (see LineCounts). 2 M keys is ~200 MB of Python dict.
    max_keys: int = Field(2_000_000, ge=1000)


def source_group(doc: Document, config: RepeatedLinesConfig) -> str:
    """URL host (without "www.") when known, else the input folder or file of the document."""
    if doc.url:
        host = urlsplit(doc.url).netloc.lower().rsplit("@", 1)[-1].split(":", 1)[0]
        if host:
            return host[4:] if host.startswith("www.") else host
    src = doc.source or ""
    return os.path.dirname(src) or src if config.source_group == "folder" else src


def _key(group: str, norm: str) -> int:
    """64-bit key of a normalised line in its source group: XXH3 (fast, not cryptographic; a
    collision can only make a line count with another, which min_docs documents must share)."""
    digest = xxhash.xxh3_64_digest(f"{group}\x00{norm}".encode("utf-8", "surrogatepass"))
    return int.from_bytes(digest, "big", signed=True)  # fits an int64 column


def _keys_by_line(docs: Sequence[Document], config: RepeatedLinesConfig,
                  wanted: frozenset[int] | None = None) -> list[dict[int, int]]:
    """Per document: line number -> key of every non-blank line short enough to be chrome
    (only the keys in `wanted`, when given). Lines are numbered as `lines.measure` numbers them.
    Case, digits, punctuation and spacing do not make a footer a different footer: lines are
    lowercased, digit runs become "0" and runs of anything but letters and digits one space, in
    one pass of Arrow's string kernels over all lines of the batch."""
    numbers, texts, owner = [], [], []
    for k, doc in enumerate(docs):
        for i, raw in enumerate(doc.text.splitlines()):
            if s := raw.strip():
                numbers.append(i)
                texts.append(s)
                owner.append(k)
    keys: list[dict[int, int]] = [{} for _ in docs]
    if not texts:
        return keys
    lines = pa.array(texts, type=pa.large_string())
    digits = pc.replace_substring_regex(pc.utf8_lower(lines), r"\p{Nd}+", "0")
    # Runs of anything but letters and digits become one space; a run that already is one
    # space is left alone (the same result, and most runs in prose are: a third of the CPU).
    norm = pc.utf8_trim_whitespace(pc.replace_substring_regex(digits, r"[^\pL\pN ][^\pL\pN]*| [^\pL\pN]+", " "))
    groups = [source_group(doc, config) for doc in docs]
    found = []
    for j, (n, k, s) in enumerate(zip(numbers, owner, norm.to_pylist())):
        if len(s) >= config.min_chars:
            key = _key(groups[k], s)
            if wanted is None or key in wanted:
                found.append((j, n, k, key))
    long = _too_long(lines, [j for j, *_ in found], config.max_words)
    for j, n, k, key in found:
        if not (j in long and measure(texts[j])[0].n_words > config.max_words):
            keys[k][n] = key
    return keys


def _too_long(lines: pa.Array, rows: list[int], max_words: int) -> set[int]:
    """Which of `rows` may have more than `max_words` words as `lines.measure` counts them:
    a bound from all its \\w+ runs (URL words included, never below measure's count) and its
    CJK characters; only lines over it are measured. The bound is at most (chars + 1) // 2 + 1,
    so lines shorter than 2 x max_words - 1 characters are not looked at."""
    at = np.asarray(rows, dtype=np.int64)
    at = at[pc.utf8_length(lines).to_numpy(zero_copy_only=False)[at] >= 2 * max_words - 1]
    if not at.size:
        return set()
    sub = lines.take(pa.array(at))
    tokens = pc.count_substring_regex(sub, r"[\pL\pN_]+").to_numpy(zero_copy_only=False)
    cjk = pc.count_substring_regex(sub, CJK_CHARS).to_numpy(zero_copy_only=False)
    bound = np.where(cjk < 4, tokens + cjk // 2, np.maximum(tokens, cjk // 2))
    return set(at[bound > max_words].tolist())


# A document's note between the phases: its keyed lines as [line, key, line, key, ...].
NOTE_TYPE = pa.list_(pa.int64())


def _notes(keyed: list[dict[int, int]]) -> pa.Array:
    """`_keys_by_line`'s dicts as one Arrow list per document (NOTE_TYPE)."""
    offsets = np.zeros(len(keyed) + 1, dtype=np.int32)
    np.cumsum([2 * len(d) for d in keyed], out=offsets[1:])
    flat = np.fromiter(chain.from_iterable(chain.from_iterable(d.items()) for d in keyed), np.int64, int(offsets[-1]))
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat, pa.int64()))


def _noted_keys(notes: pa.Array, wanted: frozenset[int]) -> list[dict[int, int]]:
    """Per document (one note each): line number -> key of its noted lines whose key is in
    `wanted`, which is what `_keys_by_line(docs, config, wanted)` gives (a line's key and its
    length check depend on that line alone)."""
    if isinstance(notes, pa.ChunkedArray):
        notes = notes.combine_chunks()
    flat = pc.list_flatten(notes).to_numpy(zero_copy_only=False)
    per_doc = pc.list_value_length(notes).fill_null(0).to_numpy(zero_copy_only=False) // 2
    lines, keys = flat[0::2], flat[1::2]
    hit = np.isin(keys, np.fromiter(wanted, np.int64, len(wanted)))
    owner = np.repeat(np.arange(len(notes)), per_doc)
    out: list[dict[int, int]] = [{} for _ in range(len(notes))]
    for k, n, key in zip(owner[hit].tolist(), lines[hit].tolist(), keys[hit].tolist()):
        out[k][n] = key
    return out


def line_keys(doc: Document, config: RepeatedLinesConfig) -> list[int]:
    """Map phase: the keys of a document's lines (duplicates within the document included;
    `LineCounts.add` counts each key once per document)."""
    return list(_keys_by_line([doc], config)[0].values())


class LineCounts:
    """Number of documents each line key occurs in, with bounded memory.

    Counts are exact until more than `max_keys` distinct keys are held. Then the keys with the
    lowest counts are dropped (all keys at or below the smallest count that brings the table
    under 3/4 of the cap); `error` records the largest count ever dropped. A dropped key that
    comes back restarts from zero, so counts are only ever *under*-estimated, by at most
    `error`: the pruning can make the stage remove fewer lines, never more.
    """

    __slots__ = ("counts", "max_keys", "error", "texts")

    def __init__(self, max_keys: int = 2_000_000) -> None:
        self.counts: dict[int, int] = {}
        self.max_keys = max_keys
        self.error = 0
        # the documents counted here by text key (`text_key`) -> their distinct line keys: a copy
        # of a text already counted adds nothing, and `drop_copies` takes back a copy that an
        # earlier shard counted too
        self.texts: dict[int, array] = {}

    def add(self, keys: Iterable[int], text: int | None = None) -> None:
        """Count a document's line keys once. With `text` (its `text_key`), an exact copy of a
        document text already counted is not counted again: identical documents are the dedup
        stage's business, and ten copies of one article must not make its lines "site chrome"."""
        unique = set(keys)
        if text is not None:
            if text in self.texts:
                return
            self.texts[text] = array("q", unique)
        counts = self.counts
        for k in unique:
            counts[k] = counts.get(k, 0) + 1
        if len(counts) > self.max_keys:
            self._prune()

    def merge(self, other: "LineCounts") -> "LineCounts":
        out = LineCounts(max(self.max_keys, other.max_keys))
        out.counts = dict(self.counts)
        for k, n in other.counts.items():
            out.counts[k] = out.counts.get(k, 0) + n
        out.error = self.error + other.error
        if len(out.counts) > out.max_keys:
            out._prune()
        return out

    def _prune(self) -> None:
        target = self.max_keys * 3 // 4
        hist: dict[int, int] = {}
        for n in self.counts.values():
            hist[n] = hist.get(n, 0) + 1
        remaining = len(self.counts)
        floor = 0
        for n in sorted(hist):
            if remaining <= target:
                break
            remaining -= hist[n]
            floor = n
        self.counts = {k: n for k, n in self.counts.items() if n > floor}
        self.error = max(self.error, floor)

    def drop_copies(self, seen: set[int]) -> None:
        """Take back the counts of documents whose text is in `seen` (counted by an earlier
        shard), add the other texts to `seen`, and forget the per-text keys (merged counts
        do not need them)."""
        counts = self.counts
        for text, keys in self.texts.items():
            if text not in seen:
                seen.add(text)
                continue
            for k in keys:
                n = counts.get(k)
                if n is not None:  # pruned keys are under-counted already
                    if n <= 1:
                        del counts[k]
                    else:
                        counts[k] = n - 1
        self.texts = {}

    def repeated(self, config: RepeatedLinesConfig) -> frozenset[int]:
        return frozenset(k for k, n in self.counts.items() if n >= config.min_docs)

    def __len__(self) -> int:
        return len(self.counts)


def text_key(doc: Document, config: RepeatedLinesConfig) -> int:
    """64-bit key of a document's exact text within its source group."""
    return _key(source_group(doc, config), "\x01" + doc.text)


class RepeatedLines:
    """Remove the lines whose key is in `repeated` (computed over the corpus by LineCounts)."""

    name = NAME
    version = VERSION

    def __init__(self, config: RepeatedLinesConfig | None = None, repeated: frozenset[int] = frozenset()) -> None:
        self.config = config or RepeatedLinesConfig()
        self.repeated = repeated

    def apply(self, doc: Document) -> Outcome:
        return self.apply_batch([doc])[0]

    def apply_batch(self, docs: Sequence[Document], notes: pa.Array | None = None) -> list[Outcome]:
        """`notes`: what `RepeatedLinesPass.observe_noting` noted of these documents (one value
        each, in order): their keyed lines are then not keyed again (same outcomes; tested)."""
        if not self.config.enabled or not self.repeated:
            return [Outcome.keep(d) for d in docs]
        reason = f"repeated_lines:cross_document | seen in >= {self.config.min_docs} docs of this source"
        keyed = _keys_by_line(docs, self.config, self.repeated) if notes is None else _noted_keys(notes, self.repeated)
        outcomes = []
        for doc, keys in zip(docs, keyed):
            removals = {i: (reason, 1.0) for i, k in keys.items() if k in self.repeated}
            if not removals:
                outcomes.append(Outcome.keep(doc))
                continue
            edits = removal_edits(doc.text, line_spans(doc.text), removals)
            outcomes.append(Outcome.keep(doc.with_text(apply_edits(doc.text, edits)), edits))
        return outcomes


class RepeatedLinesPass:
    """The corpus-stage protocol: each shard's line counts (capped at `max_keys`), merged into
    the set of repeated keys, then removed per document by `RepeatedLines`."""

    name = NAME
    version = VERSION

    def __init__(self, config: RepeatedLinesConfig | None = None) -> None:
        self.config = config or RepeatedLinesConfig()

    def observe(self, docs: Iterable[Document]) -> LineCounts:
        return self.observe_noting(docs)[0]

    def observe_noting(self, docs: Iterable[Document]) -> tuple[LineCounts, pa.Array]:
        """`observe`, plus a note per document: its keyed lines (line number, key), which the
        engine keeps beside the document until `apply_batch`, so the lines are keyed once."""
        counts = LineCounts(self.config.max_keys)
        docs = list(docs)
        keyed = _keys_by_line(docs, self.config)
        for doc, keys in zip(docs, keyed):
            counts.add(keys.values(), text_key(doc, self.config))
        return counts, _notes(keyed)

    def merge(self, observations: Iterable[LineCounts]) -> frozenset[int]:
        """Observations come in shard order: a text copied across shards counts in the first."""
        total = LineCounts(self.config.max_keys)
        seen: set[int] = set()  # text keys counted so far: one int per distinct document
        for counts in observations:
            counts.drop_copies(seen)
            total = total.merge(counts)
        return total.repeated(self.config)

    def apply(self, doc: Document, fact: frozenset[int]) -> Outcome:
        return RepeatedLines(self.config, fact).apply(doc)

    def apply_batch(self, docs: Sequence[Document], fact: frozenset[int], notes: pa.Array | None = None) -> list[Outcome]:
        return RepeatedLines(self.config, fact).apply_batch(docs, notes)


# Reason codes this stage emits.
REASONS = {
    "repeated_lines:cross_document": "the line recurs in at least repeated_lines.min_docs documents of "
                                     "the same source (site chrome, signatures, legal footers)",
}

SPEC = StageSpec(NAME, VERSION, RepeatedLinesConfig, RepeatedLinesPass, kind="corpus", reasons=REASONS)
