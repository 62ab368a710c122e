"""The plan of a run, derived from the registry: the per-document stages before the corpus-wide
step, that step, the per-document stages after it, then the global dedup step.

Both engines execute this plan; they differ only in how they schedule its shards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from pipeline.config import PipelineConfig
from pipeline.core.deadline import Budget
from pipeline.core.registry import Registry, StageSpec, default_registry
from pipeline.core.stage import Bound, CorpusStage, Stage, StageStats
from pipeline.io.layout import RunLayout


@dataclass(frozen=True)
class Plan:
    """A run's stages and config; picklable, so workers and Ray actors receive it whole."""

    config: PipelineConfig = field(default_factory=PipelineConfig)
    registry: Registry = field(default_factory=default_registry)

    @classmethod
    def of(cls, config: PipelineConfig | None = None, registry: Registry | None = None) -> "Plan":
        """The plan for a config and registry, each defaulting to the pipeline's own."""
        return cls(config or PipelineConfig(), registry or default_registry())

    @property
    def names(self) -> tuple[str, ...]:
        """Every stage of the run, in order (stats, output folders, the manifest)."""
        return self.registry.names

    @property
    def corpus(self) -> StageSpec | None:
        """The corpus-wide step, when one is registered and enabled (at most one)."""
        found = [s for s in self.registry.of_kind("corpus") if s.enabled(self.config)]
        assert len(found) <= 1, "the plan supports one corpus-wide stage"
        return found[0] if found else None

    @property
    def pre(self) -> tuple[StageSpec, ...]:
        """Per-document stages before the corpus-wide step (all of them when there is none)."""
        return self._document_stages(before=True)

    @property
    def post(self) -> tuple[StageSpec, ...]:
        return self._document_stages(before=False)

    def _document_stages(self, before: bool) -> tuple[StageSpec, ...]:
        split = self.registry.of_kind("corpus")
        cut = self.names.index(split[0].name) if split else len(self.names)
        specs = self.registry.specs[:cut] if before else self.registry.specs[cut:]
        return tuple(s for s in specs if s.kind == "document")

    @property
    def post_names(self) -> tuple[str, ...]:
        """Stages whose edits and stats the post phase writes: the corpus-wide one (empty when
        disabled, so every run has the same files) and the per-document ones after it."""
        return tuple(s.name for s in self.registry.of_kind("corpus")) + tuple(s.name for s in self.post)

    @property
    def dedup(self) -> bool:
        return any(s.enabled(self.config) for s in self.registry.of_kind("global"))

    @property
    def budget(self) -> Budget:
        """What every stage may spend on one document (run.max_doc_lines, run.max_stage_seconds)."""
        return Budget.from_config(self.config)

    def pre_stages(self) -> list[Stage[Any, Any]]:
        return [s.build(self.config) for s in self.pre]

    def corpus_stage(self) -> CorpusStage[Any, Any]:
        assert self.corpus is not None
        return self.corpus.build(self.config)

    def post_stages(self, fact: Any = None, notes: Any = None, noted: Mapping[str, int] | None = None) -> list[Stage[Any, Any]]:
        """The stages after the split; the corpus-wide stage first, bound to its merged fact
        (and to what it noted of the documents, see `Bound`)."""
        bound = [Bound(self.corpus_stage(), fact, notes, noted)] if self.corpus is not None else []
        return [*bound, *(s.build(self.config) for s in self.post)]

    def new_stats(self) -> dict[str, StageStats]:
        return {name: StageStats(name) for name in self.names}

    def layout(self, out: Path) -> RunLayout:
        return RunLayout(out, self.names)
