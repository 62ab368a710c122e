"""Line signals shared by the line-level stages (boilerplate, spam, repeated_lines).

A text is split into `Line`s that keep their span in the text; `measure` computes the cheap,
language-light signals every line scorer uses (length, sentence shape, stop-word density,
link and symbol share, position, neighbourhood, overlap with the rest of the document).
`removal_edits` turns a set of lines to drop into exact, non-overlapping `Edit`s.

Everything here is pure and precompiled at import; one pass over the text, no per-line regex
compilation, no model.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple, Sequence

from pipeline.core.document import Edit

WORD = re.compile(r"\w+", re.UNICODE)
TLDS = "com|net|org|info|biz|ru|cn|io|co|xyz|top|online|shop|site|store|club|us|uk|de|fr|pl|in|me|to|ly|gl"
# Full URL pattern, for single lines; `find_urls` finds the same things in a whole text fast.
URL = re.compile(rf"(?:https?://|ftp://|www\.)\S+|\b[\w-]{{2,}}(?:\.[\w-]{{2,}})*\.(?:{TLDS})(?:/\S*)?\b", re.I)
_SCHEME = re.compile(r"(?:https?|ftp)://\S+|www\.\S+", re.I)
_TLD = re.compile(rf"\.(?:{TLDS})(?![\w.-]*\w)|\.(?:{TLDS})/", re.I)
_URL_STOP = " \t\n\r\f\v(\"'<[{"


def find_urls(text: str) -> list[tuple[int, int]]:
    """Spans of URLs and bare domains ("shop.example.com/x") in `text`, in order.

    Literal-prefixed regexes find the anchors (scheme, "www.", ".tld"); the span is then grown
    to the surrounding non-space run, which is much faster than one backtracking regex."""
    spans = [m.span() for m in _SCHEME.finditer(text)] if ("://" in text or "ww." in text or "WW." in text) else []
    if "." in text:
        covered = list(spans)
        for m in _TLD.finditer(text):
            a = m.start()
            if any(s <= a < e for s, e in covered):
                continue
            start = a
            while start > 0 and text[start - 1] not in _URL_STOP:
                start -= 1
            if a - start < 2 or not text[a - 1].isalnum():
                continue
            end = m.end()
            while end < len(text) and not text[end].isspace():
                end += 1
            end = len(text[start:end].rstrip(".,;:!?)]}\"'")) + start
            spans.append((start, end))
            covered.append((start, end))
        spans.sort()
    return spans


# Scripts written without spaces: length is counted in characters there (≈ 2 per word).
# The class as literal characters, so Arrow's RE2 kernels take the same pattern as `re`.
CJK_CHARS = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]"
CJK = re.compile(CJK_CHARS)
BULLET_CHARS = "•·*-–—▪►●○◦■□➤>|»›✓✔"
# A line that ends like a sentence (any script): . ! ? … and CJK full stops, optionally closed
# by a quote or bracket.
SENTENCE_END = re.compile(r"[.!?…。！？؟](?:[\"'”’»)\]]*)\s*$")

# Function words of the languages seen in news crawls (en, de, fr, es, it, pt, nl, pl, ru).
# Prose has ~30-50 % of them; menus, labels, credits and keyword spam have almost none.
STOPWORDS = frozenset(
    """
    the a an and or but of to in on at for with by from as is are was were be been has have had it its
    this that these those he she they we you i his her their our your not no will would can could
    who which what when where why how than then there here also after before about into over more
    der die das und oder ist sind war ein eine einer eines dem den des zu im auf mit von für nicht
    sich auch es sie er wir ich bei nach aus wie als noch wird werden hat haben
    le la les un une des et ou est sont était du de au aux en dans pour par sur avec ne pas que qui
    il elle ils nous vous ce cette se son sa ses leur plus
    el los las y o es son era del al en por para con no que se su sus lo una uno como más pero
    il lo gli di da per con non che è sono una nel della delle degli
    o os as um uma e é são do da dos das em no na nos nas para com não que se
    de het een en of is zijn was van te in op met voor niet dat die er ook
    i w z na do nie się jest że to jak od po za
    и в во на не что он она они мы вы я с со по к из за от для это как но а же бы был была были
    """.split()
)


@dataclass(slots=True)  # not frozen: frozen init costs a setattr call per field, per line
class Line:
    """One line of a text: its span `[start, end)` (end includes the newline) and signals."""

    index: int
    start: int
    end: int
    raw: str  # the line with its newline
    text: str  # stripped
    words: tuple[str, ...]  # lowercased \w+ tokens
    n_words: int  # words, or CJK characters / 2
    ends_sentence: bool
    stop_ratio: float
    url_share: float  # share of the line's characters inside URLs
    alpha_share: float  # letters / non-space characters
    title_share: float  # share of words starting with an upper-case letter
    bullet: bool
    blank_before: bool  # previous line is blank (or start of text)
    blank_after: bool
    overlap: float  # share of the line's content words found elsewhere in the document
    position: float  # 0 at the first non-blank line, 1 at the last

    @property
    def blank(self) -> bool:
        return not self.text

    @property
    def isolated(self) -> bool:
        return self.blank_before and self.blank_after

    @property
    def sentence_like(self) -> bool:
        """Reads like prose: long enough, ends like a sentence and has function words."""
        return self.n_words >= 8 and self.ends_sentence and (self.stop_ratio >= 0.15 or self.n_words == 0)


def content_words(words: tuple[str, ...] | list[str]) -> list[str]:
    return [w for w in words if len(w) >= 3 and w not in STOPWORDS and not w.isdigit()]


def split_lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, raw line with its line break) for every line; exact cover of `text`."""
    out = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        out.append((pos, pos + len(raw), raw))
        pos += len(raw)
    return out


