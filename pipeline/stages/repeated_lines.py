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

import hashlib
import os
import re
from array import array
from typing import Iterable, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from pipeline.core.document import Document, Outcome, apply_edits
from pipeline.core.registry import StageSpec
from pipeline.stages.lines import CJK, WORD, measure, removal_edits

NAME = "repeated_lines"
VERSION = "repeated_lines_v2"  # v2: a line counts once per distinct document text (issue 12)

_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


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


def normalise(line: str) -> str:
    """Case, digits, punctuation and spacing do not make a footer a different footer."""
    return _NON_WORD.sub(" ", _DIGITS.sub("0", line.lower())).strip()


def _key(group: str, norm: str) -> int:
    digest = hashlib.blake2b(f"{group}\x00{norm}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)  # fits an int64 column


def _keys_by_line(doc: Document, config: RepeatedLinesConfig) -> dict[int, int]:
    """Line number -> key of every non-blank line short enough to be chrome. Lines are numbered
    as `lines.measure` numbers them; only the rare line that may exceed `max_words` is measured."""
    group = source_group(doc, config)
    keys = {}
    for i, raw in enumerate(doc.text.splitlines()):
        s = raw.strip()
        if not s or _too_long(s, config.max_words):
            continue
        norm = normalise(s)
        if len(norm) >= config.min_chars:
            keys[i] = _key(group, norm)
    return keys


def _too_long(line: str, max_words: int) -> bool:
    """More than `max_words` words as `lines.measure` counts them (URLs not counted). Cheap
    bounds first: a line of at most 2 x max_words characters cannot have more words, and the
    count with URL words included is never below measure's; only a line over both is measured."""
    if len(line) <= 2 * max_words:
        return False
    tokens = len(WORD.findall(line))
    cjk = len(CJK.findall(line)) if not line.isascii() else 0
    if (tokens + cjk // 2 if cjk < 4 else max(tokens, cjk // 2)) <= max_words:
        return False
    return measure(line)[0].n_words > max_words


def line_keys(doc: Document, config: RepeatedLinesConfig) -> list[int]:
    """Map phase: the keys of a document's lines (duplicates within the document included;
    `LineCounts.add` counts each key once per document)."""
    return list(_keys_by_line(doc, config).values())


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
        if not self.config.enabled or not self.repeated or not doc.text.strip():
            return Outcome.keep(doc)
        keys = _keys_by_line(doc, self.config)
        removals = {
            i: (f"repeated_lines:cross_document | seen in >= {self.config.min_docs} docs of this source", 1.0)
            for i, k in keys.items()
            if k in self.repeated
        }
        if not removals:
            return Outcome.keep(doc)
        edits = removal_edits(doc.text, measure(doc.text), removals)
        return Outcome.keep(doc.with_text(apply_edits(doc.text, edits)), edits)


class RepeatedLinesPass:
    """The corpus-stage protocol: each shard's line counts (capped at `max_keys`), merged into
    the set of repeated keys, then removed per document by `RepeatedLines`."""

    name = NAME
    version = VERSION

    def __init__(self, config: RepeatedLinesConfig | None = None) -> None:
        self.config = config or RepeatedLinesConfig()

    def observe(self, docs: Iterable[Document]) -> LineCounts:
        counts = LineCounts(self.config.max_keys)
        for doc in docs:
            counts.add(line_keys(doc, self.config), text_key(doc, self.config))
        return counts

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


# Reason codes this stage emits.
REASONS = {
    "repeated_lines:cross_document": "the line recurs in at least repeated_lines.min_docs documents of "
                                     "the same source (site chrome, signatures, legal footers)",
}

SPEC = StageSpec(NAME, VERSION, RepeatedLinesConfig, RepeatedLinesPass, kind="corpus", reasons=REASONS)
