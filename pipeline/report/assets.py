"""CSS and JavaScript inlined into report.html (no network, no CDN: the file is self-contained)."""

STAGE_COLORS = {
    "decode": "#64748b",
    "extract": "#0e7490",
    "fix_encoding": "#b45309",
    "boilerplate": "#7c3aed",
    "spam": "#dc2626",
    "repeated_lines": "#0f766e",
    "quality": "#c2410c",
    "dedup": "#1d4ed8",
    "read": "#475569",
}

CSS = """
:root { --fg:#1f2933; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --card:#fff;
        --del:#fde2e1; --del-fg:#8a1c1c; --ins:#dcfce7; --ins-fg:#14532d; --chg:#fef3c7; }
* { box-sizing: border-box; }
html { scroll-padding-top: 3.2rem; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
       color:var(--fg); background:var(--bg); }
header.top { position:sticky; top:0; z-index:5; background:#111827; color:#f9fafb; display:flex;
       align-items:center; gap:1.2rem; padding:.5rem 1rem; }
header.top h1 { font-size:1rem; margin:0; font-weight:600; }
header.top nav a { color:#cbd5e1; text-decoration:none; margin-right:.9rem; }
header.top nav a:hover { color:#fff; }
main { max-width:1500px; margin:0 auto; padding:1rem 1.2rem 4rem; }
section.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:1rem 1.2rem;
       margin:0 0 1.2rem; }
h2 { font-size:1.15rem; margin:.1rem 0 .7rem; }
h3 { font-size:1rem; margin:.8rem 0 .4rem; }
.muted { color:var(--muted); }
.small { font-size:12px; }
.summary { font-size:15px; margin:.2rem 0 .6rem; }
.summary b { font-variant-numeric: tabular-nums; }
.ok { color:#15803d; font-weight:600; } .bad { color:#b91c1c; font-weight:600; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:.3rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; color:#374151; background:#f3f4f6; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; white-space:nowrap; }
tr.not-run td { color:#9ca3af; }
.chip { display:inline-block; border-radius:999px; padding:0 .5rem; font-size:12px; color:#fff;
        background:var(--c,#6b7280); white-space:nowrap; line-height:1.5; }
.chip.outline { background:transparent; color:var(--c,#6b7280); border:1px solid var(--c,#6b7280); }
.outcome-kept { --c:#15803d; } .outcome-duplicate { --c:#1d4ed8; } .outcome-rejected { --c:#b91c1c; }
/* funnel */
.bar { position:relative; height:14px; background:#eef2f7; border-radius:3px; min-width:160px; overflow:hidden; }
.bar > span { position:absolute; top:0; bottom:0; left:0; }
.bar .out { background:#60a5fa; }
.bar .gone { background:#f87171; }
.bar.chars .out { background:#a78bfa; }
.bar .gone.some { min-width:3px; }
.legend span.sw { display:inline-block; width:10px; height:10px; border-radius:2px; margin:0 .25rem 0 .8rem; vertical-align:middle; }
/* reasons */
details.stage-reasons { border-left:4px solid var(--c); padding:.1rem 0 .1rem .7rem; margin:.5rem 0; }
details.stage-reasons > summary { cursor:pointer; font-weight:600; }
ul.reasons { list-style:none; padding-left:0; margin:.3rem 0; }
ul.reasons > li { margin:.35rem 0; }
.count { display:inline-block; min-width:3.2rem; text-align:right; font-variant-numeric:tabular-nums; font-weight:600; margin-right:.4rem; }
ul.examples { margin:.2rem 0 .4rem 3.8rem; padding-left:1rem; }
ul.examples li { margin:.15rem 0; }
ul.examples a { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12px; }
.snippet { color:#7f1d1d; background:var(--del); border-radius:3px; padding:0 .25rem; font-size:12px; }
.meaning { color:#374151; }
.reason-chart h3 { font-size:13px; margin:.2rem 0 .3rem; color:#374151; }
ul.rchart { list-style:none; padding:0; margin:0 0 .8rem; max-width:900px; }
ul.rchart li a { display:grid; grid-template-columns: 16rem minmax(0, 1fr) 4.5rem; gap:.5rem; align-items:center;
       text-decoration:none; color:var(--fg); padding:1px 0; }
ul.rchart li a:hover { background:#f1f5f9; }
.rc-label { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:12px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.rc-bar { height:11px; background:#eef2f7; border-radius:2px; position:relative; }
.rc-bar > span { position:absolute; top:0; bottom:0; left:0; background:var(--c); border-radius:2px; min-width:2px; }
.rc-n { text-align:right; font-variant-numeric:tabular-nums; font-size:12px; }
table.glossary code { font-size:12px; }
.extracted-head { margin:.4rem 0; padding:.15rem .4rem; background:#ecfeff; border-left:3px solid #0e7490; font-family:system-ui,sans-serif; }
ul.doclist .title { display:block; font-size:13px; line-height:1.3; }
ul.doclist .title + .id { font-size:10.5px; color:var(--muted); display:block; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.doc .docid { font-family:ui-monospace,Menlo,Consolas,monospace; color:var(--muted); word-break:break-all; margin-top:-.3rem; }
/* documents */
.docs { display:grid; grid-template-columns: 270px minmax(0, 1fr); gap:1rem; align-items:start; }
.sidebar { position:sticky; top:3.2rem; max-height:calc(100vh - 4rem); overflow:auto; }
.sidebar input[type=search] { width:100%; padding:.35rem .5rem; border:1px solid #cbd5e1; border-radius:6px; font-size:14px; }
.navrow { display:flex; gap:.3rem; margin:.5rem 0; align-items:center; flex-wrap:wrap; }
.navrow select, .navrow button { font-size:13px; padding:.2rem .4rem; }
ul.doclist { list-style:none; padding:0; margin:.3rem 0; }
ul.doclist li { margin:0; }
ul.doclist a { display:block; padding:.25rem .4rem; border-radius:5px; text-decoration:none; color:var(--fg); }
ul.doclist a:hover { background:#f1f5f9; }
ul.doclist a.active { background:#e0e7ff; }
ul.doclist .id { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:12px; word-break:break-all; }
ul.doclist .dots { display:block; margin-top:1px; }
.dot { display:inline-block; width:8px; height:8px; border-radius:50%; background:var(--c); margin-right:2px; }
.doc { border:1px solid var(--line); border-radius:8px; background:#fff; padding:.8rem 1rem; margin-bottom:1rem; }
.js .doc { display:none; }
.js .doc.active { display:block; }
.doc h3 { margin-top:0; font-family:ui-monospace,Menlo,Consolas,monospace; font-size:15px; }
.doc .meta { margin:.2rem 0 .5rem; }
ul.happened { margin:.3rem 0 .6rem; padding-left:1.2rem; }
ul.happened li { margin:.15rem 0; }
.panes { display:grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap:.8rem; }
.pane h4 { margin:.2rem 0 .3rem; font-size:13px; color:#374151; }
.text { white-space:pre-wrap; word-wrap:break-word; font-family:Georgia,"DejaVu Serif",serif; font-size:14px;
        line-height:1.55; background:#fcfcfd; border:1px solid var(--line); border-radius:6px; padding:.6rem .75rem;
        max-height:80vh; overflow:auto; }
del.rm, del.chg { text-decoration:line-through; text-decoration-color:rgba(127,29,29,.55); background:var(--del);
        color:var(--del-fg); border-radius:2px; box-shadow: inset 3px 0 0 var(--c); padding-left:2px; }
del.chg { background:var(--chg); color:#78350f; text-decoration-color:rgba(120,53,15,.5); }
del.chg mark, ins.add mark { background:rgba(234,179,8,.55); color:inherit; border-radius:2px; }
ins.add { text-decoration:none; background:var(--ins); color:var(--ins-fg); border-radius:2px; box-shadow: inset 3px 0 0 var(--c); padding-left:2px; }
ins.bulk { background:transparent; color:inherit; box-shadow:none; padding:0; }
.lbl { display:inline-block; font:600 10.5px/1.4 system-ui,sans-serif; color:#fff; background:var(--c); border-radius:3px;
       padding:0 .3rem; margin-right:.3rem; text-decoration:none; vertical-align:1px; max-width:100%;
       overflow-wrap:anywhere; }
.gap { display:inline-block; width:.5rem; height:1em; background:var(--c); opacity:.65; border-radius:1px; vertical-align:-2px; margin:0 1px; cursor:help; }
details.big { display:inline; }
details.big > summary { display:inline; cursor:pointer; list-style:none; }
details.big > summary::-webkit-details-marker { display:none; }
.focus main > section.card:not(#documents) { display:none; }
.only main > section.card:not(.shown) { display:none; }
.text .small, .text .muted { font-family:system-ui,sans-serif; }
.flash { outline:3px solid #f59e0b; outline-offset:1px; }
.note { background:#f1f5f9; border-radius:4px; padding:.1rem .4rem; font-size:12px; }
/* clusters */
.cluster { border:1px solid var(--line); border-radius:8px; padding:.6rem .8rem; margin:.6rem 0; }
.dupdiff { white-space:pre-wrap; font-family:Georgia,"DejaVu Serif",serif; font-size:13.5px; background:#fcfcfd;
           border:1px solid var(--line); border-radius:6px; padding:.5rem .7rem; margin:.3rem 0 .6rem; }
.dupdiff .ell { color:#9ca3af; }
.dupdiff del { background:var(--del); color:var(--del-fg); }
.dupdiff ins { background:var(--ins); color:var(--ins-fg); text-decoration:none; }
td .preview { font-size:12px; color:#4b5563; white-space:pre-wrap; max-height:4.5em; overflow:hidden; display:block; }
a.idlink { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:12px; }
@media (max-width: 1000px) { .docs { grid-template-columns: 1fr; } .panes { grid-template-columns: 1fr; } .sidebar { position:static; max-height:none; } }
"""

