"""Rendering of the report's page sections: the funnel, removal reasons with examples, the
document browser, near-duplicate clusters with word diffs, and rejected documents."""

from __future__ import annotations

import difflib
import re

from pipeline.report.assets import STAGE_COLORS
from pipeline.report.doc_view import render_document
from pipeline.report.history import History
from pipeline.report.markup import color, doc_href, esc
from pipeline.report.sample import Selection
from pipeline.core.registry import explain_reason
from pipeline.core.stage import reason_key

DUP_DIFF_MAX_WORDS = 20_000


def _bar(value_out: int, value_gone: int, scale: int, cls: str) -> str:
    """One stage's bar on its own scale (100 % = what entered the stage), so a stage that removed
    1 % is as readable as one that removed 97 %; a non-zero removal is always at least visible."""
    if scale <= 0:
        return f'<div class="bar {cls}"></div>'
    w_out = 100.0 * value_out / scale
    w_gone = 100.0 * value_gone / scale
    some = " some" if value_gone > 0 else ""
    return (f'<div class="bar {cls}" title="{100.0 * value_gone / scale:.2f}% dropped or removed here">'
            f'<span class="out" style="width:{w_out:.2f}%"></span>'
            f'<span class="gone{some}" style="left:{w_out:.2f}%;width:{w_gone:.2f}%"></span></div>')


