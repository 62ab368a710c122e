"""Terminal view of a document's history: per stage, a unified diff with the reason beside each
removed line.

    === spam: 1 edit
    @@ -15,5 +15,4 @@
      He also stated that the relation with the American-led international coalition will continue.
    - buy cipro online https://... no prescription pharmacy   [spam:link_commerce score=0.93]
      In this sense, the strategic partnership would continue ...

Hunks are computed from the recorded edit spans (not re-diffed), so each removed line carries the
reason of the edit that removed it. Colour only when asked (the CLI asks when stdout is a TTY).
"""

from __future__ import annotations

import difflib

from dataclasses import dataclass, field

import click

from pipeline.core.document import Edit
from pipeline.report.history import History, StageStep

CONTEXT = 2  # unchanged lines shown around each change, as in `diff -U2`


@dataclass
class _Block:
    """Consecutive lines [l0, l1] of a stage's input touched by one or more edits."""

    l0: int
    l1: int
    edits: list[Edit] = field(default_factory=list)


def _line_index(starts: list[int], pos: int) -> int:
    """Index of the line containing offset `pos` (binary search over line start offsets)."""
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= pos:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _reason(e: Edit) -> str:
    return f"[{e.reason}" + (f" score={e.score:.2f}" if e.score is not None else "") + "]"


def _stage_hunks(step: StageStep, context: int) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Hunks of one stage: (header, [(kind, line, reason)]) with kind in ' ', '-', '+'."""
    text = step.before
    lines = text.splitlines(keepends=True) or [""]
    starts, pos = [], 0
    for ln in lines:
        starts.append(pos)
        pos += len(ln)
    blocks: list[_Block] = []
    for e in sorted(step.edits, key=lambda e: (e.start, e.end)):
        l0 = _line_index(starts, e.start)
        l1 = _line_index(starts, max(e.start, e.end - 1))
        if blocks and l0 <= blocks[-1].l1:
            blocks[-1].l1 = max(blocks[-1].l1, l1)
            blocks[-1].edits.append(e)
        else:
            blocks.append(_Block(l0, l1, [e]))
    # Blocks whose context windows touch go into one hunk.
    groups: list[list[_Block]] = []
    for b in blocks:
        if groups and b.l0 - groups[-1][-1].l1 - 1 <= 2 * context:
            groups[-1].append(b)
        else:
            groups.append([b])
    hunks = []
    shift = 0  # after-line numbers minus before-line numbers so far
    for g in groups:
        c0 = max(0, g[0].l0 - context)
        c1 = min(len(lines) - 1, g[-1].l1 + context)
        body: list[tuple[str, str, str]] = []
        n_before = n_after = 0
        cur = c0
        for b in g:
            for i in range(cur, b.l0):
                body.append((" ", lines[i].rstrip("\n"), ""))
                n_before += 1
                n_after += 1
            seg_start, seg_end = starts[b.l0], starts[b.l1] + len(lines[b.l1])
            after, p = [], seg_start
            for e in b.edits:
                after.append(text[p : e.start])
                after.append(e.replacement)
                p = e.end
            after.append(text[p:seg_end])
            old_lines = [lines[i].rstrip("\n") for i in range(b.l0, b.l1 + 1)]
            new_lines = "".join(after).splitlines()
            # An edit may only take a line's break (the line itself survives): match old and
            # new lines so such a line shows as context, not as removed and re-added.
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
                if tag == "equal":
                    body.extend((" ", ln, "") for ln in old_lines[i1:i2])
                    continue
                for i in range(b.l0 + i1, b.l0 + i2):
                    ls, le = starts[i], starts[i] + len(lines[i])
                    why = " ".join(_reason(e) for e in b.edits if (e.start < le and e.end > ls) or e.start == ls == e.end)
                    body.append(("-", lines[i].rstrip("\n"), why or " ".join(_reason(e) for e in b.edits)))
                body.extend(("+", ln, "") for ln in new_lines[j1:j2])
            n_before += len(old_lines)
            n_after += len(new_lines)
            cur = b.l1 + 1
        for i in range(cur, c1 + 1):
            body.append((" ", lines[i].rstrip("\n"), ""))
            n_before += 1
            n_after += 1
        header = f"@@ -{c0 + 1},{n_before} +{c0 + 1 + shift},{n_after} @@"
        shift += n_after - n_before
        hunks.append((header, body))
    return hunks


def render_diff(history: History, only_stage: str | None = None, color: bool = False, context: int = CONTEXT) -> str:
    """The document's history as text: one section per stage that changed or dropped it."""

    def style(text: str, **kw) -> str:
        return click.style(text, **kw) if color else text

    out = [style(f"document {history.id}", bold=True) + f"  ({history.source or 'unknown source'}) -> {history.outcome}"]
    shown = False
    for step in history.steps:
        if only_stage and step.stage != only_stage:
            continue
        shown = True
        notes = [e for e in step.edits if e.start == e.end and not e.replacement]
        changes = [e for e in step.edits if not (e.start == e.end and not e.replacement)]
        n = len(changes)
        head = style(f"=== {step.stage}: {n} edit{'s' if n != 1 else ''}", fg="cyan", bold=True)
        if step.dropped_reason:
            head += style(f", dropped the document: {step.dropped_reason}", fg="red", bold=True)
        out.append(head)
        for e in notes:
            out.append(style(f"  note: {e.reason}", fg="yellow"))
        if step.stage == "extract":  # markup in, text out: a line diff of HTML says nothing
            for e in changes:
                out.append(style(f"- <{e.end - e.start} chars of HTML>", fg="red") + "   " + style(_reason(e), fg="yellow"))
                out.append(style(f"+ <{len(e.replacement)} chars of extracted text>", fg="green"))
            continue
        if not changes:
            continue
        for header, body in _stage_hunks(StageStep(step.stage, step.before, step.after, changes), context):
            out.append(style(header, fg="cyan"))
            for kind, line, why in body:
                if kind == "-" and not line.strip():  # a blank line taken along: no reason to repeat
                    out.append(style(f"- {line}", fg="red"))
                elif kind == "-":
                    out.append(style(f"- {line}", fg="red") + "   " + style(why, fg="yellow"))
                elif kind == "+":
                    out.append(style(f"+ {line}", fg="green"))
                else:
                    out.append(style(f"  {line}", dim=True))
    if only_stage and not shown:
        out.append(style(f"=== {only_stage}: no edits", fg="cyan", bold=True) + " (this stage did not change this document)")
    if not only_stage:
        if not history.steps:
            out.append("no stage changed this document")
        if history.final_text is not None:
            n_in = len(history.input_text or "")
            out.append(style(f"=== result: kept, {len(history.final_text)} chars (input {n_in})", fg="cyan", bold=True))
        else:
            last = history.steps[-1] if history.steps else None
            why = (last.dropped_reason if last and last.dropped_reason else history.rejected_reason) or "?"
            out.append(style(f"=== result: {history.outcome} by {history.dropped_by or '?'}: {why}", fg="red", bold=True))
    return "\n".join(out)
