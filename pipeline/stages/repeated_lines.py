"""repeated_lines: removes lines that recur across many documents of the same source.

PLACEHOLDER interface (map: line_keys -> LineCounts; global: repeated(); apply per doc).
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, ConfigDict

from pipeline.document import Document, Outcome

NAME = "repeated_lines"
VERSION = "repeated_lines_v0"


class RepeatedLinesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    min_docs: int = 5


def line_keys(doc: Document, config: RepeatedLinesConfig) -> list[int]:
    return []


class LineCounts:
    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def add(self, keys: list[int]) -> None:
        self.counts.update(set(keys))

    def merge(self, other: "LineCounts") -> "LineCounts":
        self.counts.update(other.counts)
        return self

    def repeated(self, config: RepeatedLinesConfig) -> frozenset[int]:
        return frozenset(k for k, n in self.counts.items() if n >= config.min_docs)


class RepeatedLines:
    name = NAME
    version = VERSION

    def __init__(self, config: RepeatedLinesConfig | None = None, repeated: frozenset[int] = frozenset()) -> None:
        self.config = config or RepeatedLinesConfig()
        self.repeated = repeated

    def apply(self, doc: Document) -> Outcome:
        return Outcome.keep(doc)
