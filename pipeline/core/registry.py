"""The stage registry: one StageSpec per stage, declared in the stage's own module, and the one
list of those modules in run order.

Everything that needs the stages (the plan of a run, manifest versions, `pipeline apply`) reads
a Registry; a caller adds a stage with `default_registry().with_stage(spec, after=...)`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

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
    # Reason codes this stage emits (the part before " | "), each with a one-line meaning; the
    # module declares them as REASONS next to the code that emits them. "family:*" covers a code
    # with a variable part (binary:pdf, binary:zip ...); a code "a+b" is explained part by part.
    reasons: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

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

    def glossary(self) -> dict[str, dict[str, str]]:
        """Every reason code with its meaning, per stage in run order; "read" (input that could
        not be read) and "*" (codes any stage may emit: errors) come from their own modules."""
        from pipeline.core.stage import REASONS as ANY_STAGE
        from pipeline.io.readers import REASONS as READ

        out = {"read": dict(READ)}
        out.update({s.name: dict(s.reasons) for s in self.specs})
        out["*"] = dict(ANY_STAGE)
        return out

    def explain(self, stage: str, code: str) -> str | None:
        """The meaning of reason code `code` (its family: 'spam:link+commercial') from `stage`."""
        return explain_reason(self.glossary(), stage, code)


def explain_reason(glossary: Mapping[str, Mapping[str, str]], stage: str, code: str) -> str | None:
    """Look `code` up in the stage's glossary: exactly, as 'family:*', or part by part ('a+b')."""
    code = code.split(" | ", 1)[0]
    for table in (glossary.get(stage, {}), glossary.get("*", {})):
        if code in table:
            return table[code]
        family, _, rest = code.partition(":")
        if rest and f"{family}:*" in table:
            return table[f"{family}:*"]
        if rest and "+" in rest:
            parts = [table.get(f"{family}:{p}") for p in rest.split("+")]
            if all(parts):
                return "; ".join(f"{p}: {m}" for p, m in zip(rest.split("+"), parts))
    return None


def default_registry() -> Registry:
    """The pipeline's own stages (cheap: imports the stage modules, builds nothing)."""
    return Registry(tuple(importlib.import_module(m).SPEC for m in STAGE_MODULES))
