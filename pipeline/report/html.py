"""`pipeline report OUT`: one self-contained HTML file to inspect a finished run.

What it shows: the funnel (documents and characters in and out of each stage), the removal
reasons per stage with counts and clickable examples, sampled documents raw and clean side by
side with every removed or changed span marked with its stage and reason, near-duplicate clusters
with the differing passages, and rejected documents with their reasons.

It stays small and fast on large runs: counts come from manifest.json; examples are sampled per
stage and reason (`per_reason`) by scanning only the id/action/reason columns of the edit tables
and stopping as soon as every reason has its examples; at most `max_docs` documents are embedded,
and their texts are read with one id-filtered scan per table (`load_histories`).
"""

from __future__ import annotations

import difflib
import html
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pyarrow.dataset as ds

from pipeline.errors import PipelineError
from pipeline.report.assets import CSS, JS, STAGE_COLORS
from pipeline.report.history import Annotated, History, Piece, annotate, load_histories
from pipeline.runner.chain import STAGE_ORDER, stage_dir
from pipeline.stage import reason_key

BIG = 1500  # removed/inserted runs longer than this are collapsed (e.g. a whole HTML page)
MAX_DOC_CHARS = 200_000  # per pane; longer documents are cut with a note
CHAR_DIFF_MAX = 5000  # character-level highlighting inside changed spans up to this length
DUP_DIFF_MAX_WORDS = 20_000


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


# --- what to show ---------------------------------------------------------------------------


@dataclass
class Selection:
    examples: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (stage, reason key) -> ids
    clusters: list[tuple[str, list[dict]]] = field(default_factory=list)  # (kept id, duplicate rows)
    n_clusters: int = 0
    rejected: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    doc_ids: list[str] = field(default_factory=list)


def _parquet(files: list[Path]) -> ds.Dataset | None:
    files = [f for f in files if f.exists() and not f.name.startswith(".")]
    return ds.dataset([str(f) for f in sorted(files)], format="parquet") if files else None


def _edit_files(out: Path, stage: str) -> list[Path]:
    return sorted((out / "stages" / stage_dir(stage)).glob("edits-*.parquet"))


def sample_examples(out: Path, stages: dict, per_reason: int) -> dict[tuple[str, str], list[str]]:
    """Up to `per_reason` document ids per (stage, reason key), first seen first.

    Reads only id/reason columns batch by batch and stops once every reason the stats know of
    has its examples, so a large run is not read to the end."""
    found: dict[tuple[str, str], list[str]] = {}
    for stage in STAGE_ORDER:
        d = _parquet(_edit_files(out, stage))
        if d is None:
            continue
        wanted = set(stages.get(stage, {}).get("reasons", {}))
        for batch in d.to_batches(columns=["id", "reason"], batch_size=65_536):
            for doc_id, reason in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
                ids = found.setdefault((stage, reason_key(reason or "")), [])
                if len(ids) < per_reason and doc_id not in ids:
                    ids.append(doc_id)
            if wanted and all(len(found.get((stage, k), [])) >= per_reason for k in wanted):
                break
    return found


