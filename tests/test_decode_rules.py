"""decode, rule by rule: text handed over as str, size and control-character limits at their
boundaries, declared charsets, the decode edit, and the helpers that judge a candidate
decoding (scripts, common ideographs, implausibility, tie-breaking among detector matches)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pipeline.core.document import Edit, RawDocument
from pipeline.stages import decode as d
from pipeline.stages.decode import DecodeConfig, Decoder


def raw(data, **kw) -> RawDocument:
    return RawDocument(id=kw.pop("id", "x"), source=kw.pop("source", "s"), data=data, **kw)


def test_text_from_a_container_keeps_every_field():
    r = raw("Le café rouvre.", id="j:3", source="a.jsonl", format="text", url="https://e.org/a", title="T",
            date="2024-05-01", meta={"lang": "fr"})
    out = Decoder().apply(r)
    doc = out.doc
    assert (doc.id, doc.source, doc.format, doc.url, doc.title, doc.date, doc.text) == (
        "j:3", "a.jsonl", "text", "https://e.org/a", "T", "2024-05-01", "Le café rouvre.")
    assert dict(doc.meta) == {"lang": "fr", "charset": "utf-8", "charset_via": "container"}
    assert out.edits == ()


def test_str_size_is_counted_in_utf8_bytes():
    text = "é" * 5  # 10 bytes in UTF-8
    assert Decoder(DecodeConfig(max_bytes=10)).apply(raw(text)).doc is not None
    out = Decoder(DecodeConfig(max_bytes=9)).apply(raw(text))
    assert out.doc is None and out.reason == "too_large:10 bytes > max_bytes 9"
    assert Decoder(DecodeConfig(max_bytes=10)).apply(raw(text.encode())).doc is not None
    assert Decoder(DecodeConfig(max_bytes=9)).apply(raw(text.encode())).reason == "too_large:10 bytes > max_bytes 9"


@pytest.mark.parametrize("bad", ["\x01", "\ufffd"])
def test_control_characters_in_str_up_to_the_ratio(bad):
    ok = "a" * 99 + bad  # 1 % bad: at the limit
    assert Decoder().apply(raw(ok)).doc.text == ok
    out = Decoder().apply(raw("a" * 98 + bad * 2))
    assert out.doc is None and out.reason == "binary:control characters"


def test_lone_surrogates_in_str_are_replaced():
    out = Decoder().apply(raw("abc\ud800def"))
    assert out.doc.text == "abc?def"
    assert Decoder().apply(raw("abc def")).doc.text == "abc def"


def test_bad_ratio_counts_controls_and_replacement_characters():
    assert d._bad_ratio("") == 0.0
    assert d._bad_ratio("abcd") == 0.0
    assert d._bad_ratio("ab\x00d") == 0.25
    assert d._bad_ratio("ab\ufffdd") == 0.25
    assert d._bad_ratio("a\x00\ufffdb") == 0.5
    assert d._bad_ratio("a\tb\nc\rd\x0ce") == 0.0  # tab, LF, CR, FF are text


def test_letters_ratio():
    assert d._letters_ratio("") == 1.0
    assert d._letters_ratio("ab, c!") == 1.0  # letters, spaces, punctuation
    assert d._letters_ratio("a+b€") == 1.0  # symbols count as text
    assert d._letters_ratio("ab\x01\x02") == 0.5
    assert d._letters_ratio("a" * 20000 + "\x01" * 20000) == 1.0  # only the first 20,000 characters


def test_plausible_is_at_most_the_ratio():
    assert d._plausible("a" * 99 + "\x01", 0.01) and not d._plausible("a" * 98 + "\x01\x01", 0.01)


def test_norm_charset():
    assert d._norm_charset(' "utf-8" ') == "utf-8"
    assert d._norm_charset("'Windows-1252'") == "cp1252"
    assert d._norm_charset("no-such-charset") is None and d._norm_charset(None) is None and d._norm_charset("") is None


def test_declared_charsets_hint_then_meta_once():
    page = b'<html><head><meta charset="windows-1251"></head>'
    assert d._declared_charsets(raw(page, format="html")) == ["cp1251"]
    assert d._declared_charsets(raw(page, format="html", charset_hint="koi8-r")) == ["koi8-r", "cp1251"]
    assert d._declared_charsets(raw(page, format="html", charset_hint="cp1251")) == ["cp1251"]
    assert d._declared_charsets(raw(page, format="text")) == []  # <meta> is read in HTML only
    assert d._declared_charsets(raw(page, format="text", charset_hint="latin-1")) == ["iso8859-1"]
    late = b"<html>" + b" " * 4090 + b'<meta charset="windows-1251">'
    assert d._declared_charsets(raw(late, format="html")) == []  # only the first 4 KB
    odd = b'<meta charset="win\xff-1251">'
    assert d._declared_charsets(raw(odd, format="html")) == []


def test_nul_bytes_in_the_first_8_kb_mean_binary():
    assert Decoder().apply(raw(b"a" * 8191 + b"\x00" + b"a" * 100)).reason == "binary:nul bytes"
    assert Decoder().apply(raw(b"a" * 8192 + b"\x00" + b"a" * 100)).doc is not None


FR = "Le café de la gare a rouvert ses portes après deux années de travaux, à la grande joie des habitués.\n"


def test_the_decode_edit_names_a_legacy_charset_and_how_it_was_found():
    out = Decoder().apply(raw((FR * 4).encode("cp1252")))
    assert out.doc.meta["charset"] == "cp1252" and out.doc.meta["charset_via"] == "detected"
    assert out.edits == (Edit(0, 0, "", "decode:cp1252 via detected"),)
    page = '<html><head><meta charset="windows-1251"></head><body>Правительство объявило</body></html>'
    out = Decoder().apply(raw(page.encode("cp1251"), format="html"))
    assert out.edits == (Edit(0, 0, "", "decode:cp1251 via declared"),)
    assert Decoder().apply(raw((FR * 4).encode("utf-8"))).edits == ()
    assert Decoder().apply(raw(b"plain ascii text here")).edits == ()
    out = Decoder().apply(raw(b"<html><head><meta charset='us-ascii'></head>plain</html>", format="html"))
    assert out.doc.meta["charset"] == "ascii" and out.edits == ()


def test_utf8_with_controls_is_binary():
    assert Decoder().apply(raw(b"ab\x01\x02cd")).reason == "binary:control characters"
    out = Decoder().apply(raw(FR.encode("utf-8")))
    assert (out.doc.meta["charset"], out.doc.meta["charset_via"]) == ("utf-8", "utf-8")


def test_untrusted_declaration_is_ignored():
    page = '<html><head><meta charset="windows-1251"></head><body>' + "Правительство объявило о мерах. " * 8 + "</body></html>"
    out = Decoder(DecodeConfig(trust_declared_charset=False)).apply(raw(page.encode("cp1251"), format="html"))
    assert out.doc.meta["charset_via"] == "detected"


def test_no_plausible_charset_is_undecodable():
    # Not UTF-8, and every single-byte reading is mostly C1 controls or unassigned bytes.
    out = Decoder().apply(raw(bytes([0x80, 0x81, 0x1B, 0x9F]) * 300))
    assert out.doc is None and out.reason == "undecodable:no charset gives plausible text"


@pytest.mark.parametrize("ch, script", [
    ("\u024f", "latin"), ("\u0250", "other"), ("\u036f", "other"), ("\u0370", "greek"), ("\u03ff", "greek"),
    ("\u0400", "cyrillic"), ("\u052f", "cyrillic"), ("\u0530", "other"), ("\u058f", "other"), ("\u0590", "rtl"),
    ("\u06ff", "rtl"), ("\u0700", "other"), ("\u303f", "other"), ("\u3040", "cjk"), ("\u30ff", "cjk"),
    ("\u3100", "other"), ("\u33ff", "other"), ("\u3400", "cjk"), ("\u9fff", "cjk"), ("\ua000", "other"),
    ("\uabff", "other"), ("\uac00", "hangul"), ("\ud7af", "hangul"), ("\ud7b0", "other"), ("a", "latin"),
])
def test_script_ranges(ch, script):
    assert d._script(ch) == script


@pytest.mark.parametrize("ch, common", [
    ("办", True),   # GB2312 lead byte 0xB0, the first level-1 row
    ("专", True),   # GB2312 lead byte 0xD7, the last level-1 row
    ("丌", False),  # GB2312 lead byte 0xD8 (level 2), not in Shift_JIS
    ("亜", True),   # Shift_JIS lead byte 0x88, first level-1 row
    ("丐", True),   # Shift_JIS lead byte 0x98
    ("丗", False),  # Shift_JIS lead byte 0x99 (level 2), not in GB2312
    ("丂", False),  # in neither
    ("a", False),
])
def test_cjk_common(ch, common):
    assert d._cjk_common(ch) is common


@pytest.mark.parametrize("text, pen", [
    ("plain ascii", 0.0), ("Москва", 0.0), ("中文新闻", 0.0), ("Café", 0.0),
    ("\u0378", 2.0), ("\ue000", 2.0), ("\x85", 2.0),            # unassigned, private use, C1 control
    ("\uff71", 1.0),                                          # halfwidth katakana
    ("a©b", 1.0), ("©ab", 0.0), ("ab©", 0.0),                # a symbol inside a word
    ("a中", 2.0),                                             # ideograph glued to Latin (+ mixed scripts)
    ("龘", 0.5),                                              # rare ideograph
    ("Мoscow", 1.0),                                          # one word, two scripts
    ("мОсква", 1.0),                                          # a capital inside a lower-case word
    ("Ìîñêâà", 1.0), ("Ìî", 0.0),                            # Western word without a plain letter
    ("Ìîñ Ìîñ", 2.0),
    # penalties add up, and each rule looks exactly where it should
    ("\ue000\ue000", 4.0), ("ｱｱ", 2.0), ("a©b c©d", 2.0), ("a中 b中", 4.0),
    ("\uff61", 1.0), ("\uff9f", 1.0), ("\uff60", 0.0),          # the halfwidth katakana block, inclusive
    ("1©b", 0.0), ("a©1", 0.0), ("a ©b", 0.0),                 # a symbol needs a letter on both sides
    ("aא", 1.0),                                                # Hebrew beside Latin: mixed, not CJK-glued
    ("中 a", 0.0), ("b 中a", 2.0),                               # only the direct neighbours count
    ("iPhone", 0.0),                                            # all-ASCII words are never judged
    ("ａb", 0.0),                                               # "other" script letters do not make a mix
])
def test_implausibility(text, pen):
    assert d._implausibility(text) == pen


def _match(enc, chaos=0.0, coherence=0.5, could_be=None):
    return SimpleNamespace(encoding=enc, chaos=chaos, coherence=coherence, could_be_from_charset=could_be)


def test_rank_reorders_near_ties_by_web_use():
    a, b, c = _match("cp1250"), _match("cp1252", chaos=0.02, coherence=0.45), _match("cp1251", chaos=0.5)
    assert d._rank([a, b, c]) == [b, a, c]
    far = _match("cp1252", chaos=0.0201)
    assert d._rank([a, far]) == [a, far]
    low = _match("cp1252", coherence=0.4499)
    assert d._rank([a, low]) == [a, low]
    assert d._rank([a]) == [a] and d._rank([]) == []
    assert d._rank([_match("cp1250"), _match("cp1252")])[0].encoding == "cp1252"


def test_rank_of_and_preferred():
    assert d._rank_of(_match("cp1252")) == 0
    assert d._rank_of(_match("x", could_be=["latin_1", "cp1250"])) == d._PREFERENCE.index("latin_1")
    assert d._rank_of(_match("mac_roman")) == len(d._PREFERENCE)
    assert d._preferred(["cp1250", "windows-1252"]) == "cp1252"
    assert d._preferred(["mac_roman", "cp775"]) == "mac_roman"


def test_short_pick_takes_the_least_implausible_decoding():
    data = "Москва".encode("cp1251")
    text, charset, via = d._short_pick(data, [_match("gb18030")], 0.01)
    assert (text, charset, via) == ("Москва", "cp1251", "detected")
    assert d._short_pick(b"\x00\x01\x02\x03", [], 0.01) is None
    # UTF-16 without a BOM is never guessed on a few bytes, even when the detector proposes it.
    assert d._short_pick("Ab".encode("utf-16-le"), [_match("utf_16")], 0.01) is None


def test_short_pick_rules():
    # A decoding with too few letters is skipped (cp1252 reads 0xAD as a soft hyphen).
    assert d._short_pick(b"abcdefghi\xad", [], 0.01) == ("abcdefghi╜", "koi8-r", "detected")
    # UTF-32 without a BOM is not guessed either; a skipped or failing candidate does not end the search.
    assert d._short_pick(b"A\x00\x00\x00", [_match("utf_32")], 0.01) is None
    assert d._short_pick("Москва".encode("cp1251"), [_match("utf_16")], 0.01)[:2] == ("Москва", "cp1251")
    assert d._short_pick("Москва".encode("cp1251"), [], 0.01)[:2] == ("Москва", "cp1251")


RU = "Правительство объявило о новых мерах поддержки малого бизнеса в регионах страны.\n"


@pytest.mark.parametrize("text, enc", [(FR * 8, "cp1252"), (RU * 8, "cp1251"), (RU * 8, "koi8-r")])
def test_long_legacy_text_goes_through_detection(text, enc):
    data = text.encode(enc)
    assert len(data) > d._SHORT_BYTES
    out = Decoder().apply(raw(data))
    assert out.doc.text == text
    assert (out.doc.meta["charset"], out.doc.meta["charset_via"]) == (enc, "detected")


def test_is_utf8_and_surrogates():
    assert d._is_utf8("é".encode()) and not d._is_utf8(b"\xe9")
    assert d._has_surrogates("a\udc80") and not d._has_surrogates("aé")
    assert d._encodable("가", "euc_kr") and not d._encodable("가", "ascii")


@pytest.mark.parametrize("data", [b"caf\xe9 " * 10 + b"\x01", b"caf\xe9 " * 200 + b"\x01" * 20], ids=["short", "long"])
def test_a_decoding_with_controls_is_never_accepted(data):
    """Letters enough, but 2 % control characters: no candidate charset is plausible."""
    assert Decoder().apply(raw(data)).reason == "undecodable:no charset gives plausible text"


def test_declared_charsets_in_order():
    page = '<html><head><meta charset="windows-1251"></head><body>Правительство объявило</body></html>'.encode("cp1251")
    # The hint (ascii) cannot decode the page: the next declaration (meta) is tried, not detection.
    out = Decoder().apply(raw(page, format="html", charset_hint="ascii"))
    assert (out.doc.meta["charset"], out.doc.meta["charset_via"]) == ("cp1251", "declared")
    utf8 = '<html><head><meta charset="utf-8"></head><body>Grüße aus Köln</body></html>'.encode()
    out = Decoder().apply(raw(utf8, format="html"))
    assert (out.doc.meta["charset"], out.doc.meta["charset_via"]) == ("utf-8", "declared") and out.edits == ()
    noisy = page.replace(b"</body>", b"\x01" * 30 + b"</body>")  # a declared charset must give plausible text too
    assert Decoder().apply(raw(noisy, format="html")).reason == "undecodable:no charset gives plausible text"


def test_format_is_kept_and_halfwidth_hangul_is_not_katakana():
    assert Decoder().apply(raw("<p>x</p>", format="html")).doc.format == "html"
    assert d._implausibility("\uffa0") == 0.0
