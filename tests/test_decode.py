import codecs

import pytest

from pipeline.core.document import RawDocument
from pipeline.stages.decode import DecodeConfig, Decoder

TEXT_RU = "Правительство объявило о новых мерах поддержки малого бизнеса в регионах страны."
TEXT_FR = "Le café de la gare a rouvert ses portes après deux années de travaux, à la grande joie des habitués."
TEXT_JA = "東京都は来年度から新しい子育て支援制度を導入すると発表しました。対象は都内に住む全ての家庭です。"


def decode(data, **kw):
    return Decoder().apply(RawDocument(id="x", source="s", data=data, **kw))


@pytest.mark.parametrize(
    "text, enc",
    [(TEXT_FR, "cp1252"), (TEXT_FR, "latin-1"), (TEXT_RU, "cp1251"), (TEXT_RU, "koi8-r"), (TEXT_JA, "shift_jis")],
)
def test_legacy_encodings_are_restored_exactly(text, enc):
    # Repeat so the detector has enough bytes, as in a real article.
    body = (text + "\n") * 4
    out = decode(body.encode(enc))
    assert out.doc is not None and out.doc.text == body


def test_bom_wins_and_is_recorded():
    out = decode(codecs.BOM_UTF16_LE + "Grüße aus Köln".encode("utf-16-le"))
    assert out.doc.text == "Grüße aus Köln"
    assert out.doc.meta["charset_via"] == "bom"


BOMS = [
    (codecs.BOM_UTF8, "utf-8", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
]


@pytest.mark.parametrize("bom, codec, charset", BOMS, ids=[b[1] for b in BOMS])
@pytest.mark.parametrize("text", [TEXT_FR, TEXT_RU, TEXT_JA, "plain ASCII news"], ids=["fr", "ru", "ja", "ascii"])
def test_every_bom_is_used_and_stripped(bom, codec, charset, text):
    """Each byte-order mark decides the codec, is recorded, and never reaches the text (U+FEFF)."""
    out = decode(bom + text.encode(codec))
    assert out.doc is not None, out.reason
    assert out.doc.text == text and not out.doc.text.startswith("\ufeff")
    assert (out.doc.meta["charset"], out.doc.meta["charset_via"]) == (charset, "bom")


@pytest.mark.parametrize("bom, codec, charset", BOMS, ids=[b[1] for b in BOMS])
def test_bom_beats_a_contradicting_declaration(bom, codec, charset):
    html = f'<html><head><meta charset="windows-1251"></head><body><p>{TEXT_FR}</p></body></html>'
    out = decode(bom + html.encode(codec), format="html")
    assert out.doc is not None and TEXT_FR in out.doc.text and "\ufeff" not in out.doc.text
    assert out.doc.meta["charset_via"] == "bom"


@pytest.mark.parametrize("data", [codecs.BOM_UTF16_LE + b"a\x00b", codecs.BOM_UTF32_BE + b"\x00\x00\x00a\x00"])
def test_truncated_text_after_a_bom_is_rejected(data):
    out = decode(data)
    assert out.doc is None and out.reason == "undecodable:bad bytes after a byte-order mark"


def test_declared_charset_used_for_html():
    html = '<html><head><meta charset="windows-1251"></head><body><p>' + TEXT_RU + "</p></body></html>"
    out = decode(html.encode("cp1251"), format="html")
    assert TEXT_RU in out.doc.text and out.doc.meta["charset_via"] == "declared"


def test_lying_latin1_declaration_does_not_break_utf8():
    html = '<meta charset="iso-8859-1"><p>Café crème</p>'
    out = decode(html.encode("utf-8"), format="html")
    assert "Café crème" in out.doc.text


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary:pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary:png"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), "binary:elf"),
        (bytes(range(256)) * 4, "binary"),
    ],
)
def test_binary_and_empty_input_is_rejected_with_reason(data, reason):
    out = decode(data)
    assert out.doc is None and out.reason.startswith(reason)


def test_oversized_document_rejected():
    out = Decoder(DecodeConfig(max_bytes=1000)).apply(RawDocument("x", "s", b"a" * 1001))
    assert out.reason.startswith("too_large")


@pytest.mark.parametrize(
    "text, enc",
    [
        ("Le cœur a ses raisons", "cp1252"),
        ("Ñandú y pingüino en España — “cita”", "cp1252"),
        ("Ça va très bien, merci.", "latin-1"),
        ("Zażółć gęślą jaźń, powiedział prezydent.", "cp1250"),
        ("Příliš žluťoučký kůň úpěl ďábelské ódy.", "cp1250"),
        ("Москва", "cp1251"),
        ("Выборы", "koi8-r"),
        ("Новости дня", "koi8-r"),
        ("ニュース速報", "shift_jis"),
        ("新闻报道", "gb2312"),
        ("한국어 뉴스", "euc-kr"),
    ],
)
def test_short_texts_without_declared_charset_decode_exactly(text, enc):
    """A few bytes are ambiguous for charset detection; the short-text path weighs how
    implausible each candidate decoding is as writing (misread Cyrillic as accented Latin,
    halfwidth katakana, ideographs glued to Latin letters...)."""
    out = decode(text.encode(enc))
    assert out.doc.text == text, out.doc.meta["charset"]


def test_western_text_ties_go_to_cp1252():
    """charset-normalizer scores cp1250 / cp1257 / cp775 equal to cp1252 on short Western text;
    the tie goes to the charset most used on the web."""
    text = "El presidente habló ayer en la capital. La reunión terminó sin acuerdo, según fuentes oficiales. " * 3
    out = decode(text.encode("cp1252"))
    assert out.doc.text == text and out.doc.meta["charset"] == "cp1252"