_LETTER = re.compile(r"[^\W\d_]+", re.UNICODE)


# One-entry memo: spam usually measures the very text boilerplate just measured. Held as one
# tuple of a text and the tuple of its lines, replaced by a single (atomic) assignment: threads
# never see a mismatched pair, and no caller can change what the next one gets.
_LAST: tuple[str | None, tuple[Line, ...]] = (None, ())


def measure(text: str) -> tuple[Line, ...]:
    """Split `text` into lines and compute each line's signals (blank lines included).

    Pure; the last result is memoised per process because consecutive line stages often see
    the identical text. Lines are slotted, not frozen (a frozen init costs a setattr per field
    on the hot path): read them, never assign to them."""
    global _LAST
    last_text, last_lines = _LAST
    if last_text is not None and (last_text is text or last_text == text):
        return last_lines
    lines = tuple(_measure(text))
    _LAST = (text, lines)
    return lines


def _measure(text: str) -> list[Line]:
    """Split `text` into lines and compute each line's signals (blank lines included).

    Hot path (runs on every document twice): whole-text regex passes and C-level string
    methods; no per-character Python loops."""
    parts = split_lines(text)
    starts = [p[0] for p in parts]
    # URLs are found in one pass over the text, then attributed to lines.
    url_spans: dict[int, list[tuple[int, int]]] = {}
    for a, b in find_urls(text):
        i = bisect_right(starts, a) - 1
        url_spans.setdefault(i, []).append((a - parts[i][0], b - parts[i][0]))
    stripped = []
    tokens = []
    for i, (_s, _e, raw) in enumerate(parts):
        s = raw.strip()
        stripped.append(s)
        if not s:
            tokens.append(())
            continue
        body = s
        if i in url_spans:  # a link's path is not the line's words
            lead = len(raw) - len(raw.lstrip())
            for a, b in reversed(url_spans[i]):
                body = body[: max(a - lead, 0)] + " " + body[b - lead:]
        tokens.append(WORD.findall(body.lower()))
    doc_counts: Counter[str] = Counter()
    line_cw = []
    for toks in tokens:
        cw = {w for w in set(toks) - STOPWORDS if len(w) > 2 and not w.isdigit()}
        line_cw.append(cw)
        doc_counts.update(cw)
    nonblank = [i for i, s in enumerate(stripped) if s]
    first, last = (nonblank[0], nonblank[-1]) if nonblank else (0, 0)
    span = max(last - first, 1)
    n = len(parts)
    lines = []
    is_stop = STOPWORDS.__contains__
    for i, ((start, end, raw), s, toks) in enumerate(zip(parts, stripped, tokens)):
        if not s:
            lines.append(Line(i, start, end, raw, "", (), 0, False, 0.0, 0.0, 0.0, 0.0, False, True, True, 0.0, 0.0))
            continue
        cjk = 0 if s.isascii() else len(CJK.findall(s))
        n_words = len(toks) + cjk // 2 if cjk < 4 else max(len(toks), cjk // 2)
        non_space = len("".join(s.split())) if " " in s else len(s)  # split: \s whitespace set
        short = len(s) <= 150
        # Letters and capitals are counted on short lines only (symbol lines, breadcrumbs and
        # labels are short); a long line with words is letters enough.
        alpha = sum(map(len, _LETTER.findall(s))) if short else (non_space if toks else 0)
        if short:
            ow = WORD.findall(s)
            title = sum(1 for w in ow if w[0].isupper()) / len(ow) if ow else 0.0
        else:
            title = 0.0
        url_chars = sum(b - a for a, b in url_spans[i]) if i in url_spans else 0
        cw = line_cw[i]
        overlap = (sum(1 for w in cw if doc_counts[w] > 1) / len(cw)) if cw else 1.0
        stops = sum(map(is_stop, toks))
        lines.append(
            Line(
                index=i,
                start=start,
                end=end,
                raw=raw,
                text=s,
                words=tuple(toks),
                n_words=n_words,
                ends_sentence=bool(SENTENCE_END.search(s[-4:])),
                stop_ratio=(stops / len(toks)) if toks else 0.0,
                url_share=min(url_chars / len(s), 1.0),
                alpha_share=alpha / max(non_space, 1),
                title_share=title,
                bullet=s[0] in BULLET_CHARS,
                blank_before=i == 0 or not stripped[i - 1],
                blank_after=i + 1 >= n or not stripped[i + 1],
                overlap=overlap,
                position=(i - first) / span,
            )
        )
    return lines


