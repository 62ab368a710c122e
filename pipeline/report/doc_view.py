"""Rendering of one document in the report: input and clean text side by side, every removed,
changed or inserted span marked with its stage and reason, plus a list of what each stage did."""

from __future__ import annotations

import difflib

from pipeline.report.history import Annotated, History, Piece, annotate
from pipeline.report.markup import color, esc, short_reason
from pipeline.core.stage import reason_key

BIG = 1500  # removed/inserted runs longer than this are collapsed (e.g. a whole HTML page)
MAX_DOC_CHARS = 200_000  # per pane; longer documents are cut with a note
CHAR_DIFF_MAX = 5000  # character-level highlighting inside changed spans up to this length
GAP_TITLE_LINES = 5  # removals listed in the tooltip of one removal marker on the clean side
RAW_EXCERPT = 3000  # characters of a long removed run (a page's HTML) embedded; the rest is summarised


def _label(stage: str, reason: str | None, score: float | None = None) -> str:
    txt = short_reason(stage, reason)
    s = f" {score:.2f}" if score is not None else ""
    return f'<span class="lbl" style="--c:{color(stage)}">{esc(stage)}{": " if txt else ""}{esc(txt)}{s}</span>'


def _title(stage: str, reason: str | None, score: float | None, verb: str) -> str:
    return f"{verb} by {stage}: {reason or ''}" + (f" (score {score:.2f})" if score is not None else "")


def _char_diff(sm: difflib.SequenceMatcher) -> tuple[str, str]:
    """Both sides with the differing characters wrapped in <mark>."""
    a, b = sm.a, sm.b
    left, right = [], []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            left.append(esc(a[i1:i2]))
            right.append(esc(b[j1:j2]))
        else:
            if i2 > i1:
                left.append(f"<mark>{esc(a[i1:i2])}</mark>")
            if j2 > j1:
                right.append(f"<mark>{esc(b[j1:j2])}</mark>")
    return "".join(left), "".join(right)


def _pair_texts(ann: Annotated) -> dict[int, tuple[str, str]]:
    """For edits that replaced one piece with one piece: character-level highlighted pairs."""
    rem: dict[int, list[Piece]] = {}
    ins: dict[int, list[Piece]] = {}
    for p in ann.pieces:
        if p.edit is not None:
            rem.setdefault(p.edit, []).append(p)
        if p.origin_edit is not None:
            ins.setdefault(p.origin_edit, []).append(p)
    pairs = {}
    for k, r in rem.items():
        i = ins.get(k, [])
        if len(r) == 1 and len(i) == 1 and max(len(r[0].text), len(i[0].text)) <= min(CHAR_DIFF_MAX, BIG):
            sm = difflib.SequenceMatcher(None, r[0].text, i[0].text, autojunk=False)
            if sm.ratio() >= 0.6:  # a repair of the same words, not a rewrite: mark the characters
                pairs[k] = _char_diff(sm)
    return pairs


def _bulk_edits(ann: Annotated) -> set[int]:
    """Edits that replaced a whole page (extract: HTML -> text): their inserted text is the
    document itself, shown plainly in both panes, not as an insertion."""
    removed: dict[int, int] = {}
    for p in ann.pieces:
        if p.edit is not None:
            removed[p.edit] = removed.get(p.edit, 0) + len(p.text)
    return {k for k, e in enumerate(ann.edits) if e.replacement and (len(e.replacement) > BIG or removed.get(k, 0) > BIG)}


def _excerpt(text: str) -> str:
    """At most RAW_EXCERPT characters of a long removed run (e.g. a page's HTML), with a note."""
    if len(text) <= RAW_EXCERPT:
        return esc(text)
    return (esc(text[:RAW_EXCERPT]) + f'<span class="muted small omitted">\n[... {len(text) - RAW_EXCERPT:,} more characters '
            'not embedded in the report: see stages/01_decode/input-*.parquet or `pipeline diff`]</span>')