def sample_clusters(out: Path, per_reason: int) -> tuple[list[tuple[str, list[dict]]], int]:
    """The largest clusters first (up to 4 x per_reason), each with up to per_reason removed members."""
    p = out / "duplicates.parquet"
    if not p.exists():
        return [], 0
    rows = ds.dataset(str(p), format="parquet").to_table(columns=["id", "duplicate_of", "similarity", "kind"]).to_pylist()
    by_kept: dict[str, list[dict]] = {}
    for r in rows:
        by_kept.setdefault(r["duplicate_of"], []).append(r)
    order = sorted(by_kept.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    chosen = []
    for kept, members in order[: 4 * per_reason]:
        # the least similar first: they show the most interesting differences
        members = sorted(members, key=lambda r: (r["similarity"] or 0, r["id"]))
        shown = members[:per_reason]
        for r in shown:
            r["cluster_size"] = len(members)
        chosen.append((kept, shown))
    return chosen, len(by_kept)


def sample_rejected(out: Path, per_reason: int) -> dict[tuple[str, str], list[dict]]:
    p = out / "rejected.parquet"
    if not p.exists():
        return {}
    found: dict[tuple[str, str], list[dict]] = {}
    d = ds.dataset(str(p), format="parquet")
    for batch in d.to_batches(columns=["id", "stage", "reason", "n_chars", "preview"], batch_size=65_536):
        for r in batch.to_pylist():
            rows = found.setdefault((r["stage"] or "?", reason_key(r["reason"] or "")), [])
            if len(rows) < per_reason:
                rows.append(r)
    return found


def _first_ids(out: Path, limit: int) -> list[str]:
    d = _parquet(sorted((out / "stages" / stage_dir("decode")).glob("input-*.parquet")))
    ids: list[str] = []
    if d is None or limit <= 0:
        return ids
    for batch in d.to_batches(columns=["id"], batch_size=4096):
        ids.extend(batch.column(0).to_pylist())
        if len(ids) >= limit:
            break
    return ids[:limit]


def select(out: Path, manifest: dict, per_reason: int, max_docs: int) -> Selection:
    sel = Selection()
    sel.examples = sample_examples(out, manifest.get("stages", {}), per_reason)
    sel.clusters, sel.n_clusters = sample_clusters(out, per_reason)
    sel.rejected = sample_rejected(out, per_reason)
    ids: dict[str, None] = {}

    def add(i: str) -> None:
        if len(ids) < max_docs:
            ids.setdefault(i, None)

    # Round-robin over reasons so every reason gets its first example before any gets a second.
    lists = [v for _, v in sorted(sel.examples.items(), key=lambda kv: STAGE_ORDER.index(kv[0][0]))]
    for n in range(per_reason):
        for v in lists:
            if n < len(v):
                add(v[n])
    for kept, members in sel.clusters:
        add(kept)
        for m in members:
            add(m["id"])
    for rows in sel.rejected.values():
        for r in rows:
            add(r["id"])
    for i in _first_ids(out, max_docs):  # fill up with the first documents of the run
        add(i)
    sel.doc_ids = list(ids)
    return sel


# --- rendering: one document --------------------------------------------------------------------


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


def _render_pieces(ann: Annotated, side: str, pairs: dict[int, tuple[str, str]]) -> str:
    """side 'raw': the input with removed/replaced spans marked (plus text that a stage inserted
    and a later stage removed); side 'clean': the surviving text with inserted spans marked and a
    small marker where something was removed. `pairs`: from _pair_texts."""
    out: list[str] = []
    gaps: list[Piece] = []  # removals with nothing left between them: one marker on the clean side

    def flush_gaps() -> None:
        if not gaps:
            return
        stages = list(dict.fromkeys(g.removed_by or "" for g in gaps))
        what = "\n".join(_title(g.removed_by or "", g.reason, g.score, "removed here") + ": " + " ".join(g.text.split())[:160] for g in gaps)
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
            if p.live and p.origin is not None:
                continue
            if p.live:
                out.append(esc(p.text))
                budget -= len(p.text)
                continue
            stage = p.removed_by or ""
            edit = ann.edits[p.edit] if p.edit is not None else None
            changed = bool(edit and edit.replacement)
            cls = "chg" if changed else "rm"
            verb = "changed" if changed else "removed"
            if p.origin is not None:
                verb += f" (in text produced by {p.origin})"
            title = esc(_title(stage, p.reason, p.score, verb))
            attrs = (f'class="{cls}" style="--c:{color(stage)}" data-stage="{esc(stage)}" '
                     f'data-reason="{esc(p.reason)}" title="{title}"')
            body = pairs[p.edit][0] if p.edit in pairs else esc(p.text)
            if len(p.text) > BIG:
                out.append(f'<details class="big"><summary>{_label(stage, p.reason, p.score)}'
                           f'<span class="muted small">{len(p.text):,} characters {"replaced by the text on the right" if changed else verb} &ndash; click to show them</span></summary>'
                           f'<del {attrs}>{body}</del></details>')
            else:
                out.append(f"<del {attrs}>{_label(stage, p.reason, p.score)}{body}</del>")
            budget -= min(len(p.text), BIG)
        else:
            if not p.live:
                if not (ann.edits[p.edit].replacement if p.edit is not None else ""):
                    gaps.append(p)
                continue
            if p.origin is None:
                out.append(esc(p.text))
            else:
                stage = p.origin
                bulk = len(p.text) > BIG
                body = pairs[p.origin_edit][1] if p.origin_edit in pairs else esc(p.text)
                out.append(f'<ins class="add{" bulk" if bulk else ""}" style="--c:{color(stage)}" data-stage="{esc(stage)}" '
                           f'data-reason="{esc(p.origin_reason)}" title="{esc(_title(stage, p.origin_reason, None, "inserted"))}">'
                           f'{"" if bulk else _label(stage, p.origin_reason)}{body}</ins>')
            budget -= len(p.text)
    flush_gaps()
    return "".join(out)


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
                parts.append(f"took the article text out of the HTML page ({len(step.before):,} chars of HTML &rarr; "
                             f"{len(step.after or ''):,} chars of text)")
                replaced, changes = [], []
            n_rm = len(changes) - len(replaced)
            if n_rm:
                parts.append(f"removed {n_rm} span{'s' if n_rm != 1 else ''} ({removed:,} chars)")
            if replaced:
                parts.append(f"changed {len(replaced)} span{'s' if len(replaced) != 1 else ''}")
            why = ", ".join(f"{esc(r)}" + (f" &times;{n}" if n > 1 else "") for r, n in reasons.items())
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


def render_document(n: int, h: History) -> str:
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
        raw_title += " &mdash; an HTML page"
    pairs = _pair_texts(ann)
    raw = _render_pieces(ann, "raw", pairs) if h.input_text is not None else '<span class="muted">(no decoded text: the document was rejected before decoding finished)</span>'
    clean = _render_pieces(ann, "clean", pairs) if h.input_text is not None else ""
    happened = "".join(f"<li>{x}</li>" for x in _what_happened(h, ann))
    n_in = len(h.input_text or "")
    return f"""
<section class="doc" id="doc-{n}" data-id="{esc(h.id)}" data-stages="{esc(' '.join(touched))}" data-outcome="{esc(h.outcome)}">
  <h3>{esc(h.id)} <span class="chip outcome-{esc(h.outcome)}">{esc(h.outcome)}</span></h3>
  <div class="meta muted small">source: {esc(h.source or "unknown")} &middot; {n_in:,} chars in{(" &middot; " + f"{len(h.final_text):,} chars out") if h.final_text is not None else ""} {chips}</div>
  <ul class="happened">{happened}</ul>
  <div class="panes">
    <div class="pane pane-raw"><h4>{raw_title}, with what each stage removed or changed</h4><div class="text">{raw}</div></div>
    <div class="pane pane-clean"><h4>{right_title}</h4><div class="text">{clean}</div></div>
  </div>
</section>"""


# --- rendering: the page -------------------------------------------------------------------------


def _bar(value_out: int, value_gone: int, scale: int, cls: str) -> str:
    if scale <= 0:
        return f'<div class="bar {cls}"></div>'
    w_out = 100.0 * value_out / scale
    w_gone = 100.0 * value_gone / scale
    return (f'<div class="bar {cls}"><span class="out" style="width:{w_out:.2f}%"></span>'
            f'<span class="gone" style="left:{w_out:.2f}%;width:{w_gone:.2f}%"></span></div>')


def render_funnel(manifest: dict) -> str:
    stages = manifest.get("stages", {})
    max_docs = max([s.get("docs_in", 0) for s in stages.values()] + [1])
    max_chars = max([s.get("chars_in", 0) for s in stages.values()] + [1])
    rows = []
    for name in STAGE_ORDER:
        s = stages.get(name)
        if s is None:
            continue
        not_run = s["docs_in"] == 0
        pct = (100.0 * s["chars_removed"] / s["chars_in"]) if s["chars_in"] else 0.0
        rows.append(f"""<tr data-stage="{esc(name)}"{' class="not-run"' if not_run else ''}>
  <td><span class="chip" style="--c:{color(name)}">{esc(name)}</span>{' <span class="small">(did not run)</span>' if not_run else ''}</td>
  <td class="num docs-in">{s['docs_in']:,}</td><td class="num docs-out">{s['docs_out']:,}</td>
  <td class="num docs-modified">{s['docs_modified']:,}</td><td class="num docs-dropped">{s['docs_dropped']:,}</td>
  <td>{_bar(s['docs_out'], s['docs_dropped'], max_docs, 'docs')}</td>
  <td class="num chars-in">{s['chars_in']:,}</td><td class="num chars-out">{s['chars_out']:,}</td>
  <td class="num chars-removed">{s['chars_removed']:,} <span class="muted small">({pct:.1f}%)</span></td>
  <td>{_bar(s['chars_out'], s['chars_removed'], max_chars, 'chars')}</td>
  <td class="num seconds">{s.get('seconds', 0):.2f}</td>
</tr>""")
    return f"""
<section class="card" id="funnel">
  <h2>Funnel: what enters and leaves each stage</h2>
  <table class="funnel">
    <thead><tr><th>stage</th><th class="num">docs in</th><th class="num">docs out</th><th class="num">changed</th>
    <th class="num">dropped</th><th>documents</th><th class="num">chars in</th><th class="num">chars out</th>
    <th class="num">chars removed</th><th>characters</th><th class="num">sec</th></tr></thead>
    <tbody>{''.join(rows)}</tbody>
  </table>
  <p class="legend small muted">Bars are to scale across stages:<span class="sw" style="background:#60a5fa"></span>documents passed on
  <span class="sw" style="background:#a78bfa"></span>characters passed on<span class="sw" style="background:#f87171"></span>dropped / removed here.
  Decode's characters in are input bytes; extract's removal is HTML markup.</p>
</section>"""


def _example_snippet(h: History | None, stage: str, key: str) -> str:
    if h is None:
        return ""
    for step in h.steps:
        if step.stage != stage:
            continue
        if step.dropped_reason and reason_key(step.dropped_reason) == key:
            return f'<span class="muted small">dropped: {esc(step.dropped_reason[:160])}</span>'
        for e in step.edits:
            if reason_key(e.reason) == key:
                if e.start == e.end and not e.replacement:
                    return f'<span class="muted small">{esc(e.reason[:160])}</span>'
                if stage == "extract":
                    return f'<span class="muted small">{e.end - e.start:,} chars of HTML &rarr; {len(e.replacement):,} chars of text</span>'
                text = " ".join((e.removed or step.before[e.start : e.end]).split())
                more = f' <span class="muted small">&rarr; {esc(" ".join(e.replacement.split())[:80])}</span>' if e.replacement else ""
                return f'<span class="snippet">{esc(text[:160])}{"..." if len(text) > 160 else ""}</span>{more}'
    if h.outcome == "rejected" and h.rejected_stage == stage:
        return f'<span class="muted small">rejected: {esc((h.rejected_reason or "")[:160])}</span>'
    return ""


def render_reasons(manifest: dict, sel: Selection, hist: dict[str, History]) -> str:
    stages = manifest.get("stages", {})
    blocks = []
    for name in STAGE_ORDER:
        reasons = stages.get(name, {}).get("reasons", {})
        if not reasons:
            continue
        items = []
        for key, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            ids = sel.examples.get((name, key), [])
            ex = []
            for i in ids:
                if i in hist:
                    ex.append(f'<li><a class="idlink" href="{doc_href(i, name)}">{esc(i)}</a> {_example_snippet(hist[i], name, key)}</li>')
                else:
                    ex.append(f'<li><span class="idlink">{esc(i)}</span> <span class="muted small">(not embedded: over --max-docs)</span></li>')
            shown = f'<span class="muted small">{len(ids)} example{"s" if len(ids) != 1 else ""}</span>' if ids else ""
            items.append(f'<li data-stage="{esc(name)}" data-reason="{esc(key)}"><span class="count">{count:,}</span>'
                         f'<b>{esc(key)}</b> {shown}<ul class="examples">{"".join(ex)}</ul></li>')
        total = sum(reasons.values())
        blocks.append(f'<details class="stage-reasons" open style="--c:{color(name)}"><summary>{esc(name)} '
                      f'<span class="muted small">&middot; {total:,} edits/drops</span></summary><ul class="reasons">{"".join(items)}</ul></details>')
    if not blocks:
        blocks.append('<p class="muted">No stage recorded any removal or change.</p>')
    return f"""
<section class="card" id="reasons">
  <h2>What each stage removed or changed, and why</h2>
  <p class="muted small">Counts are for the whole run (edits, or dropped documents); click an example to open the document at that stage.</p>
  {''.join(blocks)}
</section>"""


def _word_diff(kept: str, dup: str) -> str:
    """The duplicate against the kept text: differing passages highlighted, long equal runs elided."""
    a_tok = re.findall(r"\S+\s*", kept)[:DUP_DIFF_MAX_WORDS]
    b_tok = re.findall(r"\S+\s*", dup)[:DUP_DIFF_MAX_WORDS]
    # Compare words only: a word followed by a newline in one copy and a space in the other is the same word.
    sm = difflib.SequenceMatcher(None, [t.strip() for t in a_tok], [t.strip() for t in b_tok], autojunk=False)
    out = []
    ops = sm.get_opcodes()
    for n, (op, i1, i2, j1, j2) in enumerate(ops):
        if op == "equal":
            words = a_tok[i1:i2]
            if len(words) > 24:
                head = "".join(words[:10]) if n > 0 else ""
                tail = "".join(words[-10:]) if n < len(ops) - 1 else ""
                out.append(f'{esc(head)}<span class="ell">[... {len(words) - (10 if head else 0) - (10 if tail else 0):,} identical words ...]</span> {esc(tail)}')
            else:
                out.append(esc("".join(words)))
        else:
            if i2 > i1:
                out.append(f'<del title="only in the kept document">{esc("".join(a_tok[i1:i2]))}</del>')
            if j2 > j1:
                out.append(f'<ins title="only in the removed duplicate">{esc("".join(b_tok[j1:j2]))}</ins>')
    if len(ops) == 1 and ops[0][0] == "equal":
        out.append('<span class="muted small"> (identical words; differences are only in case, punctuation or spacing)</span>')
    return "".join(out)


def render_clusters(sel: Selection, hist: dict[str, History]) -> str:
    if not sel.clusters:
        body = '<p class="muted">No duplicates were removed.</p>'
    else:
        parts = []
        for kept, members in sel.clusters:
            kh = hist.get(kept)
            items = []
            for m in members:
                dh = hist.get(m["id"])
                diff = ""
                if kh and dh and kh.last_text is not None and dh.last_text is not None:
                    diff = f'<div class="dupdiff">{_word_diff(kh.last_text, dh.last_text)}</div>'
                link = f'<a class="idlink" href="{doc_href(m["id"], "dedup")}">{esc(m["id"])}</a>' if dh else f'<span class="idlink">{esc(m["id"])}</span>'
                items.append(f'<li data-id="{esc(m["id"])}">removed {link} &middot; {esc(m["kind"])} duplicate, '
                             f'similarity <b class="sim">{(m["similarity"] or 0):.3f}</b>{diff}</li>')
            klink = f'<a class="idlink" href="{doc_href(kept)}">{esc(kept)}</a>' if kh else f'<span class="idlink">{esc(kept)}</span>'
            size = members[0].get("cluster_size", len(members)) if members else 0
            of = (f' <span class="muted small">&middot; {size:,} removed as its duplicates, '
                  f'{len(members)} least similar shown</span>') if size > len(members) else ""
            parts.append(f'<div class="cluster" data-kept="{esc(kept)}"><div>kept {klink} '
                         f'<span class="chip outcome-kept">kept</span>{of}</div><ul>{"".join(items)}</ul></div>')
        more = f'<p class="muted small">Showing {len(sel.clusters)} of {sel.n_clusters:,} clusters, largest first.</p>'
        legend = ('<p class="muted small">In each comparison: <del>struck red</del> = only in the kept document, '
                  '<ins style="background:#dcfce7;text-decoration:none">green</ins> = only in the removed duplicate.</p>')
        body = more + legend + "".join(parts)
    return f'<section class="card" id="duplicates"><h2>Near-duplicate clusters</h2>{body}</section>'


def render_rejected(manifest: dict, sel: Selection, hist: dict[str, History]) -> str:
    stages = manifest.get("stages", {})
    rows = []
    for (stage, key), items in sorted(sel.rejected.items(), key=lambda kv: (STAGE_ORDER.index(kv[0][0]) if kv[0][0] in STAGE_ORDER else -1, kv[0][1])):
        total = stages.get(stage, {}).get("reasons", {}).get(key)
        for r in items:
            rid = r["id"]
            link = f'<a class="idlink" href="{doc_href(rid, stage)}">{esc(rid)}</a>' if rid in hist else f'<span class="idlink">{esc(rid)}</span>'
            in_all = f' <span class="muted small">({total:,} in all)</span>' if total else ""
            n_chars = "" if r["n_chars"] is None else f"{r['n_chars']:,}"
            preview = esc((r["preview"] or "")[:300]) or "<i>(empty)</i>"
            rows.append(f'<tr data-id="{esc(rid)}"><td>{link}</td><td><span class="chip" style="--c:{color(stage)}">{esc(stage)}</span></td>'
                        f'<td>{esc(r["reason"])}{in_all}</td><td class="num">{n_chars}</td>'
                        f'<td><span class="preview">{preview}</span></td></tr>')
    n = manifest.get("counts", {}).get("rejected", 0)
    if not rows:
        body = '<p class="muted">No document was rejected.</p>'
    else:
        body = (f'<p class="muted small">{n:,} rejected in all; up to the first examples of each stage and reason are listed.</p>'
                '<table><thead><tr><th>id</th><th>stage</th><th>reason</th><th class="num">chars</th><th>start of the text</th></tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table>')
    return f'<section class="card" id="rejected"><h2>Rejected documents</h2>{body}</section>'


def render_documents(order: list[str], hist: dict[str, History]) -> str:
    links, sections = [], []
    for n, doc_id in enumerate(order):
        h = hist[doc_id]
        touched = h.touched_by()
        if h.outcome == "rejected" and h.rejected_stage and h.rejected_stage not in touched:
            touched.append(h.rejected_stage)
        dots = "".join(f'<span class="dot" style="--c:{color(s)}" title="{esc(s)}"></span>' for s in touched)
        links.append(f'<li><a href="{doc_href(doc_id)}" data-id="{esc(doc_id)}" data-stages="{esc(" ".join(touched))}">'
                     f'<span class="id">{esc(doc_id)}</span> <span class="chip outline outcome-{esc(h.outcome)}">{esc(h.outcome)}</span>'
                     f'<span class="dots">{dots}</span></a></li>')
        sections.append(render_document(n, h))
    options = "".join(f'<option value="{s}">{s}</option>' for s in STAGE_ORDER)
    legend = "".join(f'<span class="chip" style="--c:{c}">{s}</span> ' for s, c in STAGE_COLORS.items() if s in STAGE_ORDER)
    return f"""
<section class="card" id="documents">
  <h2>Documents: input and clean text side by side</h2>
  <p class="muted small">Left: the input, with <del class="rm" style="--c:#dc2626">removed</del> and <del class="chg" style="--c:#b45309">changed</del>
  spans labelled with the stage and reason (hover for details). Right: the clean text, <ins class="add" style="--c:#b45309">inserted</ins> text
  marked, <span class="gap" style="--c:#dc2626"></span> where something was removed. Stage colours: {legend}</p>
  <div class="docs">
    <div class="sidebar">
      <input type="search" id="search" placeholder="Search id or text (press /)" autocomplete="off">
      <div class="navrow"><button id="prev-doc" type="button" title="previous document touched by the stage (k)">&#9664;</button>
        <select id="stage-nav" title="stage"><option value="">any stage</option>{options}</select>
        <button id="next-doc" type="button" title="next document touched by the stage (j)">next &#9654;</button></div>
      <div id="match-count" class="muted small"></div>
      <ul class="doclist">{''.join(links)}</ul>
    </div>
    <div class="viewer">{''.join(sections)}</div>
  </div>
</section>"""


def build_report(out: str | Path, per_reason: int = 5, max_docs: int = 200) -> str:
    """The report of run `out` as an HTML string."""
    out = Path(out)
    mpath = out / "manifest.json"
    if not mpath.exists():
        raise PipelineError(f"{out}: not a finished run (no manifest.json)")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PipelineError(f"{mpath}: unreadable manifest ({exc})") from None
    sel = select(out, manifest, per_reason, max_docs)
    hist = load_histories(out, sel.doc_ids)
    order = sorted(i for i in sel.doc_ids if i in hist)  # listed by id: sampled ids are in no useful order
    c = manifest.get("counts", {})
    acc = manifest.get("accounting", {})
    st = manifest.get("stages", {})
    chars_in = st.get("decode", {}).get("chars_out", 0)
    chars_out = st.get("dedup", {}).get("chars_out", 0)
    removed_pct = (100.0 * (chars_in - chars_out) / chars_in) if chars_in else 0.0
    total_docs = c.get("input_documents", 0)
    sampled = (f"{len(order):,} of {total_docs:,} documents are shown in full" +
               (" (all of them)" if len(order) >= total_docs else f" (sampled: up to {per_reason} per stage and reason, at most {max_docs})"))
    title = f"newsclean report: {out.name or out}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title><style>{CSS}</style></head>
<body>
<header class="top"><h1>{esc(title)}</h1><nav><a href="#funnel">Funnel</a><a href="#reasons">Reasons</a>
<a href="#documents">Documents</a><a href="#duplicates">Duplicates</a><a href="#rejected">Rejected</a></nav></header>
<main>
<section class="card" id="overview">
  <p class="summary" id="accounting"><b class="n-input">{total_docs:,}</b> documents in &rarr; <b class="n-kept">{c.get('kept', 0):,}</b> kept,
  <b class="n-dups">{c.get('duplicates', 0):,}</b> duplicates, <b class="n-rejected">{c.get('rejected', 0):,}</b> rejected
  &middot; accounting <span class="{'ok' if acc.get('ok') else 'bad'}">{'ok' if acc.get('ok') else 'MISMATCH'}</span>
  &middot; {chars_in:,} decoded characters &rarr; {chars_out:,} in the corpus ({removed_pct:.1f}% removed)</p>
  <p class="muted small">Run folder: {esc(out.resolve())} &middot; pipeline {esc(manifest.get('versions', {}).get('pipeline', '?'))}
  &middot; {sampled} &middot; report written {esc(time.strftime('%Y-%m-%d %H:%M'))}</p>
</section>
{render_funnel(manifest)}
{render_reasons(manifest, sel, hist)}
{render_documents(order, hist)}
{render_clusters(sel, hist)}
{render_rejected(manifest, sel, hist)}
</main>
<script>{JS}</script>
</body></html>
"""


def write_report(out: str | Path, path: str | Path | None = None, per_reason: int = 5, max_docs: int = 200) -> Path:
    """Write the report (default OUT/report.html) atomically; returns its path."""
    out = Path(out)
    target = Path(path) if path else out / "report.html"
    text = build_report(out, per_reason=per_reason, max_docs=max_docs)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
