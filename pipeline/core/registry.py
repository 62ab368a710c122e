"""The stage registry: one StageSpec per stage, declared in the stage's own module, and the one
list of those modules in run order.

Everything that needs the stages (the plan of a run, manifest versions, `pipeline apply`) reads
a Registry; a caller adds a stage with `default_registry().with_stage(spec, after=...)`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Literal

from pydantic import BaseModel

Kind = Literal["document", "corpus", "global"]

# The one list of stages, in run order (output folders are stages/NN_<name> by this order).
# Each module declares `SPEC`; imported lazily because stage modules import pipeline.core.
STAGE_MODULES = (
    "pipeline.stages.decode",
    "pipeline.stages.extract",
    "pipeline.stages.fix_encoding",
    "pipeline.stages.boilerplate",
    "pipeline.stages.spam",
    "pipeline.stages.repeated_lines",
    "pipeline.stages.quality",
    "pipeline.dedup",
)


@dataclass(frozen=True)
class StageSpec:
    """How to build one stage: `factory(section)` returns a Stage ("document"), a CorpusStage
    ("corpus"), or nothing for the global step the engine runs itself ("global", dedup)."""

    name: str
    version: str
    config: type[BaseModel]  # the model of its config section (PipelineConfig.<name>)
    factory: Callable[[Any], Any] | None
    kind: Kind = "document"

    def section(self, config: BaseModel) -> BaseModel:
        """This stage's config section; a stage without one in PipelineConfig gets its defaults."""
        return getattr(config, self.name, None) or self.config()

    def build(self, config: BaseModel) -> Any:
        assert self.factory is not None, f"{self.name} is run by the engine, not built"
        return self.factory(self.section(config))

    def enabled(self, config: BaseModel) -> bool:
        return bool(getattr(self.section(config), "enabled", True))


@dataclass(frozen=True)
class Registry:
    """The stages of a run, in order; immutable (adding a stage returns a new Registry)."""

    specs: tuple[StageSpec, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.specs)

    def spec(self, name: str) -> StageSpec:
        for s in self.specs:
            if s.name == name:
                return s
        raise KeyError(name)

    def of_kind(self, kind: Kind) -> tuple[StageSpec, ...]:
        return tuple(s for s in self.specs if s.kind == kind)

    def with_stage(self, spec: StageSpec, *, after: str) -> "Registry":
        if spec.name in self.names:
            raise ValueError(f"stage {spec.name!r} is already registered")
        i = self.names.index(after) + 1
        return Registry(self.specs[:i] + (spec,) + self.specs[i:])

    def versions(self) -> dict[str, str]:
        return {s.name: s.version for s in self.specs}


def default_registry() -> Registry:
    """The pipeline's own stages (cheap: imports the stage modules, builds nothing)."""
    return Registry(tuple(importlib.import_module(m).SPEC for m in STAGE_MODULES))
