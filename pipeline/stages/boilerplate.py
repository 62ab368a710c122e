"""boilerplate: line-level removal of navigation and page chrome that survives in text.

`score_lines` (pure, no thresholds) gives every line a score in [0, 1] for the chrome family
that fits it best (share widget, interface label, menu, breadcrumb, comment prompt, counter,
credit/caption, copyright, legal/cookie, publication stamp, call to action) together with the
signals that fired. `Boilerplate.apply` removes the lines whose score reaches the configured
threshold. Prose is protected by shape: a line that reads like a sentence and shares its
vocabulary with the rest of the document is discounted, so subheadings, quotes and short
paragraphs stay.

A leading metadata stamp (" date 2021-12-30 ...") and "Published <date>" lines are removed and
their date moved to `doc.date` when the document has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from pipeline.core.document import Document, Edit, Outcome
from pipeline.core.registry import StageSpec
from pipeline.stages import chrome_patterns as P
from pipeline.stages.line_model import LineModel
from pipeline.stages.lines import Line, measure, removal_edits

NAME = "boilerplate"
VERSION = "boilerplate_v1"


class BoilerplateConfig(BaseModel):
    """Thresholds for the line scorer; see `score_lines` for what each signal means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Lines scoring at or above this are removed. 0.5 keeps every seed subheading and quote
    # while catching the seed chrome; raise it to be more conservative.
    threshold: float = Field(0.5, ge=0, le=1.01)
    # Interface labels, widgets and menu items are short: longer lines are never scored as such.
    max_label_words: int = Field(8, ge=1)
    # Credits and captions can be a full sentence ending in "| Photo: ...", but not a paragraph.
    max_credit_words: int = Field(45, ge=1)
    # Copyright / cookie / legal footers longer than this are treated as content (a story about
    # copyright law), not a footer.
    max_footer_words: int = Field(60, ge=1)
    # A run of at least this many consecutive short non-sentence lines with little vocabulary
    # in common with the document is a menu (a single short line is a possible subheading).
    menu_min_run: int = Field(3, ge=2)
    # Lines within this many non-blank lines of either end of the text get `edge_bonus`: chrome
    # clusters at the top and bottom of extracted text.
    edge_lines: int = Field(3, ge=0)
    edge_bonus: float = Field(0.15, ge=0, le=1)
    # Subtracted from the weak families (labels, menus, counters, calls to action) when the line
    # reads like a sentence whose words recur in the document: protects real prose.
    sentence_penalty: float = Field(0.45, ge=0, le=1)
    # Move a removed publication date into doc.date when the document has no date yet.
    move_date: bool = True
    # Learned line scorer (pipeline/stages/line_model.npz, benchmarks/train_line_model.py): a
    # line the rules keep is removed when the model's chrome probability reaches
    # `learned_threshold`; only lines of at most `learned_max_words` words are asked (never
    # when `threshold` > 1, which disables removal).
    learned_enabled: bool = True
    learned_threshold: float = Field(0.6, ge=0, le=1.01)
    learned_max_words: int = Field(25, ge=1)


@dataclass(frozen=True, slots=True)
class LineScore:
    index: int
    score: float
    family: str  # chrome family of the best-scoring rule ("" when nothing fired)
    signals: tuple[str, ...]  # what fired, for the edit's reason detail


def _is_edge(line: Line, rank: int, n_nonblank: int, edge: int) -> bool:
    return rank < edge or n_nonblank - rank <= edge


def _runs(lines: list[Line], short: list[bool]) -> list[int]:
    """For each line, the length of the run of consecutive short lines it belongs to (blank
    lines between bullet-like items do not break a run when every item is a bullet)."""
    run = [0] * len(lines)
    i = 0
    n = len(lines)
    while i < n:
        if not short[i]:
            i += 1
            continue
        j = i
        members = []
        while j < n and (short[j] or (lines[j].blank and j + 1 < n and short[j + 1] and lines[j + 1].bullet)):
            if short[j]:
                members.append(j)
            j += 1
        for k in members:
            run[k] = len(members)
        i = j
    return run