JS = r"""
(function () {
  document.documentElement.classList.add('js');
  var docs = Array.prototype.slice.call(document.querySelectorAll('section.doc'));
  var links = Array.prototype.slice.call(document.querySelectorAll('ul.doclist a'));
  var byId = {};
  docs.forEach(function (d) { byId[d.dataset.id] = d; });
  var search = document.getElementById('search');
  var stageSel = document.getElementById('stage-nav');
  var countEl = document.getElementById('match-count');
  var current = null;

  function params() {
    var out = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf('=');
      if (i < 0) return;
      out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return out;
  }

  function show(id, stage, scroll) {
    var d = byId[id];
    if (!d) return false;
    docs.forEach(function (x) { x.classList.toggle('active', x === d); });
    links.forEach(function (a) { a.classList.toggle('active', a.dataset.id === id); });
    current = id;
    var target = null;
    if (stage) {
      target = d.querySelector('.pane-raw [data-stage="' + stage + '"]') || d.querySelector('[data-stage="' + stage + '"]');
      if (stageSel) stageSel.value = stage;
    }
    document.querySelectorAll('.flash').forEach(function (x) { x.classList.remove('flash'); });
    if (target) {
      var det = target.closest('details');
      if (det) det.open = true;
      target.classList.add('flash');
      var pane = target.closest('.text');
      if (pane) pane.scrollTop = Math.max(0, target.offsetTop - pane.offsetTop - pane.clientHeight / 3);
    }
    if (scroll) d.scrollIntoView({block: 'start'});
    return true;
  }

  function visibleLinks() {
    return links.filter(function (a) { return a.parentNode.style.display !== 'none'; });
  }

  function applySearch() {
    var q = (search.value || '').trim().toLowerCase();
    var n = 0;
    links.forEach(function (a) {
      var d = byId[a.dataset.id];
      var hit = !q || a.dataset.id.toLowerCase().indexOf(q) >= 0 ||
                (d && d.textContent.toLowerCase().indexOf(q) >= 0);
      a.parentNode.style.display = hit ? '' : 'none';
      if (hit) n++;
    });
    countEl.textContent = q ? (n + ' of ' + links.length + ' documents match') : (links.length + ' documents');
    var first = visibleLinks()[0];
    if (q && first && (!current || !visibleLinks().some(function (a) { return a.dataset.id === current; }))) {
      show(first.dataset.id, null, false);
    }
  }

  function step(dir) {
    var stage = stageSel.value;
    var vis = visibleLinks().filter(function (a) {
      return !stage || (' ' + a.dataset.stages + ' ').indexOf(' ' + stage + ' ') >= 0;
    });
    if (!vis.length) { countEl.textContent = 'no document touched by ' + stage; return; }
    var ids = vis.map(function (a) { return a.dataset.id; });
    var order = links.map(function (a) { return a.dataset.id; });
    var pos = order.indexOf(current);
    var next = null;
    if (dir > 0) {
      next = ids.filter(function (id) { return order.indexOf(id) > pos; })[0] || ids[0];
    } else {
      var before = ids.filter(function (id) { return order.indexOf(id) < pos; });
      next = before[before.length - 1] || ids[ids.length - 1];
    }
    show(next, stage, !document.body.classList.contains('focus'));
    var h = 'doc=' + encodeURIComponent(next) + (stage ? '&stage=' + encodeURIComponent(stage) : '') +
            (document.body.classList.contains('focus') ? '&focus=1' : '');
    if (location.hash.replace(/^#/, '') !== h) location.hash = h;
  }

  function route() {
    var p = params();
    // focus=1: only the document viewer, nothing scrolled (for a screenshot or a shared link)
    document.body.classList.toggle('focus', p.focus === '1');
    // show=<section id>: only that section (for a screenshot or a shared link)
    document.body.classList.toggle('only', !!p.show);
    document.querySelectorAll('main > section.card').forEach(function (s) { s.classList.toggle('shown', s.id === p.show); });
    if (p.q !== undefined && search.value !== p.q) { search.value = p.q; applySearch(); }
    if (p.doc && show(p.doc, p.stage, p.focus !== '1')) return;
    if (!current && links.length) show(visibleLinks()[0] ? visibleLinks()[0].dataset.id : links[0].dataset.id, null, false);
  }

  if (search) search.addEventListener('input', applySearch);
  document.getElementById('next-doc').addEventListener('click', function () { step(1); });
  document.getElementById('prev-doc').addEventListener('click', function () { step(-1); });
  document.addEventListener('keydown', function (e) {
    if (e.target && (e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT')) return;
    if (e.key === 'j') step(1);
    if (e.key === 'k') step(-1);
    if (e.key === '/') { e.preventDefault(); search.focus(); }
  });
  window.addEventListener('hashchange', route);
  if (search && search.value) applySearch(); else countEl.textContent = links.length + ' documents';
  route();
})();
"""
