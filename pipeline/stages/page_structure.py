"""Whole-page text of an HTML page, each line with the markup it sat in.

resiliparse renders the page (every visible block on its own line, main-content detection off,
as a crawl's WET record holds it); before that, every text node gets one private-use character
naming the kinds of element around it (link, nav/header/footer/aside, article/main, list item,
heading, table cell, form control, paragraph). Read back from the rendered text, they give each
line the share of its characters inside each kind: structure the plain text has lost, measured
without writing an HTML-to-text renderer of our own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

__all__ = ["KINDS", "PageText", "render", "shared_ngram_share"]

# Element kinds, one bit each. Tag names and ARIA landmark roles are the markup's own structure
# (what the page says a block is), not vocabulary of the page's text.
KINDS: dict[str, frozenset[str]] = {
    "link": frozenset({"a"}),
    "chrome": frozenset({"nav", "header", "footer", "aside", "menu"}),
    "main": frozenset({"article", "main"}),
    "item": frozenset({"li", "dt", "dd"}),
    "heading": frozenset({"h1", "h2", "h3", "h4", "h5", "h6"}),
    "cell": frozenset({"td", "th"}),
    "form": frozenset({"form", "button", "select", "label", "option", "textarea"}),
    "paragraph": frozenset({"p", "blockquote"}),
}
_ROLES = {"navigation": "chrome", "banner": "chrome", "contentinfo": "chrome", "complementary": "chrome",
          "menu": "chrome", "menubar": "chrome", "main": "main", "article": "main"}
_NAMES = list(KINDS)
_TAG_BITS = {tag: 1 << i for i, kind in enumerate(_NAMES) for tag in KINDS[kind]}
_ROLE_BITS = {role: 1 << _NAMES.index(kind) for role, kind in _ROLES.items()}
# Markers live in plane 15's private-use area: icon fonts put their glyphs in the BMP's, where
# markers would be mistaken for page text. Page text in the marker range (no font draws it) goes.
_MARK_BASE = 0xF0000
_MARKS = re.compile("([\U000F0000-\U000F00FF])")
# Never rendered (noscript: not with the options below): their text needs no mark.
_UNRENDERED = frozenset({"script", "style", "template", "noscript"})


@dataclass(frozen=True)
class PageText:
    """Lines of the rendered page and, per line, the share of its characters inside each kind of
    element (`KINDS`, in order): an (n_lines, len(KINDS)) float32 array."""

    lines: list[str]
    structure: np.ndarray


def _mark(tree) -> None:
    """Prefix each text node of the body with the character of the kinds of element it sits in."""
    from resiliparse.parse.html import NodeType

    element, text_node = NodeType.ELEMENT, NodeType.TEXT
    tag_bits, role_bits, marks = _TAG_BITS, _ROLE_BITS, _MARKS
    stack = [(tree.body, 0)] if tree.body is not None else []
    while stack:
        node, bits = stack.pop()
        child = node.first_child
        while child is not None:
            kind = child.type
            if kind == element:
                tag = child.tag
                if tag not in _UNRENDERED:
                    mask = bits | tag_bits.get(tag, 0)
                    role = child.getattr("role")
                    if role:
                        mask |= role_bits.get(role.strip().lower(), 0)
                    stack.append((child, mask))
            elif kind == text_node:
                value = child.value
                if not value.isspace():
                    value = marks.sub("", value)
                    body = value.lstrip()
                    if body:  # after the leading space, so whitespace collapses as without the mark
                        child.value = value[:len(value) - len(body)] + chr(_MARK_BASE + bits) + body
            child = child.next


def render(html: str) -> PageText:
    """Whole-page text of `html` with each line's element-kind shares (see module doc)."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    _mark(tree)
    text = extract_plain_text(tree, preserve_formatting=True, main_content=False, list_bullets=True,
                              alt_texts=False, links=False, form_fields=False, noscript=False)
    return _read_marks(text)


def _read_marks(text: str) -> PageText:
    """Strip the markers, keeping per line how many of its characters each kind covers."""
    mask = 0
    lines: list[str] = []
    rows: list[list[float]] = []
    for raw in text.splitlines():
        counts = [0] * len(_NAMES)
        parts = _MARKS.split(raw)
        total = 0
        for k, part in enumerate(parts):
            if k % 2:
                mask = ord(part) - _MARK_BASE
                continue
            size = len(part) - part.count(" ")
            total += size
            if mask and size:
                for bit in range(len(_NAMES)):
                    if mask >> bit & 1:
                        counts[bit] += size
        line = "".join(parts[0::2]).strip()
        if line:
            lines.append(line)
            rows.append([c / total if total else 0.0 for c in counts])
    return PageText(lines, np.array(rows, dtype=np.float32).reshape(len(lines), len(_NAMES)))


_WORD = re.compile(r"\w+")


def shared_ngram_share(lines: list[str], other: str, n: int = 4) -> list[float]:
    """Share of each line's words inside a word n-gram (of the lines read as one text, so n-grams
    span line breaks) that `other` also holds: how much of the line another text repeats."""
    other_tokens = _WORD.findall(other.lower())
    grams = {tuple(other_tokens[i:i + n]) for i in range(len(other_tokens) - n + 1)}
    tokens: list[str] = []
    owner: list[int] = []
    for i, line in enumerate(lines):
        words = _WORD.findall(line.lower())
        tokens.extend(words)
        owner.extend([i] * len(words))
    covered = [False] * len(tokens)
    for j in range(len(tokens) - n + 1):
        if tuple(tokens[j:j + n]) in grams:
            covered[j:j + n] = [True] * n
    hit = [0] * len(lines)
    total = [0] * len(lines)
    for j, i in enumerate(owner):
        total[i] += 1
        hit[i] += covered[j]
    return [hit[i] / total[i] if total[i] else 0.0 for i in range(len(lines))]