def score_lines(lines: list[Line], c: BoilerplateConfig) -> list[LineScore]:
    """Score every non-blank line; pure, no decision."""
    nonblank = [ln for ln in lines if not ln.blank]
    rank = {ln.index: r for r, ln in enumerate(nonblank)}
    n_nb = len(nonblank)
    short = [
        (not ln.blank) and ln.n_words <= 4 and not ln.ends_sentence and ln.url_share < 0.5 for ln in lines
    ]
    runs = _runs(lines, short)
    out: list[LineScore] = []
    longest = max(c.max_credit_words, c.max_footer_words, 25)
    seen_sentences: set[str] = set()
    for ln in nonblank:
        if ln.n_words > longest:
            continue  # paragraphs: no chrome family applies to lines this long
        edge = _is_edge(ln, rank[ln.index], n_nb, c.edge_lines)
        cands = _candidates(ln, lines, short, runs, edge, c)
        # Repeated sentences: a second copy of a prose line (an extractor repeating a standfirst
        # or a block) carries nothing new.
        if ln.sentence_like:
            key = " ".join(ln.words)
            if key in seen_sentences:
                cands.append((0.7, "duplicate", "repeated_sentence"))
            seen_sentences.add(key)
        if not cands:
            continue
        score, family, signal = max(cands)
        signals = [signal]
        if edge:
            score += c.edge_bonus
            signals.append("edge")
        if family in _WEAK and ln.sentence_like and ln.overlap >= 0.3:
            score -= c.sentence_penalty
            signals.append("sentence")
        elif family == "credit" and ln.sentence_like and not ("|" in ln.text or P.CREDIT_PAREN.search(ln.text)):
            score -= c.sentence_penalty
            signals.append("sentence")
        out.append(LineScore(ln.index, max(0.0, min(score, 1.0)), family, tuple(signals)))
    return _chrome_blocks(lines, out, c)


def _heading_words(words: tuple[str, ...]) -> bool:
    """A short line made of interface / recommendation words: "Most viewed", "Lo más leído"."""
    return 0 < len(words) <= 4 and all(
        w in P.UI_WORDS or w in P.RECOMMEND_WORDS or w in P.INTERACT_WORDS or w in P.STOPWORDS_SHORT
        for w in words)


def _chrome_blocks(lines: list[Line], scores: list[LineScore], c: BoilerplateConfig) -> list[LineScore]:
    """Lines glued (no blank line) to chrome share its nature: a run of headline-shaped lines
    (short, no sentence end, vocabulary the story does not use) that is opened by an interface
    heading ("Most viewed", "Les plus lus") or of which at least half is already chrome is a
    teaser list or a menu; its remaining lines go too."""
    by_index = {s.index: s for s in scores}
    n = len(lines)
    i = 0
    added: dict[int, LineScore] = {}
    while i < n:
        ln = lines[i]
        if ln.blank or ln.n_words > 12 or ln.ends_sentence or ln.url_share >= 0.5:
            i += 1
            continue
        j = i
        while j < n and not lines[j].blank and lines[j].n_words <= 12 and not lines[j].ends_sentence \
                and lines[j].url_share < 0.5:
            j += 1
        run = lines[i:j]
        i = j
        # A list introduced by "...:" or made of code is content, whatever its items look like.
        if len(run) < 3 or any(r.text.endswith(":") or P.CODE_LIKE.search(r.text) for r in run):
            continue
        removed = [r for r in run if r.index in by_index and by_index[r.index].score >= c.threshold]
        rest = [r for r in run if r.index not in {x.index for x in removed}]
        heading = _heading_words(run[0].words) and run[0].n_words <= 4
        if not (heading or 2 * len(removed) >= len(run)) or not rest:
            continue
        # The rest must be foreign to the story: a content list names the story's own things.
        # Bulleted items are a list the page author wrote, unless an interface heading opens it.
        if any(r.overlap >= 0.5 or (r.bullet and not heading) for r in rest if not (heading and r is run[0])):
            continue
        for r in rest:
            added[r.index] = LineScore(r.index, 0.6, "menu", ("chrome_block", f"run{len(run)}"))
    # An interface label ("Most read") sandwiched between two removed lines of its block.
    removed_idx = {s.index for s in scores if s.score >= c.threshold} | set(added)
    for s in scores:
        if s.family == "label" and s.score < c.threshold and s.index not in added:
            k = s.index
            if (0 < k < n - 1 and not lines[k - 1].blank and not lines[k + 1].blank
                    and k - 1 in removed_idx and k + 1 in removed_idx):
                added[k] = LineScore(k, 0.6, "label", (*s.signals, "between_chrome"))
    if not added:
        return scores
    return sorted([s for s in scores if s.index not in added] + list(added.values()), key=lambda s: s.index)


