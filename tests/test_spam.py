"""spam stage on the seed articles, on unseen spam shapes, and property tests."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.document import Document, apply_edits
from pipeline.stages.lines import measure
from pipeline.stages.spam import Spam, SpamConfig, score_line, score_lines
from pipeline.stages.spam_lexicon import _CTA_START, CTA_PHRASES, has_cta
from tests.helpers import apply_replayable, insert_paragraph, lines_of, seed

PHARMACY = "buy cipro online https://www.3-dmed.com/wp-content/uploads/2022/08/png/cipro.html no prescription pharmacy"



def run(text: str):
    return apply_replayable(Spam(), text)



def test_seed_001_pharmacy_line_removed_only():
    text = seed("001")
    assert PHARMACY in text
    out = run(text)
    assert PHARMACY not in out.doc.text
    assert lines_of(out.doc.text) == [ln for ln in lines_of(text) if ln != PHARMACY]
    (edit,) = out.edits
    assert edit.reason.startswith("spam:link+commercial")
    assert edit.removed.strip() == PHARMACY and edit.score >= SpamConfig().threshold


@pytest.mark.parametrize("prefix", ["000", "002", "003", "004"])
def test_clean_seeds_untouched(prefix):
    text = seed(prefix)
    assert run(text).doc.text == text


@pytest.mark.parametrize(
    "spam",
    [
        "Best online casino 2024: claim 200 free spins now at spinpalace.example",
        "Cheap replica Rolex watches - order today, free shipping worldwide!",
        "Need quick cash? Payday loans approved in 5 minutes, no credit check: fastcash.biz",
        "Write my essay for me cheap - professional essay writing service www.essaypro.example",
        "Earn $5000 a week with bitcoin trading signals, join now http://crypto-profit.example/join",
        "Viagra kaufen ohne Rezept günstig https://apotheke-billig.example",
        "Купить дешево таблетки без рецепта http://apteka.example.ru",
    ],
)
def test_unseen_spam_lines_removed(spam):
    body = seed("000")
    text = insert_paragraph(body, 4, spam)
    out = run(text)
    assert spam not in lines_of(out.doc.text)
    assert lines_of(out.doc.text) == lines_of(body)


def test_article_about_casinos_is_not_spam():
    text = (
        "Macau casino revenue fell sharply in December as gambling operators struggled with travel curbs.\n\n"
        "Casino operators said revenue from VIP gambling tables dropped 40 percent compared with a year earlier.\n\n"
        "Analysts expect casino revenue in Macau to recover slowly, with gambling demand returning next year.\n\n"
        "Shares of casino operators fell on the news; the full report is at https://www.dicj.gov.mo.\n"
    )
    assert run(text).doc.text == text


def test_scores_expose_signals():
    lines = measure(seed("001"))
    scores = {lines[s.index].text: s for s in score_lines(lines, SpamConfig())}
    s = scores[PHARMACY]
    assert {"link", "commercial", "offtopic"} <= set(s.signals)
    assert "pharmacy" in s.concepts
    assert max(v.score for k, v in scores.items() if k != PHARMACY) < SpamConfig().threshold


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=10).map("\n".join))
def test_random_text_never_raises_and_edits_replay(text):
    out = Spam().apply(Document(id="r", text=text))
    assert out.doc is not None
    assert apply_edits(text, out.edits) == out.doc.text


@pytest.mark.parametrize("spam", [
    "Kasyno online z bonusem bez depozytu www.kasyno-bonus61.org/ref",
    "Generic ED meds shipped overnight www.ship-meds22.net",
    "Préstamo personal al instante sin papeleo, solicítalo ya",
])
def test_stuffed_links_and_linkless_offtopic_spam_removed(spam):
    text = seed("003").rstrip() + "\n\n" + spam + "\n"
    assert spam not in lines_of(run(text).doc.text)


def test_publisher_link_next_to_its_name_is_not_spam():
    """A one-word domain echoing the line ("Link to KLOOK website - klook.com/...") is a citation."""
    line = "Link to KLOOK website – https://www.klook.com/activity/9596-the-palace-tale-show-ticket-seoul/"
    text = seed("003").rstrip() + "\n\n" + line + "\n"
    assert line in lines_of(run(text).doc.text)


# Worded after the spam stage was written, in no lexicon: caught by how the line addresses its
# reader (you, money, '!', an opening question) and by being off-topic with a link or a sum.
@pytest.mark.parametrize("spam", [
    "Lonely tonight? Beautiful women near you want to chat, meet them at flirtzone.club",
    "Meet attractive local women tonight, no signup needed! www.datenow.com",
    "Turn $250 into $9,000 in a week with our automated coin robot: coinrocket.io/start",
    "Our AI robot made me $3,400 yesterday. Start with just $250 at quantumgain.com",
    "Stressed about deadlines? Our writers finish your college paper overnight at paperwhiz.net",
    "Falling behind in class? Let a graduate handle your dissertation chapter by Friday: gradhelpers.org",
])
def test_freshly_worded_dating_crypto_essay_spam_removed(spam):
    body = seed("000")
    text = insert_paragraph(body, 3, spam)
    out = run(text)
    assert spam not in lines_of(out.doc.text)
    assert lines_of(out.doc.text) == lines_of(body)
    assert any("pitch" in e.reason for e in out.edits)


@pytest.mark.parametrize("line", [
    "Do you remember where you were when the results came in? Most voters in the town do.",
    "Tickets cost $25 and are available from the theatre's box office at cityplayhouse.org.",
    "Read the full council report at www.harbourtown.gov.uk/reports/ferry-2021.",
])
def test_reader_address_on_topic_or_without_a_pitch_stays(line):
    """Second person, prices and links in a story's own context are not spam."""
    body = ("The city playhouse reopens next week after a two-year refit of its stage and seating.\n\n"
            "The theatre's director said tickets for the opening night sold out within an hour.\n\n"
            "The council paid for most of the refit, according to its ferry and harbour report.\n\n"
            "Voters in the town approved the playhouse budget in a referendum last spring.\n")
    text = insert_paragraph(body, 2, line)
    assert line in lines_of(run(text).doc.text)


