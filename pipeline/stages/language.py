"""Language of a text, for the corpus's `language` column and the language-aware quality rules.

pycld2 (Chromium's Compact Language Detector 2: its tables are compiled into the package, nothing
is downloaded) on the whole text, about 60 µs for a news article. `identify` is pure and never
raises: text CLD2 cannot read or cannot decide gives (None, 0.0).
"""

from __future__ import annotations

import re

import pycld2

# CLD2 refuses C0/C1 controls and lone surrogates ("input contains invalid UTF-8").
_UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Scripts written without spaces between words: word counts and lengths mean nothing there.
UNSPACED = frozenset({"ja", "zh", "zh-Hant", "th", "lo", "km", "my", "bo"})


def identify(text: str) -> tuple[str | None, float]:
    """(ISO 639-1 code, or CLD2's code where it has none; share of the text in it, 0..1)."""
    try:
        reliable, _bytes, details = pycld2.detect(_UNREADABLE.sub(" ", text))
    except pycld2.error:
        return None, 0.0
    code, percent = details[0][1], details[0][2]
    if not reliable or code in ("un", "xxx"):
        return None, 0.0
    return code, percent / 100.0