_DIGIT = re.compile(r"\d")
_SPEC = re.compile(r"^\W{0,3}[^\W\d_][\w'’-]*(?:\s+[\w'’-]+){0,2}\s*:\s+\S")

# Families whose evidence is shape only: discounted on prose lines.
_WEAK = ("label", "menu", "counter", "call_to_action")


def _structured(lines: list[Line], short: list[bool], i: int) -> bool:
    """The line sits among short non-prose lines (a listing, table or form): a number, date or
    section word there is data, not chrome."""
    return any(0 <= k < len(lines) and short[k] for k in (i - 1, i + 1))


def _candidates(ln: Line, lines: list[Line], short: list[bool], runs: list[int], edge: bool,
                c: BoilerplateConfig) -> list[tuple[float, str, str]]:
    """(score, family, signal) for every chrome family the line's shape and words fit."""
    t, words, nw = ln.text, ln.words, ln.n_words
    wset = set(words)
    credit_hint = not wset.isdisjoint(P.CREDIT_HINT) or "(" in t
    copyright_hint = "©" in t or not wset.isdisjoint(P.COPYRIGHT_HINT)
    legal_hint = not wset.isdisjoint(P.LEGAL_HINT)
    digit = _DIGIT.search(t) is not None
    cands: list[tuple[float, str, str]] = []
    if nw > 25:
        # Long lines can only be captions with a credit or legal/copyright footers.
        if credit_hint and nw <= c.max_credit_words and (P.CREDIT.search(t) or P.CREDIT_PAREN.search(t)):
            s = 0.85 if "|" in t or P.CREDIT_PAREN.search(t) else 0.6
            cands.append((s, "credit", "credit_marker"))
        if copyright_hint and P.COPYRIGHT.search(t):
            cands.append((0.6, "copyright", "copyright_marker"))
        if legal_hint and ln.overlap < 0.6 and P.LEGAL.search(t):
            cands.append((0.8, "legal", "cookie_or_policy"))
        return cands
    if P.CODE_LIKE.search(t) and ln.url_share == 0:
        # Program code and markup: only symbol-only lines are considered.
        if ln.alpha_share == 0 and not P.COUNTER.match(t):
            cands.append((0.75, "symbols", "no_letters"))
        return cands
    structured = _structured(lines, short, ln.index)
    # Publication stamp: "Published 9 December 2021", "Updated: 12:30 GMT", a lone date.
    if not digit:
        pass
    elif nw <= 15 and P.PUBLISHED.match(t) and (P.has_date(t) or P.TIME.search(t)):
        cands.append((0.9, "published", "stamp+date"))
    elif nw <= 12 and P.DATE_ONLY.match(t) and (P.has_date(t) or P.TIME.search(t)):
        cands.append((0.35 if structured and not edge else 0.8, "published", "date_only"))
    # Counters: "351", "12 | 4", "1.2K", "1,204 views", "👍 12" (prices are content).
    if digit and len(t) <= 30 and ln.url_share == 0 and not P.CURRENCY.search(t):
        s = 0.35 if structured else 0.8
        if P.COUNTER.match(t) and len(t) <= 12:
            cands.append((s, "counter", "numeric_line"))
        elif nw <= 4 and all(w in P.COUNT_UNITS for w in words if not w.isdigit()):
            cands.append((s - 0.05, "counter", "number+unit"))
    # Tag lists: "Tags: Iraq, Coalition", "Filed under: World".
    if nw <= 20 and (":" in t or "|" in t) and P.TAG_LABEL.match(t) and not ln.ends_sentence:
        cands.append((0.8, "tags", "taxonomy_label"))
    # Subscription / newsletter / app prompts in any wording: the concept in a short line.
    if nw <= 14 and ln.overlap < 0.5 and any(w in P.PROMPT_WORDS for w in words):
        # Inside a list of similar short items ("- ECG app", "- Fall detection") it is content.
        cands.append((0.35 if structured and not edge else 0.7, "call_to_action", "subscription_prompt"))
    # Inline menus: 3+ short items separated by | or · on one line, not inside a table.
    if nw <= 20 and ("|" in t or "·" in t or "•" in t[1:]) and not ln.ends_sentence:
        items = [x for x in P.INLINE_SEP.split(t) if x.strip()]
        # A row of a table ("| Pos | Player | Plays |", as trafilatura writes tables) is data.
        table = (t.startswith("|") and t.endswith("|")) or any(
            "|" in lines[k].text for k in (ln.index - 1, ln.index + 1) if 0 <= k < len(lines))
        if len(items) >= 3 and all(len(x.split()) <= 3 for x in items) and not table:
            cands.append((0.75, "menu", f"inline{len(items)}"))
    # Share / follow widgets: every word a social network, a sharing verb or filler.
    if words and nw <= c.max_label_words + 4 and any(w in P.SOCIAL_CORE for w in words):
        if all(w in P.SOCIAL_CORE or w in P.SOCIAL_FILLER or w.isdigit() for w in words):
            cands.append((0.85, "share_widget", "social_words"))
    # Comment prompts and counters: "Post with no comments", "12 Comments", "Leave a reply".
    if (nw <= 10 and ln.url_share < 0.5 and not ln.sentence_like
            and any(w.startswith(P.COMMENT_PREFIXES) for w in words) and P.COMMENT.search(t)):
        cands.append((0.45 if structured and not edge else 0.8, "comment_prompt", "comment_word+short"))
    # Credits and captions: "(Image: AP)", "... | Photo: Twitter/@thehill", "Getty Images".
    if credit_hint and nw <= c.max_credit_words and (P.CREDIT.search(t) or P.CREDIT_PAREN.search(t)):
        s = 0.85 if nw <= 12 or "|" in t or P.CREDIT_PAREN.search(t) else 0.6
        cands.append((s, "credit", "credit_marker"))
    # Copyright and legal/cookie footers.
    if copyright_hint and nw <= c.max_footer_words and P.COPYRIGHT.search(t):
        cands.append((0.9 if nw <= 25 else 0.6, "copyright", "copyright_marker"))
    elif copyright_hint and nw <= 12 and not ln.sentence_like and P.COPYRIGHT_WORD.search(t):
        cands.append((0.7, "copyright", "copyright_word"))
    if legal_hint and nw <= c.max_footer_words and ln.overlap < 0.6 and P.LEGAL.search(t):
        cands.append((0.8, "legal", "cookie_or_policy"))
    # Breadcrumbs: short segments joined by > » › / separators, no sentence punctuation.
    if nw <= 14 and not ln.ends_sentence and any(ch in t for ch in ">»›→/"):
        seps = len(P.BREADCRUMB_SEP.findall(t))
        if seps >= 1 and all(0 < len(seg.split()) <= 4 for seg in P.BREADCRUMB_SEP.split(t) if seg.strip()):
            if seps >= 2 or ln.title_share >= 0.5:
                cands.append((0.8, "breadcrumb", "separators"))
    # Teasers: "Read more: <headline>", "Related | ...", or a strong prefix ("Also read").
    if nw <= 25:
        m = P.CTA_PREFIX.match(t)
        if m and (m.group("sep") or P.CTA_STRONG.match(t)):
            cands.append((0.75, "call_to_action", "cta_prefix"))
    # Reader-facing furniture (bylines, durations, account/app/audio prompts, consent, teasers).
    cands.extend(_reader_candidates(ln, wset, digit, structured, edge))
    # Interface labels: every word an interface word ("Live", "Audio Only", "Advertisement").
    if words and nw <= c.max_label_words and all(w in P.UI_WORDS or w.isdigit() for w in words):
        # A section word ("Photos", "Topics") may be a heading or a listing column; ad markers
        # and controls ("Advertisement", "Skip") never are.
        if any(w in P.UI_STRONG for w in words) or ln.bullet or edge:
            s = 0.7
        elif (runs[ln.index] >= 2 and not structured) or (nw >= 2 and ln.isolated):
            s = 0.6  # "Audio Only", "Watch Live": several interface words, not a heading
        else:
            s = 0.3
        cands.append((s, "label", "interface_words"))
    # Symbol-only lines ("|", "—", "***") carry nothing.
    if ln.alpha_share == 0 and not P.COUNTER.match(t):
        cands.append((0.75, "symbols", "no_letters"))
    # Menus: runs of short lines at the page edge, or bulleted runs made of interface words.
    if short[ln.index]:
        ui = sum(w in P.UI_WORDS or w in P.SOCIAL_CORE for w in words) / len(words) if words else 0.0
        if ln.overlap >= 0.5 and ui < 0.5:
            pass  # the item names the article's own topics: a content list
        elif runs[ln.index] >= c.menu_min_run and (edge or ui >= 0.5):
            cands.append((0.55 + 0.1 * ln.bullet, "menu", f"run{runs[ln.index]}"))
        elif ln.bullet and runs[ln.index] >= 2 and ui >= 0.5:
            cands.append((0.55, "menu", f"bullet_run{runs[ln.index]}"))
    return cands


