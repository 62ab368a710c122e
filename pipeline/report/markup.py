"""Small HTML helpers shared by the report's renderers: escaping, stage colours, links to a
document (and stage) inside the page, and reasons shortened under their stage label."""

from __future__ import annotations

import html
from urllib.parse import quote

from pipeline.report.assets import STAGE_COLORS


def esc(s: object) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def color(stage: str | None) -> str:
    return STAGE_COLORS.get(stage or "", "#6b7280")


def doc_href(doc_id: str, stage: str | None = None) -> str:
    return "#doc=" + quote(doc_id, safe="") + (f"&stage={quote(stage, safe='')}" if stage else "")


def short_reason(stage: str, reason: str | None) -> str:
    """'spam:link+commerce | details' -> 'link+commerce | details' under a 'spam' label."""
    r = reason or ""
    return r[len(stage) + 1 :] if r.startswith(stage + ":") else r
