"""spam: removes injected spam lines (links with commercial vocabulary) from the body.

`score_lines` combines independent signals per line into a score with its signals:
  - link: a URL or bare domain in the line, and how much of the line it takes;
  - commercial: weighted commercial concepts (pharmacy, gambling, loans, replicas, essay mills,
    crypto, adult, weight loss, SEO) and transaction words, in several languages
    (`spam_lexicon`);
  - cta: an imperative / call-to-action shape ("buy ...", "click here", "... now!");
  - offtopic: how little of the line's vocabulary occurs anywhere else in the document;
  - unsentence: no function words, i.e. keyword soup rather than prose;
  - pitch: how the line talks to its reader rather than about the story (second person, money
    amounts, a closing "!" or an opening question, a call to action): shape, not product words.
`Spam.apply` removes a line when its score reaches the threshold *and* it either carries
commercial vocabulary or is an off-topic pitch (a link, or money, addressed to the reader in a
line that shares nothing with the story): spam worded in no list is caught by how it sits on the
page. A story about casinos shares its words with the rest of the story and reads as prose, so
it scores low on offtopic / unsentence and stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from pydantic import BaseModel, ConfigDict, Field

from pipeline.core.document import Document, Outcome, apply_edits
from pipeline.core.registry import StageSpec

from pipeline.stages.lines import TLDS, WORD, Line, content_words, find_urls, measure, removal_edits
from pipeline.stages.spam_lexicon import LEXICON_RE2, commercial, has_cta, may_contain_spam

NAME = "spam"
VERSION = "spam_v3"  # v3: the document gates no longer miss a call to action after a blank line, indented or after a carriage return (issue 13); v2: an off-topic pitch to the reader with a link or a sum is spam without a lexicon word (issue 17)


class SpamConfig(BaseModel):
    """Signal weights and thresholds of the spam scorer (score = weighted sum, see module doc)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Remove a line at or above this score. Seeds: the injected pharmacy line scores ~1.3,
    # body sentences < 0.35; on the AEB/WCXB pages legitimate shop links and citations score
    # up to ~0.68, so 0.7 keeps them.
    threshold: float = Field(0.7, ge=0, le=2)
    # A line needs at least this much commercial vocabulary to be removed at all: one spam
    # concept (weights 0.8-1.0) or two distinct transaction words (0.5 each, and then only with
    # a call-to-action shape, see `Spam.decide`). A single "sale" or "best" is ordinary news.
    min_commercial: float = Field(0.8, ge=0)
    # Weight of a URL / bare domain in the line, plus `w_url_share` x share of characters in it.
    w_link: float = Field(0.35, ge=0)
    w_url_share: float = Field(0.15, ge=0)
    # Weight of commercial vocabulary, saturating at `commercial_cap` concept weight.
    w_commercial: float = Field(0.45, ge=0)
    commercial_cap: float = Field(2.0, gt=0)
    # Imperative / call-to-action shape.
    w_cta: float = Field(0.15, ge=0)
    # (1 - vocabulary overlap with the rest of the document): injected lines are off-topic.
    w_offtopic: float = Field(0.25, ge=0)
    # Keyword soup: no function words (stop-word share below 0.15).
    w_unsentence: float = Field(0.1, ge=0)
    # Subtracted when the line reads like prose (long enough, function words, sentence end).
    prose_discount: float = Field(0.2, ge=0)
    # Spam lines are short; paragraphs longer than this lose `long_penalty`.
    long_words: int = Field(45, ge=1)
    long_penalty: float = Field(0.3, ge=0)
    # Keyword-stuffed link: the link's host repeats a word of the line's own text
    # ("kasyno online ... kasyno-bonus61.org"), on an off-topic line that is not prose. Counts as
    # this much commercial vocabulary (an advert names its product in its domain; a citation's
    # host is a publisher, not a word of the sentence around it).
    echo_commercial: float = Field(0.8, ge=0)
    # An off-topic pitch (see `pitch_signals`) counts as this much commercial vocabulary when
    # it has at least `min_pitch` pitch signals and a link, or one more signal and no link.
    pitch_commercial: float = Field(0.8, ge=0)
    min_pitch: int = Field(1, ge=1)
    # Pitches are short: longer lines are prose, never a pitch.
    max_pitch_words: int = Field(40, ge=1)
    # Added when a spam concept (not just transaction words) sits in a short, non-prose line
    # whose vocabulary is almost all absent from the document (offtopic >= 0.75): link-less
    # spam ("Préstamo personal al instante sin papeleo").
    w_offtopic_concept: float = Field(0.2, ge=0)