def _reader_candidates(ln: Line, wset: set[str], digit: bool, structured: bool,
                       edge: bool) -> list[tuple[float, str, str]]:
    """The page addressing its reader rather than the story: bylines and author boxes, relative
    times and reading/listening durations, account / app / audio / newsletter prompts, consent
    buttons, affiliate disclosures, recommendation teasers. Each needs the line's own shape
    *and* vocabulary absent from the rest of the document (overlap), so story text about apps,
    journalists or cookies stays."""
    t, nw = ln.text, ln.n_words
    out: list[tuple[float, str, str]] = []
    quoted = not P.QUOTES.isdisjoint(t)
    # Bylines: "By Jane Doe | Updated ...", "Von Klaus Meier, aktualisiert ...".
    if nw <= 12 and not ln.ends_sentence and P.BYLINE.match(t):
        # In a list of short lines (a reading list: title, "by Author") it is data.
        out.append((0.45 if structured and not edge else 0.8, "byline", "by+name"))
    # Author boxes: a newsroom role and what the author does, in words the story does not use.
    if (4 <= nw <= 30 and not quoted and ln.overlap < 0.4 and not wset.isdisjoint(P.ROLE_WORDS)
            and P.BIO_VERB.search(t)):
        out.append((0.6, "byline", "author_box"))
    if nw <= 8 and P.EMAIL.search(t) and ln.overlap < 0.5:
        out.append((0.7, "byline", "contact_email"))
    # Durations: "4 min read", "Updated 3 hours ago", "Lesezeit: 3 Minuten", "Listen · 6:42".
    if digit and nw <= 8 and not ln.sentence_like and P.DURATION.search(t):
        if not wset.isdisjoint(P.DURATION_CONTEXT) or P.RELATIVE.search(t):
            out.append((0.35 if structured and not edge else 0.8, "published", "duration"))
    # Account / app / audio / newsletter prompts: two or more interaction concepts (or one and a
    # reference to the page itself) in a short line the story does not share.
    # ("Free plan: unlimited audio" is a spec line, label then value: not a prompt.)
    if nw <= 16 and not quoted and ln.overlap < 0.7 and not _SPEC.match(t):
        badge = bool(P.STORE_BADGE.search(t))
        strong = sum(1 for w in wset if w in P.INTERACT_STRONG) + badge
        inter = (sum(1 for w in wset if w in P.INTERACT_WORDS) + badge
                 + (not ln.sentence_like and bool(P.SELF_REF.search(t))))
        # Story words shared with the document need more prompt evidence to be outweighed.
        need = 2 if ln.overlap <= 0.5 else 3
        if strong and (inter >= need or (nw <= 3 and not ln.ends_sentence and ln.isolated and ln.overlap <= 0.5)):
            out.append((0.7, "call_to_action", f"reader_prompt{inter}"))
    # Consent dialogs: "Accept all", "Tout refuser", "Manage preferences".
    if nw <= 6 and wset and wset <= P.CONSENT_WORDS and not wset.isdisjoint(P.CONSENT_CORE):
        out.append((0.75, "legal", "consent_buttons"))
    if nw <= 40 and ("cookie" in wset or "cookies" in wset) and ln.overlap < 0.5:
        out.append((0.8, "legal", "cookie_notice"))
    if nw <= 40 and ln.overlap < 0.6 and P.AFFILIATE.search(t):
        out.append((0.8, "legal", "affiliate_disclosure"))
    if nw <= 14 and ln.overlap < 0.4 and P.DISCLAIMER.search(t):
        out.append((0.7, "legal", "publication_disclaimer"))
    # Recommendation teasers: a short label of recommendation words, a separator, a headline.
    if nw <= 20 and not ln.ends_sentence:
        m = P.TEASER.match(t)
        if m and ln.overlap < 0.5:
            label = m.group("label").lower().split()
            if len(label) <= 3 and any(w in P.RECOMMEND_WORDS for w in label):
                out.append((0.75, "call_to_action", "teaser_label"))
    # Credits in any language: "Zdjęcie: PAP/Name", "Crédito da imagem: Agência Brasil".
    if nw <= 12 and not ln.ends_sentence and P.CREDIT_LABEL.match(t):
        out.append((0.8, "credit", "credit_label"))
    return out


