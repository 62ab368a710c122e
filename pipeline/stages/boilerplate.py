"""boilerplate: line-level removal of navigation and page chrome that survives in text.

PLACEHOLDER: passes everything through until the line scorer lands.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from pipeline.document import Document, Outcome

NAME = "boilerplate"
VERSION = "boilerplate_v0"


class BoilerplateConfig(BaseModel):
    """Thresholds for the line scorer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = 0.5


class Boilerplate:
    name = NAME
    version = VERSION

    def __init__(self, config: BoilerplateConfig | None = None) -> None:
        self.config = config or BoilerplateConfig()

    def apply(self, doc: Document) -> Outcome:
        return Outcome.keep(doc)