@dataclass(frozen=True, slots=True)
class SpamScore:
    index: int
    score: float
    commercial: float
    signals: tuple[str, ...]  # link, commercial, cta, offtopic, unsentence (those that fired)
    concepts: tuple[str, ...]


_ORDER = ("link", "commercial", "cta", "offtopic", "unsentence", "pitch")
# Second-person address in the crawl's languages: function words, like the stop-word list.
_YOU = frozenset("""
    you your yours you're youre yourself u ur du dich dir dein deine sie ihr ihre euch vous votre vos
    tu te toi ton ta tes usted ustedes tú tu tus su sus vosotros voi tuo tua vostro você vocês seu sua
    jij je jouw uw ty ci twój wy вы вас ваш ваша ты тебя твой
""".split())
_MONEY = re.compile(r"[$€£¥₹]\s?\d|\d\s?(?:[$€£¥₹]|%|usd|eur|dollars?|euros?)\b", re.I)


_HOST_SPLIT = re.compile(r"[^\w]+|\d+|_")
_HOST_SKIP = frozenset("https http www com net org info html php index wp content uploads".split())


def _echo(url: str, line_words) -> bool:
    """`url`'s words recur among `line_words`: one word of a keyword-stuffed host label
    ("kasyno-bonus61", "ship-meds22"), or two distinct words anywhere in the link. A publisher's
    own one-word domain next to its name ("KLOOK ... klook.com") is a citation, not an echo."""
    url = url.lower().split("?", 1)[0]
    if "://" in url:
        url = url.split("://", 1)[1]
    host, _, path = url.partition("/")
    stuffed = {w for label in host.split(".") if "-" in label or any(ch.isdigit() for ch in label)
               for w in _HOST_SPLIT.split(label) if len(w) >= 4 and w not in _HOST_SKIP}
    words = {w for w in _HOST_SPLIT.split(url) if len(w) >= 4 and w not in _HOST_SKIP}
    hits = {w for w in line_words if w in words}
    return bool(hits & stuffed) or len(hits) >= 2


def link_echo(ln: Line) -> bool:
    """The line's link repeats the line's own words (a keyword-stuffed domain)."""
    if not ln.url_share or not ln.words:
        return False
    lw = {w for w in ln.words if len(w) >= 4}
    return any(_echo(ln.text[a:b], lw) for a, b in find_urls(ln.text))


def pitch_signals(ln: Line) -> tuple[str, ...]:
    """How the line addresses its reader: 'you', a money amount, a '!' or an opening question."""
    t = ln.text
    out = []
    if any(w in _YOU for w in ln.words):
        out.append("you")
    if _MONEY.search(t):
        out.append("money")
    q = t.find("?")
    if "!" in t or 0 <= q < len(t) * 0.6:
        out.append("exclaim")
    return tuple(out)


def score_line(ln: Line, c: SpamConfig) -> SpamScore:
    t = ln.text
    com, concepts = commercial(t, ln.words)
    has_link = ln.url_share > 0
    cw = content_words(ln.words)
    offtopic = 1.0 - ln.overlap if len(cw) >= 2 else 0.5 * (1.0 - ln.overlap)
    cta = has_cta(t)
    unsentence = ln.stop_ratio < 0.15
    if has_link and offtopic >= 0.5 and not ln.sentence_like and link_echo(ln):
        com += c.echo_commercial
        concepts = [*concepts, "link_echo"]
    pitch = pitch_signals(ln) + (("cta",) if cta else ())
    if (offtopic >= 0.6 and ln.n_words <= c.max_pitch_words and not ln.bullet
            and len(pitch) >= c.min_pitch + (0 if has_link else 1) and (has_link or "money" in pitch)):
        com += c.pitch_commercial
        concepts = [*concepts, "pitch"]
    spam_concept = any(x != "transaction" for x in concepts)
    # (A sentence-shaped advert still gives itself away by a call to action.)
    off_concept = (not has_link and spam_concept and offtopic >= 0.75 and (cta or not ln.sentence_like)
                   and ln.n_words <= 25)
    score = (
        c.w_link * has_link
        + c.w_url_share * ln.url_share
        + c.w_commercial * min(com, c.commercial_cap) / c.commercial_cap
        + c.w_cta * cta
        + c.w_offtopic * offtopic
        + c.w_unsentence * unsentence
        - c.long_penalty * (ln.n_words > c.long_words)
        - c.prose_discount * ln.sentence_like
        + c.w_offtopic_concept * off_concept
    )
    fired = {
        "link": has_link,
        "commercial": com >= c.min_commercial,
        "cta": cta,
        "offtopic": offtopic >= 0.5,
        "unsentence": unsentence,
        "pitch": "pitch" in concepts,
    }
    return SpamScore(ln.index, round(max(score, 0.0), 3), com, tuple(k for k in _ORDER if fired[k]), tuple(concepts))