def _batch_cases() -> list[str]:
    """Real articles (the Wikinews fixture), and seed 000 with each spam line of this file in it."""
    import gzip
    import json
    from pathlib import Path

    fixture = Path(__file__).resolve().parent / "fixtures" / "wikinews-300.jsonl.gz"
    with gzip.open(fixture, "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    lines = [PHARMACY, "Earn $5000 a week with bitcoin trading signals, join now http://crypto-profit.example/join",
             "Kasyno online z bonusem bez depozytu www.kasyno-bonus61.org/ref",
             "Lonely tonight? Beautiful women near you want to chat, meet them at flirtzone.club",
             "Turn $250 into $9,000 in a week with our automated coin robot: coinrocket.io/start",
             "Préstamo personal al instante sin papeleo, solicítalo ya",
             "Купить дешево таблетки без рецепта http://apteka.example.ru"]
    return texts + [insert_paragraph(seed("000"), 3, line) for line in lines]


def test_batch_prefilter_never_skips_a_document_apply_would_change():
    """`apply_batch` (one regex pass over the documents, one over their lines, the gates on the
    matching lines, each line scored alone first) gives exactly what `apply` gives on each
    document, and skips most clean articles."""
    from pipeline.core.document import Document
    from pipeline.stages import spam as spam_module

    docs = [Document(id=str(i), source="t", text=t) for i, t in enumerate(_batch_cases())]
    stage = Spam()
    batch = stage.apply_batch(docs)
    single = [stage.apply(d) for d in docs]
    assert [(o.doc.text, o.edits) for o in batch] == [(o.doc.text, o.edits) for o in single]
    assert sum(bool(o.edits) for o in batch) >= 7
    import pyarrow as pa
    import pyarrow.compute as pc

    maybe = pc.match_substring_regex(pc.utf8_lower(pa.array([d.text for d in docs])), spam_module._PREFILTER)
    assert sum(maybe.to_pylist()[:300]) < 150  # most of the 300 clean articles need no line scoring


@pytest.mark.parametrize("before, after", [("\n\n", "\n"), ("\n\n      ", "\n"), ("\rIntro.\r", "\r"), ("\u2028", "")])
def test_call_to_action_found_after_a_blank_line_indented_or_after_any_line_break(before, after):
    """A call to action with transaction words only (no lexicon concept, link, '!' or sum) after
    a blank line, indented, or after a line break other than "\\n": the document gates and the
    batch prefilter must still let the scorer see it (they once pointed at the blank line, or
    read lines only between "\\n"s), alone and in a batch."""
    import gzip
    import json
    from pathlib import Path

    fixture = Path(__file__).resolve().parent / "fixtures" / "wikinews-300.jsonl.gz"
    with gzip.open(fixture, "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh][:60]
    line = "Buy cheap watches online, order today and save"
    docs = [Document(id=str(i), source="t", text=t + before + line + after) for i, t in enumerate(texts)]
    stage = Spam()
    single = [stage.apply(d) for d in docs]
    batch = stage.apply_batch(docs)
    assert [(o.doc.text, o.edits) for o in batch] == [(o.doc.text, o.edits) for o in single]
    removed = [o for o in single if any(e.removed.strip() == line for e in o.edits)]
    assert len(removed) >= 40  # the line is off-topic in almost every article
    assert all(line not in o.doc.text for o in removed)


_CTA_LINES = st.lists(st.one_of(
    st.sampled_from(list(CTA_PHRASES) + ["buy", "Get", "!", " ", "\n", "\u2028", "\u017f", "\u212a", "\u0131", "K"]),
    st.text(max_size=12)), max_size=8).map("".join)


@settings(max_examples=500, deadline=None)
@given(_CTA_LINES)
def test_call_to_action_search_equals_the_single_pattern_it_replaced(line):
    """`has_cta` runs three searches for speed; they find what one alternation of the three
    finds (case-insensitive, any Unicode: the long s and the Kelvin sign fold to s and k)."""
    one = re.compile(_CTA_START + r"|\b(?:" + "|".join(re.escape(p) for p in CTA_PHRASES) + r")\b|!\s*$", re.I)
    assert has_cta(line) == bool(one.search(line))


_PITCH_PIECES = st.sampled_from(["$5", "50%", "you", "your", "!", "?", "buy now", "click here", "casino", "pills",
                                 "http://x.example/a", "kasino-bonus.com", "free", "cheap", "loan", "€ 20",
                                 "bitcoin", "essay", "singles", "the", "council", "said", "on", "Monday."])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PITCH_PIECES, st.text(max_size=6)), min_size=1, max_size=14).map(" ".join)
       .filter(lambda line: line.strip() and len(line.splitlines()) == 1))  # one line, as the batch scores
def test_candidate_shortcut_decides_as_the_full_score(line):
    """`_may_remove` settles most lines by the lexicon's weight alone; it must answer exactly
    what scoring the whole line answers."""
    spam = Spam()
    assert spam._may_remove(line) == spam.decide(score_line(measure(line)[0], spam.config))
