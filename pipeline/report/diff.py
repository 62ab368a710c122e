"""Terminal view of a document's history: per stage, a unified-style diff with reasons."""

from __future__ import annotations

import click

from pipeline.report.history import History


def render_diff(history: History, only_stage: str | None = None, color: bool = False) -> str:
    def style(text: str, **kw) -> str:
        return click.style(text, **kw) if color else text

    lines = [style(f"document {history.id}", bold=True) + f"  ({history.source or 'unknown source'}) -> {history.outcome}"]
    for step in history.steps:
        if only_stage and step.stage != only_stage:
            continue
        n = len(step.edits)
        lines.append(style(f"=== {step.stage}: {n} edit{'s' if n != 1 else ''}", fg="cyan", bold=True)
                     + (style(f", dropped: {step.dropped_reason}", fg="red") if step.dropped_reason else ""))
        for e in step.edits:
            where = f"@@ chars {e.start}-{e.end} @@"
            lines.append(style(where, fg="cyan") + "  " + style(f"[{e.reason}" + (f" score={e.score:.2f}" if e.score is not None else "") + "]", fg="yellow"))
            if step.stage == "extract":
                lines.append(style(f"- <{e.end - e.start} chars of HTML>", fg="red"))
                continue
            for ln in e.removed.splitlines() or ([""] if e.removed else []):
                lines.append(style(f"- {ln}", fg="red"))
            for ln in e.replacement.splitlines():
                lines.append(style(f"+ {ln}", fg="green"))
    if history.final_text is not None and not only_stage:
        lines.append(style(f"=== clean text ({len(history.final_text)} chars)", fg="cyan", bold=True))
        lines.append(history.final_text)
    return "\n".join(lines)
