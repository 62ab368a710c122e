"""The records that flow between stages: raw input, documents, edits and outcomes.

Everything here is an immutable value; stages never mutate a document, they return a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, Mapping

Format = Literal["text", "html"]


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One input record before decoding: bytes (or already-decoded str) plus what the
    container said about it (declared charset, url, date...)."""

    id: str
    source: str
    data: bytes | str
    format: Format = "text"
    charset_hint: str | None = None  # from an HTTP header / container; tried first after a BOM
    url: str | None = None
    title: str | None = None
    date: str | None = None
    meta: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Document:
    """A decoded document. `text` is markup while `format == "html"` and plain text after
    extraction; `meta` holds small annotations stages attach (charset, fixes...)."""

    id: str
    text: str
    source: str = ""
    format: Format = "text"
    url: str | None = None
    title: str | None = None
    date: str | None = None
    meta: Mapping[str, str] = field(default_factory=dict)

    def with_text(self, text: str, **changes: object) -> "Document":
        return replace(self, text=text, **changes)  # type: ignore[arg-type]

    def with_meta(self, **items: str) -> "Document":
        return replace(self, meta={**self.meta, **items})


@dataclass(frozen=True, slots=True)
class Edit:
    """One change a stage made, as a span `[start, end)` of the stage's *input* text.

    `replacement` is what now stands there ("" for a removal); `score` is the decision
    score where the stage has one (higher = more confident it is junk)."""

    start: int
    end: int
    removed: str
    reason: str
    score: float | None = None
    replacement: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a stage did to one document: the new document, or None with a `reason` when
    it dropped the document; plus the edits it made (empty when untouched)."""

    doc: Document | None
    edits: tuple[Edit, ...] = ()
    reason: str | None = None

    @property
    def dropped(self) -> bool:
        return self.doc is None

    @staticmethod
    def keep(doc: Document, edits: tuple[Edit, ...] | list[Edit] = ()) -> "Outcome":
        return Outcome(doc, tuple(edits))

    @staticmethod
    def drop(reason: str, edits: tuple[Edit, ...] | list[Edit] = ()) -> "Outcome":
        return Outcome(None, tuple(edits), reason)


def apply_edits(text: str, edits: tuple[Edit, ...] | list[Edit]) -> str:
    """Replay non-overlapping edits on the text they were recorded against."""
    out: list[str] = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < pos:
            raise ValueError(f"overlapping edits at {e.start}")
        out.append(text[pos : e.start])
        out.append(e.replacement)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)
