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
from collections import Counter
from dataclasses import dataclass

from pipeline.document import Edit

WORD = re.compile(r"\w+", re.UNICODE)
URL = re.compile(
    r"(?:https?://|ftp://|www\.)\S+|\b[\w-]{2,}(?:\.[\w-]{2,})*\.(?:com|net|org|info|biz|ru|cn|io|co|xyz|top|online|shop|site|store|club|us|uk|de|fr|pl|in|me|to|ly|gl)(?:/\S*)?\b",
    re.I,
)
# Scripts written without spaces: length is counted in characters there (≈ 2 per word).
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
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


@dataclass(frozen=True, slots=True)
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


def measure(text: str) -> list[Line]:
    """Split `text` into lines and compute each line's signals (blank lines included)."""
    parts = split_lines(text)
    stripped = [raw.strip() for _s, _e, raw in parts]
    # Words outside URLs: a link's path says nothing about the line's topic or prose shape.
    tokens = [
        tuple(w.lower() for w in WORD.findall(URL.sub(" ", s) if ("." in s or "/" in s) else s)) if s else ()
        for s in stripped
    ]
    doc_counts: Counter[str] = Counter()
    for toks in tokens:
        doc_counts.update(set(content_words(toks)))
    nonblank = [i for i, s in enumerate(stripped) if s]
    first, last = (nonblank[0], nonblank[-1]) if nonblank else (0, 0)
    span = max(last - first, 1)
    lines = []
    for i, ((start, end, raw), s, toks) in enumerate(zip(parts, stripped, tokens)):
        if not s:
            lines.append(Line(i, start, end, raw, "", (), 0, False, 0.0, 0.0, 0.0, 0.0, False, True, True, 0.0, 0.0))
            continue
        cjk = len(CJK.findall(s)) if not s.isascii() else 0
        n_words = len(toks) + cjk // 2 if cjk < 4 else max(len(toks), cjk // 2)
        non_space = sum(1 for ch in s if not ch.isspace()) or 1
        alpha = sum(1 for ch in s if ch.isalpha())
        url_chars = sum(len(m.group(0)) for m in URL.finditer(s)) if ("." in s or "/" in s) else 0
        cw = set(content_words(toks))
        overlap = (sum(1 for w in cw if doc_counts[w] > 1) / len(cw)) if cw else 1.0
        orig_words = WORD.findall(s)
        title = sum(1 for w in orig_words if w[:1].isupper()) / len(orig_words) if orig_words else 0.0
        lines.append(
            Line(
                index=i,
                start=start,
                end=end,
                raw=raw,
                text=s,
                words=toks,
                n_words=n_words,
                ends_sentence=bool(SENTENCE_END.search(s)),
                stop_ratio=(sum(1 for w in toks if w in STOPWORDS) / len(toks)) if toks else 0.0,
                url_share=min(url_chars / len(s), 1.0),
                alpha_share=alpha / non_space,
                title_share=title,
                bullet=s[0] in BULLET_CHARS,
                blank_before=i == 0 or not stripped[i - 1],
                blank_after=i + 1 >= len(stripped) or not stripped[i + 1],
                overlap=overlap,
                position=(i - first) / span,
            )
        )
    return lines


def removal_edits(text: str, lines: list[Line], removals: dict[int, tuple[str, float]]) -> list[Edit]:
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
    for i in sorted(removals):
        ln = lines[i]
        start, end = ln.start, ln.end
        j = i + 1
        if ln.blank_before or i < first_kept:
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
