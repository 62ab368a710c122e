import json

import pytest

from pipeline.core.document import Document, apply_edits
from pipeline.stages.fix_encoding import FixEncoding, FixEncodingConfig
from tests.conftest import SAMPLES


def test_mojibake_sample_is_repaired_and_edits_replay():
    bad = (SAMPLES / "007_mojibake_festival.txt").read_text(encoding="utf-8")
    assert "â€" in bad
    out = FixEncoding().apply(Document("m", bad))
    assert "â€" not in out.doc.text and "festival’s" in out.doc.text and "Renée" in out.doc.text
    assert out.edits and all(e.reason.startswith("fix_encoding:") for e in out.edits)
    assert apply_edits(bad, out.edits) == out.doc.text


def test_clean_text_untouched_and_curly_quotes_kept():
    text = "“Quoted,” she said — it’s fine.\nNext line."
    out = FixEncoding().apply(Document("c", text))
    assert out.doc.text == text and out.edits == ()


def test_ftfy_negative_cases_get_no_mojibake_fix(shared_data):
    # Negative cases look like mojibake but are not; ftfy's expected output may still differ
    # from the input by cosmetic fixes (a C1 "\x85" -> "…"), so compare with that, using
    # ftfy's own quote setting for the comparison.
    cases = json.loads((shared_data / "ftfy-cases" / "negative.json").read_text())
    stage = FixEncoding(FixEncodingConfig(uncurl_quotes=True))
    wrong = [c["original"] for c in cases if stage.apply(Document("n", c["original"])).doc.text != c["fixed"]]
    assert wrong == []


def test_precheck_never_skips_what_ftfy_would_change():
    """The cheap pre-check may only skip ftfy on text ftfy leaves as it is: fuzz with strings
    made of mojibake-prone characters, and check every skipped one against ftfy itself."""
    import random
    import unicodedata

    import ftfy

    from pipeline.stages.fix_encoding import FixEncoding, _ftfy_could_change

    fixer = FixEncoding()
    pool = [chr(i) for i in range(0xA0, 0x500)] + list("‘’‚“”„†‡•…‰‹›€№™–—―œŒ") + list("abc .,1éü") * 30
    r = random.Random(5)
    for _ in range(20000):
        s = "".join(r.choice(pool) for _ in range(r.randint(2, 8)))
        if not _ftfy_could_change(s, fixer.config):
            assert unicodedata.normalize("NFC", ftfy.fix_and_explain(s, fixer._ftfy)[0]) == s, repr(s)
    for s in ("Ã©tÃ©", "cafÃ© au lait", "Ð\x9fÑ\x80Ð¸Ð²ÐµÑ\x82", "â€œquotedâ€\x9d", "the œ. end", "Ã ", "&amp; co"):
        assert _ftfy_could_change(s, fixer.config), s
