"""`pipeline report OUT`: one self-contained HTML file to inspect a finished run.
Assembles the page from sample.py (what to show), doc_view.py and sections.py (rendering).

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

import os
import time
from pathlib import Path

import pyarrow.dataset as ds

from pipeline.io.layout import read_manifest
from pipeline.report.assets import CSS, JS
from pipeline.core.registry import default_registry
from pipeline.report.history import History, load_histories
from pipeline.report.markup import esc
from pipeline.report.sample import select
from pipeline.report.sections import (render_clusters, render_documents, render_funnel, render_glossary, render_reasons,
                                      render_rejected)

TITLE_MAX = 120


def document_titles(out: Path, hist: dict[str, History]) -> dict[str, str]:
    """A readable title per document: the corpus's title column (kept documents), else the
    page's <title> (HTML input), else the first line of the text."""
    from pipeline.stages.extract import page_title

    titles: dict[str, str] = {}
    files = sorted(p for p in (out / "corpus").glob("*.parquet") if not p.name.startswith("."))
    if files and hist:
        d = ds.dataset([str(f) for f in files], format="parquet")
        if "title" in d.schema.names:
            for r in d.to_table(filter=ds.field("id").isin(list(hist)), columns=["id", "title"]).to_pylist():
                if r["title"]:
                    titles[r["id"]] = r["title"]
    for doc_id, h in hist.items():
        if doc_id in titles or not h.input_text:
            continue
        t = page_title(h.input_text) if h.input_format == "html" else None
        if not t:
            t = next((ln.strip() for ln in (h.last_text or h.input_text).splitlines() if ln.strip()), "")
        if t:
            titles[doc_id] = t
    return {k: (v if len(v) <= TITLE_MAX else v[: TITLE_MAX - 1] + "\u2026") for k, v in titles.items()}



def build_report(out: str | Path, per_reason: int = 5, max_docs: int = 200, registry=None) -> str:
    """The report of run `out` as an HTML string; reason codes are explained from `registry`
    (default: the pipeline's stages)."""
    out = Path(out)
    glossary = (registry or default_registry()).glossary()
    manifest = read_manifest(out)
    sel = select(out, manifest, per_reason, max_docs)
    hist = load_histories(out, sel.doc_ids)
    order = sorted(i for i in sel.doc_ids if i in hist)
    titles = document_titles(out, hist)  # listed by id: sampled ids are in no useful order
    c = manifest.get("counts", {})
    acc = manifest.get("accounting", {})
    st = manifest.get("stages", {})
    names = list(st)  # the run's stages: decoded text leaves the first, the corpus the last
    chars_in = st[names[0]].get("chars_out", 0) if names else 0
    chars_out = st[names[-1]].get("chars_out", 0) if names else 0
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
<a href="#documents">Documents</a><a href="#duplicates">Duplicates</a><a href="#rejected">Rejected</a><a href="#glossary">Glossary</a></nav></header>
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
{render_reasons(manifest, sel, hist, glossary, titles)}
{render_documents(order, hist, names, titles)}
{render_clusters(sel, hist)}
{render_rejected(manifest, sel, hist)}
{render_glossary(manifest, glossary)}
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
