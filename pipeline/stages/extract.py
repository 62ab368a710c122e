"""extract: HTML page -> text; plain-text documents pass through. One edit per page.

By default the whole page, each line scored by the page model (the scores travel in `meta` to
`boilerplate`, which removes the chrome line by line); or trafilatura's main text alone.
"""

from __future__ import annotations

import html
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.core.document import Document, Edit, Outcome
from pipeline.core.registry import StageSpec
from pipeline.core.deadline import DeadlineExceeded, deadline

NAME = "extract"
# v2: the page URL from its canonical link or og:url when the input has none (issue 15).
# v3: the page model picks the main text from the whole page (issue 17); trafilatura is one of its signals.
VERSION = "extract_v3"


_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.I | re.S)


def page_title(markup: str) -> str | None:
    """The page's <title>, found cheaply in the head (no parse)."""
    m = _TITLE.search(markup[:50_000])
    if not m:
        return None
    title = " ".join(html.unescape(m.group(1)).split())
    return title[:500] or None


_HEAD_TAG = re.compile(r"<(?:link|meta)\b[^>]*>", re.I)
_ATTR = re.compile(r"""([a-zA-Z:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def page_url(markup: str) -> str | None:
    """The page's own URL from its head: <link rel="canonical" href>, else <meta property="og:url"
    content>; absolute http(s) URLs only (found cheaply, no parse)."""
    found: dict[str, str] = {}
    for tag in _HEAD_TAG.findall(markup[:100_000]):
        attrs = {m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "").strip() for m in _ATTR.finditer(tag)}
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href"):
            found.setdefault("canonical", attrs["href"])
        elif attrs.get("property", attrs.get("name", "")).lower() == "og:url" and attrs.get("content"):
            found.setdefault("og", attrs["content"])
    for key in ("canonical", "og"):
        url = found.get(key, "")
        if url.lower().startswith(("http://", "https://")) and " " not in url and len(url) <= 2048:
            return url
    return None


class ExtractConfig(BaseModel):
    """How the main text is chosen, and the options passed to trafilatura.extract (see its docs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # page_model: the whole page, every visible block a line, each scored from its text, the
    # markup around it and whether trafilatura's extraction holds it; boilerplate then removes
    # the chrome line by line from those scores, with reasons (benchmarks/README.md: grouped CV
    # on WCXB dev F1 0.849 against trafilatura's 0.826). trafilatura: its extraction alone, as
    # before extract_v3.
    method: Literal["page_model", "trafilatura"] = "page_model"
    include_tables: bool = True
    # Comment threads are user content, not the article.
    include_comments: bool = False
    favor_precision: bool = False
    favor_recall: bool = False
    # Fallback extractors (readability, justext) cost time but rescue odd layouts.
    no_fallback: bool = False
    # Title and date from the page's metadata; costs ~20 % more time per page.
    with_metadata: bool = False
    # A page that takes longer is rejected (reason extract:timeout); 0 disables the limit.
    timeout_seconds: float = Field(30.0, ge=0)


class Extract:
    """Run trafilatura on HTML documents. Never uses trafilatura's cross-document dedup cache
    (hidden state that would make results depend on document order)."""

    name = NAME
    version = VERSION

    def __init__(self, config: ExtractConfig | None = None) -> None:
        self.config = config or ExtractConfig()

    def apply(self, doc: Document) -> Outcome:
        if doc.format != "html":
            return Outcome.keep(doc)
        import trafilatura  # heavy import, only when HTML is actually seen

        c = self.config
        common = dict(
            url=doc.url,
            include_tables=c.include_tables,
            include_comments=c.include_comments,
            favor_precision=c.favor_precision,
            favor_recall=c.favor_recall,
            no_fallback=c.no_fallback,
            deduplicate=False,
        )
        try:
            with deadline(c.timeout_seconds):
                return self._extract(doc, trafilatura, common)
        except DeadlineExceeded as exc:
            return Outcome.drop(f"extract:timeout | {exc}")
        except RecursionError:
            return Outcome.drop("extract:markup nested too deeply")

    def _extract(self, doc: Document, trafilatura, common: dict) -> Outcome:
        c = self.config
        title, date = doc.title or page_title(doc.text), doc.date
        url = doc.url or page_url(doc.text)
        if c.with_metadata:
            result = trafilatura.bare_extraction(doc.text, with_metadata=True, **common)
            text = getattr(result, "text", None) if result is not None else None
            if result is not None:
                title = title or getattr(result, "title", None)
                date = date or getattr(result, "date", None)
        else:
            text = trafilatura.extract(doc.text, output_format="txt", **common)
        how, meta = "trafilatura", {}
        if c.method == "page_model":
            text, how, meta = _page_model_text(doc.text, text or "")
        if not text or not text.strip():
            return Outcome.drop("extract:no main text found")
        removed = len(doc.text) - len(text)
        # `removed` stays empty (the markup is kept once, in stages/01_decode/input-*); the
        # replacement is the extracted text so the history replays exactly.
        edit = Edit(0, len(doc.text), "", f"extract:html -> text | {removed} chars of markup ({how})", None, text)
        out = doc.with_text(text, format="text", title=title, date=date, url=url)
        return Outcome.keep(out.with_meta(**meta) if meta else out, (edit,))


def _page_model_text(markup: str, extracted: str) -> tuple[str, str, dict[str, str]]:
    """The whole-page text, how it was made, and the page model's score of each of its lines as
    a `meta` annotation; trafilatura's text (no annotation) where the page cannot be rendered or
    the model would keep no line of it."""
    from pipeline.stages import page_model, page_structure

    try:
        page = page_structure.render(markup)
    except (ValueError, RuntimeError):  # resiliparse's parse errors: keep trafilatura's text
        return extracted, "trafilatura: page not rendered", {}
    keep, probs = page_model.shared().keep(page, extracted)
    if not keep.any():
        return extracted, "trafilatura: the page model keeps no line", {}
    how = f"whole page, {len(keep)} lines scored by the page model, {int(keep.sum())} content"
    return "\n".join(page.lines), how, {page_model.SCORES_KEY: page_model.encode_scores(probs)}


# Reason codes this stage emits.
REASONS = {
    "extract:html -> text": "the HTML page was replaced by its text: the whole page with each line's "
                            "page-model score (boilerplate removes the chrome), or trafilatura's main text",
    "extract:no main text found": "no main text in the page (the page model kept no line and trafilatura "
                                  "found none); the document is rejected",
    "extract:timeout": "extraction took longer than extract.timeout_seconds; the document is rejected",
    "extract:markup nested too deeply": "the page's markup is too deeply nested to parse; the document is rejected",
}

SPEC = StageSpec(NAME, VERSION, ExtractConfig, Extract, reasons=REASONS)
