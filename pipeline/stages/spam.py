"""spam: removes injected spam lines (links with commercial vocabulary) from the body.

PLACEHOLDER: passes everything through until the spam scorer lands.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from pipeline.document import Document, Outcome

NAME = "spam"
VERSION = "spam_v0"


class SpamConfig(BaseModel):
    """Thresholds for the spam scorer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = 0.5


class Spam:
    name = NAME
    version = VERSION

    def __init__(self, config: SpamConfig | None = None) -> None:
        self.config = config or SpamConfig()

    def apply(self, doc: Document) -> Outcome:
        return Outcome.keep(doc)