def _render_pieces(ann: Annotated, side: str, pairs: dict[int, tuple[str, str]]) -> str:
    """side 'raw': the input with removed/replaced spans marked; for an HTML page a bounded
    excerpt of the markup, then the extracted text with what later stages removed in place.
    side 'clean': the surviving text with inserted spans marked and a small marker where
    something was removed. `pairs`: from _pair_texts. One label per block: consecutive removed
    pieces with the same stage and reason share the first one's label."""
    out: list = []  # HTML strings, and on the raw side removal runs (lists, see _removal_run)
    gaps: list[Piece] = []  # removals with nothing left between them: one marker on the clean side
    bulk = _bulk_edits(ann)
    last_label: tuple[str, str] | None = None  # (stage, reason key) of the current block
    labelled_ins: set[int] = set()

    def label_once(stage: str, reason: str | None, score: float | None) -> str:
        nonlocal last_label
        key = (stage, reason_key(reason or ""))
        if key == last_label:
            return ""
        last_label = key
        return _label(stage, reason, score)

    def flush_gaps() -> None:
        if not gaps:
            return
        stages = list(dict.fromkeys(g.removed_by or "" for g in gaps))
        what = "\n".join(_title(g.removed_by or "", g.reason, g.score, "removed here") + ": " + " ".join(g.text.split())[:160]
                         for g in gaps[:GAP_TITLE_LINES])
        if len(gaps) > GAP_TITLE_LINES:  # a page's whole menu: the tooltip names the first ones
            what += f"\n... and {len(gaps) - GAP_TITLE_LINES} more removals"
        out.append(f'<span class="gap" style="--c:{color(stages[0])}" data-stage="{esc(" ".join(stages))}" title="{esc(what)}"></span>')
        gaps.clear()

    budget = MAX_DOC_CHARS
    for p in ann.pieces:
        if side == "clean" and (p.live or budget <= 0):
            flush_gaps()
        if budget <= 0:
            out.append('<span class="muted small">\n[... cut here: the report shows at most '
                       f'{MAX_DOC_CHARS:,} characters per pane]</span>')
            break
        if side == "raw":
            if p.live and p.origin is not None and p.origin_edit not in bulk:
                continue  # a repair: shown on the clean side
            if p.live:
                out.append(esc(p.text))
                if p.text.strip():
                    last_label = None
                budget -= len(p.text)
                continue
            stage = p.removed_by or ""
            edit = ann.edits[p.edit] if p.edit is not None else None
            changed = bool(edit and edit.replacement)
            cls = "chg" if changed else "rm"
            verb = "changed" if changed else "removed"
            if p.origin is not None and p.origin_edit not in bulk:
                verb += f" (in text produced by {p.origin})"
            title = esc(_title(stage, p.reason, p.score, verb))
            attrs = (f'class="{cls}" style="--c:{color(stage)}" data-stage="{esc(stage)}" '
                     f'data-reason="{esc(p.reason)}" title="{title}"')
            if len(p.text) > BIG:
                what = "replaced by the text below" if p.edit in bulk else ("replaced by the text on the right" if changed else verb)
                out.append(f'<details class="big"><summary>{_label(stage, p.reason, p.score)}'
                           f'<span class="muted small">{len(p.text):,} characters {what} &ndash; click to show '
                           f'{"the first " + format(RAW_EXCERPT, ",") if len(p.text) > RAW_EXCERPT else "them"}</span></summary>'
                           f'<del {attrs}>{_excerpt(p.text)}</del></details>')
                if p.edit in bulk:
                    out.append(f'<div class="extracted-head small muted">{esc(stage)} kept the text below; '
                               'later stages\' removals are marked in place:</div>')
                last_label = None
                budget -= min(len(p.text), RAW_EXCERPT)
            elif not changed and out and isinstance(out[-1], list) and out[-1][:2] == [(stage, reason_key(p.reason or "")), verb]:
                out[-1][2].append(p)  # one more line of the same removal run (a menu, a footer)
                budget -= len(p.text)
            else:
                body = pairs[p.edit][0] if p.edit in pairs else esc(p.text)
                label = label_once(stage, p.reason, p.score)
                # An unchanged removal stays open as a run (a list) until something else follows.
                out.append([(stage, reason_key(p.reason or "")), verb, [p], attrs, label, body] if not changed
                           else f"<del {attrs}>{label}{body}</del>")
                budget -= len(p.text)
        else:
            if not p.live:
                if not (ann.edits[p.edit].replacement if p.edit is not None else ""):
                    gaps.append(p)
                continue
            if p.origin is None or p.origin_edit in bulk:
                out.append(esc(p.text))
            else:
                stage = p.origin
                body = pairs[p.origin_edit][1] if p.origin_edit in pairs else esc(p.text)
                lbl = "" if p.origin_edit in labelled_ins else _label(stage, p.origin_reason)
                labelled_ins.add(p.origin_edit)
                out.append(f'<ins class="add" style="--c:{color(stage)}" data-stage="{esc(stage)}" '
                           f'data-reason="{esc(p.origin_reason)}" title="{esc(_title(stage, p.origin_reason, None, "inserted"))}">'
                           f'{lbl}{body}</ins>')
            budget -= len(p.text)
    flush_gaps()
    return "".join(x if isinstance(x, str) else _removal_run(*x[2:]) for x in out)


