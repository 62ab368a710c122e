"""fix_encoding: repair mojibake, HTML entities and control characters with ftfy, then NFC.

Each changed line is recorded as an edit whose reason names the ftfy steps that applied.
"""

from __future__ import annotations

import difflib
import unicodedata

import ftfy
from pydantic import BaseModel, ConfigDict

from pipeline.document import Document, Edit, Outcome

NAME = "fix_encoding"
VERSION = "fix_encoding_v1"


class FixEncodingConfig(BaseModel):
    """What ftfy may change. Defaults repair breakage and leave legitimate typography alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Curly quotes are correct text, not breakage: keep them (ftfy's default straightens them).
    uncurl_quotes: bool = False
    # "ﬁ" -> "fi" helps search and dedup and loses nothing visible.
    fix_latin_ligatures: bool = True
    # Full-width latin letters -> ASCII; off because it would alter CJK punctuation.
    fix_character_width: bool = False
    normalization: str = "NFC"


class FixEncoding:
    """Apply ftfy to a text document (HTML markup is fixed after extraction instead)."""

    name = NAME
    version = VERSION

    def __init__(self, config: FixEncodingConfig | None = None) -> None:
        self.config = config or FixEncodingConfig()
        c = self.config
        self._ftfy = ftfy.TextFixerConfig(
            uncurl_quotes=c.uncurl_quotes,
            fix_latin_ligatures=c.fix_latin_ligatures,
            fix_character_width=c.fix_character_width,
            normalization=c.normalization,
            explain=True,
        )

    def apply(self, doc: Document) -> Outcome:
        text = doc.text
        if text.isascii() and "&" not in text and not _has_ascii_controls(text):
            return Outcome.keep(doc)  # fast path: nothing ftfy could change
        fixed, explanation = ftfy.fix_and_explain(text, self._ftfy)
        if self.config.normalization:
            fixed = unicodedata.normalize(self.config.normalization, fixed)  # type: ignore[arg-type]
        if fixed == text:
            return Outcome.keep(doc)
        steps = sorted({step for _kind, step in (explanation or [])}) or ["normalize"]
        reason = "fix_encoding:" + "+".join(steps)
        return Outcome.keep(doc.with_text(fixed), line_edits(text, fixed, reason))


def _has_ascii_controls(text: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\t\n\r\f" or ord(ch) == 127 for ch in text)


def line_edits(old: str, new: str, reason: str) -> list[Edit]:
    """Edits that turn `old` into `new`, one per run of changed lines (spans in `old`)."""
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    offsets = [0]
    for line in a:
        offsets.append(offsets[-1] + len(line))
    edits = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(Edit(offsets[i1], offsets[i2], "".join(a[i1:i2]), reason, None, "".join(b[j1:j2])))
    return edits