class Boilerplate:
    """Remove chrome lines scored at or above the threshold; move publication dates to metadata."""

    name = NAME
    version = VERSION

    def __init__(self, config: BoilerplateConfig | None = None) -> None:
        self.config = config or BoilerplateConfig()
        self._model = LineModel.load() if self.config.learned_enabled else None

    def apply(self, doc: Document) -> Outcome:
        text = doc.text
        if not text.strip():
            return Outcome.keep(doc)
        date = doc.date
        edits: list[Edit] = []
        offset = 0
        # A leading metadata stamp is cut as a prefix (the first paragraph may follow it on the
        # same line); the rest of the text is scored from there.
        m = P.META_PREFIX.match(text)
        if m:
            end = m.end()
            if text[end:end + 1] in ("\n", "\r") or not text[end:].strip():
                while end < len(text) and text[end] in "\r\n \t":
                    end += 1
            edits.append(Edit(0, end, text[:end], "boilerplate:date_line | metadata prefix", 1.0))
            if self.config.move_date and not date:
                date = m.group(1)[:10]
            offset = end
        body = text[offset:]
        lines = measure(body)
        scores = score_lines(lines, self.config)
        removals = {
            s.index: (f"boilerplate:{s.family} | {'+'.join(s.signals)}", s.score)
            for s in scores
            if s.score >= self.config.threshold
        }
        if self._model is not None and self.config.threshold <= 1.0:  # threshold > 1 disables removal
            c = self.config
            # Table rows ("| a | b |", as trafilatura writes tables), list items, one-word
            # headings, "Label: value" spec lines and bare links are data the training pages
            # under-represent: never asked.
            asked = [ln for ln in lines if not ln.blank and 2 <= ln.n_words <= c.learned_max_words
                     and ln.index not in removals and not ln.bullet and ln.url_share < 0.5
                     and not _SPEC.match(ln.text)]
            if asked:
                for ln, p in zip(asked, self._model.predict(asked)):
                    if p >= c.learned_threshold:
                        removals[ln.index] = (f"boilerplate:learned | p={p:.2f}", float(p))
        if self.config.move_date and not date:
            for s in scores:
                if s.index in removals and s.family == "published":
                    date = P.parse_date(lines[s.index].text) or date
                    if date:
                        break
        for e in removal_edits(body, lines, removals):
            edits.append(Edit(e.start + offset, e.end + offset, e.removed, e.reason, e.score))
        if not edits:
            return Outcome.keep(doc)
        from pipeline.core.document import apply_edits

        new_text = apply_edits(text, edits)
        changes: dict[str, object] = {}
        if date != doc.date:
            changes["date"] = date
        return Outcome.keep(doc.with_text(new_text, **changes), edits)


SPEC = StageSpec(NAME, VERSION, BoilerplateConfig, Boilerplate)
