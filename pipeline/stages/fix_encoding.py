"""fix_encoding: repair mojibake, HTML entities and control characters with ftfy, then NFC.

Each changed line is recorded as an edit whose reason names the ftfy steps that applied.
"""

from __future__ import annotations

import difflib
import unicodedata

import re

import ftfy
from ftfy import chardata
from ftfy.badness import MOJIBAKE_CATEGORIES, is_bad
from pydantic import BaseModel, ConfigDict

from pipeline.core.document import Document, Edit, Outcome
from pipeline.core.registry import StageSpec

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
        if not _ftfy_could_change(text, self.config):
            return Outcome.keep(doc)  # clean non-ASCII text: same answer, a fraction of the cost
        fixed, explanation = ftfy.fix_and_explain(text, self._ftfy)
        if self.config.normalization:
            fixed = unicodedata.normalize(self.config.normalization, fixed)  # type: ignore[arg-type]
        if fixed == text:
            return Outcome.keep(doc)
        steps = sorted({step for _kind, step in (explanation or [])}) or ["normalize"]
        reason = "fix_encoding:" + "+".join(steps)
        return Outcome.keep(doc.with_text(fixed), line_edits(text, fixed, reason))


# Every character some enabled ftfy step (other than mojibake repair and HTML unescaping, which
# are gated separately) would change: C1 controls, ligatures, line separators, surrogates,
# escape and other control characters, the replacement character.
_FTFY_CHARS = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in sorted(set(chardata.CONTROL_CHARS) | set(chardata.LIGATURES)))
    + "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\r\u2028\u2029\ufffd\ud800-\udfff"
    + "]"
)


# `is_bad` is one large regex. Every one of its alternatives needs a C1 control (caught by
# _FTFY_CHARS), "œ" before a non-letter, "Ã"/"Â" before a space, the Cyrillic pair "вЂ"/"ВЂ", or
# two adjacent non-ASCII characters at least one of which belongs to a mojibake category other
# than the "common" letters (or is one of the literal characters the regex names). German "für"
# or English curly quotes after ASCII letters have none of these, so `is_bad` is skipped there.
_TRIGGER = (
    "".join(v for k, v in MOJIBAKE_CATEGORIES.items() if k not in ("common", "lower_common", "upper_common"))
    + "ŒœÂÃÎÐ×ØÙà√≈‚ЂΒΓΞΟβā€°µ²³¹¼½¾\xa0¡"
)
_BADNESS_POSSIBLE = re.compile(
    f"[{_TRIGGER}][^\\x00-\\x7f]|[^\\x00-\\x7f][{_TRIGGER}]|[Œœ][^A-Za-z]|[ÃÂ][ \\xa0]|[вВ]Ђ"
)

# `decode_inconsistent_utf8` looks for a UTF-8 lead character (as some single-byte charset shows
# it) followed by continuation characters, which are non-ASCII or a space. The lead classes are
# read from ftfy's own pattern; if its layout ever changes the detector simply always runs.
_DETECTOR = chardata.UTF8_DETECTOR_RE.pattern
_LEADS = re.findall(r"(?:\(|\|)\s*(\[[^\]]*\])", _DETECTOR[_DETECTOR.find("(\n"):])
_UTF8_POSSIBLE = (
    re.compile("(?:" + "|".join(_LEADS) + ")[^\\x00-\\x1f!-\\x7f]") if len(_LEADS) == 3 else re.compile("")
)


def _ftfy_could_change(text: str, config: FixEncodingConfig) -> bool:
    """Conservative pre-check mirroring ftfy.fix_and_explain's steps: False only when no step
    can change `text`. Mojibake repair runs only on text ftfy's own `is_bad` flags (the same
    gate ftfy uses) or that holds UTF-8-looking sequences (`decode_inconsistent_utf8`)."""
    if ("&" in text and chardata.HTML_ENTITY_RE.search(text)) or _FTFY_CHARS.search(text):
        return True
    if config.uncurl_quotes or config.fix_character_width:
        return True  # these touch ordinary characters: let ftfy decide
    if config.normalization and not unicodedata.is_normalized(config.normalization, text):  # type: ignore[arg-type]
        return True
    if _UTF8_POSSIBLE.search(text) and chardata.UTF8_DETECTOR_RE.search(text):
        return True
    return bool(_BADNESS_POSSIBLE.search(text)) and is_bad(text)


_ASCII_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")  # all but tab, newline, form feed, CR


def _has_ascii_controls(text: str) -> bool:
    return _ASCII_CONTROL.search(text) is not None


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


# Reason codes this stage emits: "fix_encoding:<ftfy steps joined by +>", one per changed line.
REASONS = {
    "fix_encoding:*": "ftfy repaired the line; the steps are ftfy's names (an encoding name such as "
                      "sloppy-windows-1252 or utf-8 = mojibake re-decoded, unescape_html, "
                      "remove_control_chars, fix_c1_controls, normalize = Unicode NFC ...)",
}

SPEC = StageSpec(NAME, VERSION, FixEncodingConfig, FixEncoding, reasons=REASONS)