def score_lines(lines: list[Line], c: SpamConfig) -> list[SpamScore]:
    """Score every non-blank line; pure, no decision."""
    return [score_line(ln, c) for ln in lines if not ln.blank]


def _any_link_echo(text: str) -> bool:
    """Cheap document gate for `link_echo`: a link whose words recur on its own line."""
    if "." not in text:
        return False
    for a, b in find_urls(text):
        ls = text.rfind("\n", 0, a) + 1
        le = text.find("\n", b)
        line = text[ls: le if le >= 0 else len(text)].lower()
        rest = set(_HOST_SPLIT.split(line[: a - ls] + " " + line[b - ls:]))
        if _echo(text[a:b], {w for w in rest if len(w) >= 4}):
            return True
    return False


def _may_pitch(text: str) -> bool:
    """Cheap document gate for a pitch: a link somewhere, or a money amount on a line that
    also addresses its reader ('you', '!', '?', a call to action): without a link a pitch
    needs the sum and one more signal (`score_line`)."""
    if "." in text and find_urls(text):
        return True
    for m in _MONEY.finditer(text):
        a = text.rfind("\n", 0, m.start()) + 1
        b = text.find("\n", m.end())
        line = text[a: b if b >= 0 else len(text)]
        if _addresses_reader(line):
            return True
    return False


def _addresses_reader(line: str) -> bool:
    """A pitch's second signal beside a sum: 'you', a '!' or '?', a call to action."""
    return "!" in line or "?" in line or has_cta(line) or not _YOU.isdisjoint(WORD.findall(line.lower()))


def _weight_is_lexical(text: str) -> bool:
    """Whether a (stripped) line's commercial weight in `score_line` can only be the lexicon's:
    it has no link (so no link echo) and no money amount beside a second pitch signal ('you',
    '!', '?', a call to action), which a pitch without a link needs."""
    if find_urls(text):
        return False
    if not _MONEY.search(text):
        return True
    return not _addresses_reader(text)


# A necessary condition for the document gates of `Spam.apply`, as one RE2 pattern over a whole
# batch of lowercased texts (Arrow's regex kernels): the lexicon's words, stems, phrases and
# calls to action (`spam_lexicon.LEXICON_RE2`); a link anchor; a currency sign, "%" or a sum in
# words. Documents without any of these cannot lose a line, and most news articles have none;
# the same holds line by line (every signal `Spam.decide` needs sits on the line it scores), so
# `apply_batch` scores only the stripped lines that match.
_PREFILTER = "|".join((
    LEXICON_RE2,
    r"://|ww\.|\.(?:" + TLDS + ")",
    r"[$€£¥₹%]|\d.?(?:usd|eur|dollar)",
))


# Line breaks of `str.splitlines` other than "\n".
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _prefilter(texts: list[str]):
    """`_PREFILTER` over many texts at once (lowercased in Arrow): a NumPy array of bools."""
    low = pc.utf8_lower(pa.array(texts, type=pa.large_string()))
    return pc.match_substring_regex(low, _PREFILTER).to_numpy(zero_copy_only=False)