def render_funnel(manifest: dict) -> str:
    stages = manifest.get("stages", {})
    rows = []
    for name in stages:
        s = stages.get(name)
        if s is None:
            continue
        not_run = s["docs_in"] == 0
        pct = (100.0 * s["chars_removed"] / s["chars_in"]) if s["chars_in"] else 0.0
        decode = name == "decode"  # bytes in, characters out: the difference is no removed text
        unit_in = ' <span class="muted small">bytes</span>' if decode else ""
        removed_note = "bytes &minus; chars, no text removed" if decode else f"{pct:.1f}%"
        chars_bar = (_bar(s['chars_out'], 0, s['chars_out'], 'chars') if decode
                     else _bar(s['chars_out'], s['chars_removed'], s['chars_in'], 'chars'))
        rows.append(f"""<tr data-stage="{esc(name)}"{' class="not-run"' if not_run else ''}>
  <td><span class="chip" style="--c:{color(name)}">{esc(name)}</span>{' <span class="small">(did not run)</span>' if not_run else ''}</td>
  <td class="num docs-in">{s['docs_in']:,}</td><td class="num docs-out">{s['docs_out']:,}</td>
  <td class="num docs-modified">{s['docs_modified']:,}</td><td class="num docs-dropped">{s['docs_dropped']:,}</td>
  <td>{_bar(s['docs_out'], s['docs_dropped'], s['docs_in'], 'docs')}</td>
  <td class="num chars-in">{s['chars_in']:,}{unit_in}</td><td class="num chars-out">{s['chars_out']:,}</td>
  <td class="num chars-removed">{s['chars_removed']:,} <span class="muted small">({removed_note})</span></td>
  <td>{chars_bar}</td>
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
  <p class="legend small muted">Each bar is on its own stage's scale (full width = what entered that stage):<span class="sw" style="background:#60a5fa"></span>documents passed on
  <span class="sw" style="background:#a78bfa"></span>characters passed on<span class="sw" style="background:#f87171"></span>dropped / removed here.
  Decode's "chars in" are input <b>bytes</b> and its "chars out" are decoded <b>characters</b> (a multi-byte
  character counts once), so decode's "removed" is bytes minus characters, not removed text; extract's removal is HTML markup.</p>
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


def _reason_anchor(stage: str, key: str) -> str:
    return "reason-" + re.sub(r"[^A-Za-z0-9_-]+", "-", f"{stage}-{key}").strip("-")


def render_reason_chart(manifest: dict) -> str:
    """Every reason of the run as one horizontal bar (count of edits or dropped documents),
    largest first, each linking to its examples."""
    items = [(n, stage, key) for stage, s in manifest.get("stages", {}).items() for key, n in s.get("reasons", {}).items()]
    if not items:
        return ""
    items.sort(key=lambda t: (-t[0], t[1], t[2]))
    top = items[0][0] or 1
    rows = "".join(
        f'<li data-chart-stage="{esc(stage)}" data-chart-reason="{esc(key)}"><a href="#{_reason_anchor(stage, key)}">'
        f'<span class="rc-label">{esc(key)}</span><span class="rc-bar"><span style="width:{max(100.0 * n / top, 0.5):.2f}%;--c:{color(stage)}"></span></span>'
        f'<span class="rc-n">{n:,}</span></a></li>'
        for n, stage, key in items)
    return f'<div class="reason-chart"><h3>All reasons, by count</h3><ul class="rchart">{rows}</ul></div>'


def _doc_label(doc_id: str, titles: dict[str, str]) -> str:
    """A link's text: the document's title (its id on hover), else the id."""
    t = titles.get(doc_id)
    return esc(doc_id) if not t else f'<span title="{esc(doc_id)}">{esc(t if len(t) <= 70 else t[:69] + "…")}</span>'


def render_reasons(manifest: dict, sel: Selection, hist: dict[str, History], glossary: dict[str, dict[str, str]],
                   titles: dict[str, str] | None = None) -> str:
    titles = titles or {}
    stages = manifest.get("stages", {})
    blocks = []
    for name in stages:
        reasons = stages.get(name, {}).get("reasons", {})
        if not reasons:
            continue
        items = []
        for key, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            ids = sel.examples.get((name, key), [])
            ex = []
            for i in ids:
                if i in hist:
                    ex.append(f'<li><a class="idlink" href="{doc_href(i, name)}">{_doc_label(i, titles)}</a> {_example_snippet(hist[i], name, key)}</li>')
                else:
                    ex.append(f'<li><span class="idlink">{esc(i)}</span> <span class="muted small">(not embedded: over --max-docs)</span></li>')
            shown = f'<span class="muted small">{len(ids)} example{"s" if len(ids) != 1 else ""}</span>' if ids else ""
            meaning = explain_reason(glossary, name, key)
            what = f' <span class="meaning small">&mdash; {esc(meaning)}</span>' if meaning else ""
            items.append(f'<li id="{_reason_anchor(name, key)}" data-stage="{esc(name)}" data-reason="{esc(key)}"><span class="count">{count:,}</span>'
                         f'<b>{esc(key)}</b>{what} {shown}<ul class="examples">{"".join(ex)}</ul></li>')
        total = sum(reasons.values())
        blocks.append(f'<details class="stage-reasons" open style="--c:{color(name)}"><summary>{esc(name)} '
                      f'<span class="muted small">&middot; {total:,} edits/drops</span></summary><ul class="reasons">{"".join(items)}</ul></details>')
    if not blocks:
        blocks.append('<p class="muted">No stage recorded any removal or change.</p>')
    return f"""
<section class="card" id="reasons">
  <h2>What each stage removed or changed, and why</h2>
  <p class="muted small">Counts are for the whole run (edits, or dropped documents); click an example to open the document at that stage.
  What each code means: <a href="#glossary">glossary</a>.</p>
  {render_reason_chart(manifest)}
  {''.join(blocks)}
</section>"""


def render_glossary(manifest: dict, glossary: dict[str, dict[str, str]]) -> str:
    """Every reason code the stages can emit (from each stage module's REASONS), with its count in this run."""
    stages = manifest.get("stages", {})
    counts: dict[tuple[str, str], int] = {}
    for name, s in stages.items():
        for key, n in s.get("reasons", {}).items():
            for table in (name, "*"):  # a stage's own code, else one any stage may emit (error:*, budget:*)
                family = key.partition(":")[0] + ":*"
                code = key if key in glossary.get(table, {}) else family if family in glossary.get(table, {}) else None
                if code:
                    counts[(table, code)] = counts.get((table, code), 0) + n
                    break
    rows = []
    for stage, table in glossary.items():
        if stage not in stages and stage not in ("read", "*"):
            continue
        label = {"*": "any stage", "read": "read"}.get(stage, stage)
        for code, meaning in table.items():
            n = counts.get((stage, code))
            rows.append(f'<tr data-stage="{esc(stage)}" data-code="{esc(code)}"><td><span class="chip" style="--c:{color(stage)}">{esc(label)}</span></td>'
                        f'<td><code>{esc(code)}</code></td><td>{esc(meaning)}</td><td class="num">{"" if n is None else f"{n:,}"}</td></tr>')
    return f"""
<section class="card" id="glossary">
  <h2>Glossary of reason codes</h2>
  <p class="muted small">Generated from the REASONS each stage module declares beside the code that emits them.
  A code is what comes before " | " (details such as signals and scores follow it); <code>family:*</code> stands for any
  value after the colon; codes joined by + (spam:link+commercial) combine the parts.</p>
  <table class="glossary"><thead><tr><th>stage</th><th>code</th><th>meaning</th><th class="num">in this run</th></tr></thead>
  <tbody>{"".join(rows)}</tbody></table>
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
    order = list(stages)
    for (stage, key), items in sorted(sel.rejected.items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else -1, kv[0][1])):
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


def render_documents(order: list[str], hist: dict[str, History], stages: list[str], titles: dict[str, str] | None = None) -> str:
    titles = titles or {}
    links, sections = [], []
    for n, doc_id in enumerate(order):
        h = hist[doc_id]
        touched = h.touched_by()
        if h.outcome == "rejected" and h.rejected_stage and h.rejected_stage not in touched:
            touched.append(h.rejected_stage)
        dots = "".join(f'<span class="dot" style="--c:{color(s)}" title="{esc(s)}"></span>' for s in touched)
        links.append(f'<li><a href="{doc_href(doc_id)}" data-id="{esc(doc_id)}" data-stages="{esc(" ".join(touched))}">'
                     + (f'<span class="title">{esc(titles[doc_id])}</span>' if titles.get(doc_id) else "")
                     + f'<span class="id">{esc(doc_id)}</span> <span class="chip outline outcome-{esc(h.outcome)}">{esc(h.outcome)}</span>'
                     f'<span class="dots">{dots}</span></a></li>')
        sections.append(render_document(n, h, titles.get(doc_id)))
    options = "".join(f'<option value="{s}">{s}</option>' for s in stages)
    legend = "".join(f'<span class="chip" style="--c:{c}">{s}</span> ' for s, c in STAGE_COLORS.items() if s in stages)
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