class LineSpan(NamedTuple):
    """Where a line sits, without its signals: all `removal_edits` needs (`measure` is ~50x dearer)."""

    index: int
    start: int
    end: int
    raw: str
    text: str
    blank_before: bool

    @property
    def blank(self) -> bool:
        return not self.text


def line_spans(text: str) -> list[LineSpan]:
    """The lines of `text` as `measure` splits and numbers them, spans and blank flags only."""
    out = []
    pos = 0
    before_blank = True  # the start of the text counts as a blank line before
    for i, raw in enumerate(text.splitlines(keepends=True)):
        s = raw.strip()
        out.append(LineSpan(i, pos, pos + len(raw), raw, s, before_blank or not s))
        before_blank = not s
        pos += len(raw)
    return out


def removal_edits(text: str, lines: Sequence[Line] | Sequence[LineSpan], removals: dict[int, tuple[str, float]]) -> list[Edit]:
    """Edits that delete the lines `removals` maps (line index -> (reason, score)).

    A removed line goes with its line break. Blank lines are collapsed so no new gap appears:
    when the line opens a paragraph (blank or start of text before it), the blank lines after
    it go too; when nothing but blank lines follows, the blank lines before it go instead
    (a text never ends with new blank lines). Spans never overlap, so `apply_edits` replays the
    output exactly.
    """
    edits: list[Edit] = []
    n = len(lines)
    last_end = 0
    kept = [k for k in range(n) if not lines[k].blank and k not in removals]
    first_kept, last_kept = (kept[0], kept[-1]) if kept else (n, -1)
    opener: dict[int, bool] = {}
    for i in sorted(removals):
        ln = lines[i]
        start, end = ln.start, ln.end
        j = i + 1
        # A removed line opens a paragraph when a blank line (or the text start, or a removed
        # line that itself opened one) precedes it.
        opener[i] = ln.blank_before or i < first_kept or opener.get(i - 1, False)
        if opener[i]:
            while j < n and lines[j].blank:
                end = lines[j].end
                j += 1
        if i > last_kept:
            # Trailing removal: also take the blank lines and the line break before it.
            k = i - 1
            while k >= 0 and lines[k].blank and lines[k].start >= last_end:
                start = lines[k].start
                k -= 1
            if k >= 0 and k not in removals and lines[k].start >= last_end:
                prev = lines[k]
                stripped_raw = prev.raw.rstrip("\r\n")
                start = min(start, prev.start + len(stripped_raw))
        start = max(start, last_end)
        reason, score = removals[i]
        edits.append(Edit(start, end, text[start:end], reason, round(score, 3)))
        last_end = end
    return edits