class Spam:
    """Remove lines whose spam score reaches the threshold and that sell something."""

    name = NAME
    version = VERSION

    def __init__(self, config: SpamConfig | None = None) -> None:
        self.config = config or SpamConfig()

    def decide(self, s: SpamScore) -> bool:
        """Score over threshold, enough commercial vocabulary, and either a spam concept
        (pharmacy, casino, loans...) or a call-to-action shape: generic selling words alone
        ("price", "sale", "save") also occur in shop links and citations."""
        if s.score < self.config.threshold or s.commercial < self.config.min_commercial:
            return False
        return any(c != "transaction" for c in s.concepts) or "cta" in s.signals

    def apply_batch(self, docs: Sequence[Document]) -> list[Outcome]:
        """`apply` on many documents; the ones the batch prefilter clears are kept untouched.
        The prefilter is a necessary condition line by line too (see `_PREFILTER`), and so are
        the document gates (each fires on one line): in the other documents, the gates look at
        the matching lines only, and only those lines are scored.
        (RE2 compiles the prefilter per call, ~10 ms: a few documents go one by one instead.)"""
        if len(docs) < 32:
            return [self.apply(d) for d in docs]
        maybe = _prefilter([d.text for d in docs])
        todo = [i for i, m in enumerate(maybe) if m]
        split = [docs[i].text.splitlines() for i in todo]
        hits = _prefilter([ln.strip() for lines in split for ln in lines]).tolist()
        out = [Outcome.keep(d) for d in docs]
        k = 0
        for i, lines in zip(todo, split):
            rows = [j for j, hit in enumerate(hits[k: k + len(lines)]) if hit]
            k += len(lines)
            # The line test first: it clears ~97 % of the candidate lines of news articles, and
            # the gates then run for the few documents left (costlier the other way round).
            removable = [j for j in rows if self._may_remove(lines[j])]
            if removable and self._may_change("\n".join(lines[j] for j in rows)):
                out[i] = self._remove(docs[i], set(removable))
        return out

    def _may_remove(self, line: str) -> bool:
        """Can this line be removed in any document? It is scored alone, where none of its
        content words occurs elsewhere: the most off-topic it can be. Every other signal is the
        line's own, and the score, the commercial weight and the concepts only grow with
        off-topicness, so a line that fails `decide` alone fails it in its document too.
        (Most candidate lines hold a sum or a lexicon word and nothing more: where neither a
        link echo nor a pitch can add weight, the lexicon's own weight settles it, a third of
        the cost of scoring.)"""
        text = line.strip()
        if _weight_is_lexical(text) and commercial(text)[0] < self.config.min_commercial:
            return False
        return self.decide(score_line(measure(line)[0], self.config))

    def apply(self, doc: Document) -> Outcome:
        if not self._may_change(doc.text):
            return Outcome.keep(doc)
        return self._remove(doc, None)

    @staticmethod
    def _may_change(text: str) -> bool:
        """The document gates: a spam concept, call to action, stuffed link or pitch somewhere.
        They look for lines between "\n"s; a text with other line breaks is rejoined first, so
        they see the lines `measure` scores."""
        if not text.strip():
            return False
        if _OTHER_BREAKS.search(text):
            text = "\n".join(text.splitlines())
        return may_contain_spam(text) or _any_link_echo(text) or _may_pitch(text)

    def _remove(self, doc: Document, candidates: set[int] | None) -> Outcome:
        """Score the lines (only the `candidates` line indexes when given) and remove the spam."""
        text = doc.text
        lines = measure(text)
        removals = {}
        scored = lines if candidates is None else [lines[j] for j in sorted(candidates)]
        for s in score_lines(scored, self.config):
            if self.decide(s):
                family = "+".join(x for x in s.signals if x in ("link", "commercial", "cta", "pitch")) or "offtopic"
                detail = "+".join(s.signals) + (f" ({','.join(s.concepts)})" if s.concepts else "")
                removals[s.index] = (f"spam:{family} | {detail}", s.score)
        if not removals:
            return Outcome.keep(doc)
        edits = removal_edits(text, lines, removals)
        return Outcome.keep(doc.with_text(apply_edits(text, edits)), edits)


# Reason codes this stage emits: "spam:<signals joined by +> | <details>", one per removed line.
REASONS = {
    "spam:link": "the line carries links (a large share of it is URL or anchor text)",
    "spam:commercial": "commercial vocabulary from a spam concept (pharmacy, gambling, loans, replicas, essays, crypto ...)",
    "spam:cta": "call-to-action shape (buy now, click here, order today ...)",
    "spam:offtopic": "vocabulary unrelated to the rest of the document (keyword soup)",
    "spam:pitch": "an off-topic line that addresses its reader (you, a money amount, '!', an opening question) "
                  "with a link or a sum: spam in wording no list holds",
}

SPEC = StageSpec(NAME, VERSION, SpamConfig, Spam, reasons=REASONS)