def _removal_run(pieces: list[Piece], attrs: str, label: str, body: str) -> str:
    """Consecutive removed lines of one stage and reason family as one marked span: a page's menu
    of 150 lines is one <del>, not 150 (the report of a whole-page run stays small); the tooltip
    gives the run's length and score range, each line's own score is in the edit tables."""
    if len(pieces) == 1:
        return f"<del {attrs}>{label}{body}</del>"
    scores = [p.score for p in pieces if p.score is not None]
    extra = f" -- {len(pieces)} removals in a row" + (f", scores {min(scores):.2f}-{max(scores):.2f}" if scores else "")
    attrs = attrs.replace('" title="', '" data-run="' + str(len(pieces)) + '" title="', 1)
    attrs = attrs[:-1] + esc(extra) + '"'
    return f"<del {attrs}>{label}{body}{''.join(esc(p.text) for p in pieces[1:])}</del>"


def _what_happened(h: History, ann: Annotated) -> list[str]:
    items = []
    for stage, reason in ann.notes:
        items.append(f'{_label(stage, reason)}<span class="muted">note only, no text changed</span>')
    for step in h.steps:
        changes = [e for e in step.edits if not (e.start == e.end and not e.replacement)]
        if changes:
            removed = sum(e.end - e.start for e in changes if not e.replacement)
            replaced = [e for e in changes if e.replacement]
            reasons: dict[str, int] = {}
            for e in changes:
                reasons[reason_key(e.reason)] = reasons.get(reason_key(e.reason), 0) + 1
            parts = []
            if step.stage == "extract":
                parts.append(f"turned the HTML page into text ({len(step.before):,} chars of HTML &rarr; "
                             f"{len(step.after or ''):,} chars of text)")
                replaced, changes = [], []
            n_rm = len(changes) - len(replaced)
            if n_rm:
                parts.append(f"removed {n_rm} span{'s' if n_rm != 1 else ''} ({removed:,} chars)")
            if replaced:
                parts.append(f"changed {len(replaced)} span{'s' if len(replaced) != 1 else ''}")
            why = ", ".join(f"{esc(short_reason(step.stage, r))}" + (f" &times;{n}" if n > 1 else "") for r, n in reasons.items())
            items.append(f'<span class="chip" style="--c:{color(step.stage)}">{esc(step.stage)}</span> '
                         f'{"; ".join(parts)} &mdash; <span class="muted">{why}</span>')
        if step.dropped_reason:
            items.append(f'<span class="chip" style="--c:{color(step.stage)}">{esc(step.stage)}</span> '
                         f'<b>dropped the document</b>: {esc(step.dropped_reason)}')
    if h.outcome == "rejected" and not (h.steps and h.steps[-1].dropped_reason):
        items.append(f'<span class="chip" style="--c:{color(h.rejected_stage)}">{esc(h.rejected_stage)}</span> '
                     f'<b>rejected</b>: {esc(h.rejected_reason)}')
    if not items:
        items.append('<span class="muted">No stage changed this document: the clean text is the input text.</span>')
    return items


def render_document(n: int, h: History, title: str | None = None) -> str:
    ann = annotate(h)
    touched = h.touched_by()
    if h.outcome == "rejected" and h.rejected_stage and h.rejected_stage not in touched:
        touched.append(h.rejected_stage)
    chips = " ".join(f'<span class="chip" style="--c:{color(s)}">{esc(s)}</span>' for s in touched)
    if h.final_text is not None:
        right_title = f"Clean text (in corpus, {len(h.final_text):,} chars)"
    elif h.outcome == "duplicate":
        right_title = "Text when removed as a duplicate (not in corpus)"
    else:
        right_title = f"Text when dropped by {esc(h.dropped_by or '?')} (not in corpus)"
    raw_title = "Input text (decoded)"
    if h.input_format == "html":
        raw_title = "Input: an HTML page (a bounded excerpt), then the text extracted from it"
    pairs = _pair_texts(ann)
    raw = _render_pieces(ann, "raw", pairs) if h.input_text is not None else '<span class="muted">(no decoded text: the document was rejected before decoding finished)</span>'
    clean = _render_pieces(ann, "clean", pairs) if h.input_text is not None else ""
    happened = "".join(f"<li>{x}</li>" for x in _what_happened(h, ann))
    n_in = len(h.input_text or "")
    return f"""
<section class="doc" id="doc-{n}" data-id="{esc(h.id)}" data-stages="{esc(' '.join(touched))}" data-outcome="{esc(h.outcome)}">
  <h3>{esc(title or h.id)} <span class="chip outcome-{esc(h.outcome)}">{esc(h.outcome)}</span></h3>
  {f'<div class="docid small">{esc(h.id)}</div>' if title else ''}
  <div class="meta muted small">source: {esc(h.source or "unknown")} &middot; {n_in:,} chars in{(" &middot; " + f"{len(h.final_text):,} chars out") if h.final_text is not None else ""} {chips}</div>
  <ul class="happened">{happened}</ul>
  <div class="panes">
    <div class="pane pane-raw"><h4>{raw_title}, with what each stage removed or changed</h4><div class="text">{raw}</div></div>
    <div class="pane pane-clean"><h4>{right_title}</h4><div class="text">{clean}</div></div>
  </div>
</section>"""
