"""Standalone streaming use: add documents one by one, ask for the duplicates at the end.

    dd = Deduplicator(DedupConfig(threshold=0.8))
    for doc in crawl:
        dd.add(doc.id, doc.text, date=doc.date)
    for row in dd.duplicates():
        ...

Sketches are computed per batch of `batch_size` documents as they arrive; texts are held in
memory (for exact verification) unless a `fetch_texts` callable is given.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

from pipeline.dedup.cluster import DuplicateRow, KeepInfo
from pipeline.dedup.resolve import find_duplicates_with_stats
from pipeline.dedup.sketch import Sketches, sketch
from pipeline.dedup.config import DedupConfig


class Deduplicator:
    def __init__(
        self,
        config: DedupConfig | None = None,
        *,
        batch_size: int = 2000,
        fetch_texts: Callable[[Sequence[str]], Mapping[str, str]] | None = None,
    ) -> None:
        self.config = config or DedupConfig()
        self.batch_size = batch_size
        self._fetch = fetch_texts
        self._texts: dict[str, str] = {}
        self._pending: list[tuple[str, str]] = []
        self._sketches: list[Sketches] = []
        self._keep: dict[str, KeepInfo] = {}
        self.stats: dict = {}

    def __len__(self) -> int:
        return len(self._keep)

    def add(self, id: str, text: str, *, date: str | None = None, quality: float = 0.0, n_chars: int | None = None) -> None:
        if id in self._keep:
            raise ValueError(f"document id {id!r} added twice")
        self._keep[id] = KeepInfo(len(text) if n_chars is None else n_chars, len(self._keep), date, quality)
        if self._fetch is None:
            self._texts[id] = text
        self._pending.append((id, text))
        if len(self._pending) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._sketches.append(sketch(self._pending, self.config))
            self._pending = []

    def duplicates(self) -> list[DuplicateRow]:
        """One row per document to remove (exact or verified near-duplicate of a kept one)."""
        self._flush()
        fetch = self._fetch or (lambda ids: {i: self._texts[i] for i in ids})
        rows, self.stats = find_duplicates_with_stats(self._sketches, self._keep, fetch, self.config)
        return rows
