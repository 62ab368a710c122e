"""decode: raw bytes -> text, trying BOM, the container's declared charset, strict UTF-8, then
detection (charset-normalizer); every candidate is verified before it is accepted.

The chosen charset and how it was found are recorded in `meta` (`charset`, `charset_via`).
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from pydantic import BaseModel, ConfigDict, Field

from pipeline.core.document import Document, Edit, Outcome, RawDocument
from pipeline.core.registry import StageSpec

NAME = "decode"
VERSION = "decode_v2"  # v2: UTF-16 without BOM, mixed UTF-8/legacy lines, non-charsets ignored (issue 12)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before utf-16: the utf-32 LE BOM starts with the utf-16 one
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I)
# Control characters that do not occur in real text (tab, LF, CR, FF excluded).
_BAD_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Magic numbers of common binary formats given to us as "text".
_BINARY_MAGIC = (
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"\x7fELF", "elf executable"),
    (b"MZ", "windows executable"),
    (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"(\xb5/\xfd", "zstd"),
    (b"PAR1", "parquet"),
    (b"\xca\xfe\xba\xbe", "java class / mach-o"),
    (b"RIFF", "riff media"),
    (b"OggS", "ogg"),
)


class DecodeConfig(BaseModel):
    """How raw bytes become text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Bigger documents are rejected, not truncated: a 50 MB "article" is a dump, not news.
    max_bytes: int = Field(10_000_000, gt=0)
    # Share of characters that may be control characters / U+FFFD before we call it binary.
    max_bad_char_ratio: float = Field(0.01, ge=0, le=1)
    # Try the charset declared by the container (HTTP header, <meta charset>) before UTF-8.
    trust_declared_charset: bool = True


def _bad_ratio(text: str) -> float:
    if not text or ("\ufffd" not in text and not _BAD_CONTROLS.search(text)):
        return 0.0
    bad = len(_BAD_CONTROLS.findall(text)) + text.count("\ufffd")
    return bad / len(text)


# Codecs Python knows that are not character sets a document can be written in: a page that
# declares one (`<meta charset="undefined">`, `charset=punycode`) is decoded as if it declared none.
_NOT_CHARSETS = {"undefined", "punycode", "idna", "unicode_escape", "raw_unicode_escape", "raw-unicode-escape",
                 "unicode-escape", "utf_7", "utf-7", "mbcs", "oem", "palmos", "string_escape", "rot-13", "rot_13"}


def _norm_charset(name: str | None) -> str | None:
    if not name:
        return None
    try:
        info = codecs.lookup(name.strip().strip("\"'"))
    except (LookupError, ValueError, TypeError):
        return None
    if info.name in _NOT_CHARSETS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _declared_charsets(raw: RawDocument) -> list[str]:
    out = []
    hint = _norm_charset(raw.charset_hint)
    if hint:
        out.append(hint)
    if raw.format == "html" and isinstance(raw.data, bytes):
        m = _META_CHARSET.search(raw.data[:4096])
        if m:
            cs = _norm_charset(m.group(1).decode("ascii", "ignore"))
            if cs and cs not in out:
                out.append(cs)
    return out


def _plausible(text: str, max_bad: float) -> bool:
    return _bad_ratio(text) <= max_bad


def _letters_ratio(text: str) -> float:
    sample = text[:20000]
    if not sample:
        return 1.0
    good = sum(1 for ch in sample if ch.isalnum() or ch.isspace() or unicodedata.category(ch)[0] in "PS")
    return good / len(sample)


class Decoder:
    """Decode one raw record. Binary or undecodable input becomes a dropped outcome with a reason."""

    name = NAME
    version = VERSION

    def __init__(self, config: DecodeConfig | None = None) -> None:
        self.config = config or DecodeConfig()

    def decode_bytes(self, data: bytes, declared: list[str]) -> tuple[str, str, str] | str:
        """Return (text, charset, via) or a rejection reason."""
        cfg = self.config
        for bom, enc in _BOMS:
            if data.startswith(bom):
                try:
                    return data.decode(enc), enc.replace("-sig", ""), "bom"
                except UnicodeDecodeError:
                    return "undecodable:bad bytes after a byte-order mark"
        for magic, kind in _BINARY_MAGIC:
            if data.startswith(magic):
                return f"binary:{kind}"
        if b"\x00" in data[:8192]:
            utf16 = _utf16_without_bom(data, cfg.max_bad_char_ratio)
            if utf16 is not None:
                return utf16
            return "binary:nul bytes"
        if cfg.trust_declared_charset:
            for enc in declared:
                try:
                    text = data.decode(enc)
                except (UnicodeDecodeError, LookupError):
                    continue
                # A declared single-byte charset decodes anything; only accept it when the
                # bytes are not also valid UTF-8 (pages that lie about latin-1 are common).
                if enc not in ("utf-8",) and _is_utf8(data) and not data.isascii():
                    break
                if _plausible(text, cfg.max_bad_char_ratio):
                    return text, enc, "declared"
        if _is_utf8(data):
            text = data.decode("utf-8")
            if _plausible(text, cfg.max_bad_char_ratio):
                return text, "utf-8", "utf-8"
            return "binary:control characters"
        mixed = self._mixed(data)
        if mixed is not None:
            return mixed
        return self._detect(data)

    def _mixed(self, data: bytes) -> tuple[str, str, str] | str | None:
        """A file whose lines are partly UTF-8 and partly a legacy charset (logs, concatenated
        feeds): each line is decoded on its own, the legacy lines with the charset detected on
        them together. None when the file is not such a mix (then whole-file detection runs)."""
        lines = data.split(b"\n")
        utf8_multibyte = 0
        legacy: list[int] = []
        for i, line in enumerate(lines):
            if line.isascii():
                continue
            if _is_utf8(line):
                utf8_multibyte += len(_UTF8_MULTIBYTE.findall(line))
            else:
                legacy.append(i)
        if not legacy or utf8_multibyte < 2:
            return None
        guess = self._detect(b"\n".join(lines[i] for i in legacy))
        if isinstance(guess, str):
            return guess
        enc = guess[1]
        try:
            for i in legacy:
                lines[i] = lines[i].decode(enc).encode("utf-8")
        except (UnicodeDecodeError, LookupError):
            return "undecodable:mixed charsets"
        text = b"\n".join(lines).decode("utf-8")
        if not _plausible(text, self.config.max_bad_char_ratio):
            return "undecodable:mixed charsets"
        return text, f"utf-8+{enc}", "per-line"

    def _detect(self, data: bytes) -> tuple[str, str, str] | str:
        from charset_normalizer import from_bytes  # imported lazily: most input is UTF-8

        results = list(from_bytes(data[:200_000] if len(data) > 200_000 else data))
        if len(data) <= _SHORT_BYTES:
            short = _short_pick(data, results, self.config.max_bad_char_ratio)
            if short is not None:
                return short
        for match in _rank(results):
            enc = _preferred(match.could_be_from_charset or [match.encoding])
            try:
                text = data.decode(enc)
            except (UnicodeDecodeError, LookupError):
                continue
            if _plausible(text, self.config.max_bad_char_ratio) and _letters_ratio(text) > 0.9:
                return text, codecs.lookup(enc).name, "detected"
        return "undecodable:no charset gives plausible text"

    def apply(self, raw: RawDocument) -> Outcome:  # type: ignore[override]
        data = raw.data
        size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
        if size == 0:
            return Outcome.drop("empty:0 bytes")
        if size > self.config.max_bytes:
            return Outcome.drop(f"too_large:{size} bytes > max_bytes {self.config.max_bytes}")
        meta = dict(raw.meta)
        if isinstance(data, str):
            text, charset, via = data, "utf-8", "container"
            if _bad_ratio(text) > self.config.max_bad_char_ratio:
                return Outcome.drop("binary:control characters")
        else:
            result = self.decode_bytes(data, _declared_charsets(raw))
            if isinstance(result, str):
                return Outcome.drop(result)
            text, charset, via = result
        # Lone surrogates (from JSON escapes) cannot be written as UTF-8 later: replace them.
        # (Strict decoding of bytes never yields them: only text handed over as str can.)
        if isinstance(data, str) and _has_surrogates(text):
            text = text.encode("utf-8", "replace").decode("utf-8")
        meta.update(charset=charset, charset_via=via)
        doc = Document(
            id=raw.id,
            text=text,
            source=raw.source,
            format=raw.format,
            url=raw.url,
            title=raw.title,
            date=raw.date,
            meta=meta,
        )
        edits: tuple[Edit, ...] = ()
        if via in ("declared", "detected") and charset != "utf-8" and charset != "ascii":
            edits = (Edit(0, 0, "", f"decode:{charset} via {via}"),)
        return Outcome.keep(doc, edits)


# When several charsets decode the bytes to the same text, take the one most used on the web
# (charset-normalizer lists them in no useful order: cp1250 before cp1252 for French text).
_PREFERENCE = ("cp1252", "iso8859_15", "latin_1", "cp1251", "koi8_r", "cp932", "shift_jis", "gb18030", "gb2312",
               "gbk", "big5", "euc_jp", "euc_kr", "cp1250", "iso8859_2", "cp1253", "cp1254", "cp1255", "cp1256")


# Matches whose mess (chaos) and language fit (coherence) are this close to the best one are
# ties: on short Western text cp1250, cp1252, cp1257 and cp775 all decode to plausible letters
# with equal scores, and charset-normalizer's order among them is arbitrary.
_TIE_CHAOS = 0.02
_TIE_COHERENCE = 0.05


def _rank_of(match) -> int:
    names = {codecs.lookup(c).name for c in (match.could_be_from_charset or [match.encoding])}
    for i, pref in enumerate(_PREFERENCE):
        if codecs.lookup(pref).name in names:
            return i
    return len(_PREFERENCE)


def _rank(results: list) -> list:
    """charset-normalizer's matches, with the near-ties to the best one reordered by how common
    their charset is on the web (`_PREFERENCE`); the rest keep their order after them."""
    if len(results) < 2:
        return results
    best = results[0]
    tied = [m for m in results
            if m.chaos <= best.chaos + _TIE_CHAOS and m.coherence >= best.coherence - _TIE_COHERENCE]
    rest = [m for m in results if m not in tied]
    return sorted(tied, key=_rank_of) + rest


# Below this many bytes charset detection has too little text to go on ("Москва" is six bytes
# that gb18030 decodes to three real ideographs): candidates are also judged by how implausible
# their text is as writing (`_implausibility`).
_SHORT_BYTES = 512
_SHORT_CANDIDATES = ("utf-8", "cp1252", "cp1250", "cp1251", "koi8_r", "cp1253", "cp1254", "cp1257", "cp932",
                     "gb18030", "big5", "euc_kr", "iso8859_8", "cp1256", "tis_620")


def _cjk_common(ch: str) -> bool:
    """Ideograph in the frequent (level-1) set of GB2312 or JIS X 0208."""
    for enc, lo, hi in (("gb2312", 0xB0, 0xD7), ("shift_jis", 0x88, 0x98)):
        try:
            b = ch.encode(enc)
        except UnicodeEncodeError:
            continue
        if len(b) == 2 and lo <= b[0] <= hi:
            return True
    return False


def _script(ch: str) -> str:
    o = ord(ch)
    if o < 0x250:
        return "latin"
    if 0x370 <= o < 0x400:
        return "greek"
    if 0x400 <= o < 0x530:
        return "cyrillic"
    if 0x590 <= o < 0x700:
        return "rtl"
    if 0x3040 <= o < 0x3100 or 0x3400 <= o < 0xA000:
        return "cjk"  # kana and ideographs mix within Japanese words
    if 0xAC00 <= o < 0xD7B0:
        return "hangul"
    return "other"


def _implausibility(text: str) -> float:
    """How un-text-like a decoding is: halfwidth katakana, rare or Latin-glued ideographs,
    words mixing scripts, capitals inside a lower-case word, symbols inside a word, unassigned or
    private code points. 0 for ordinary text in any one script."""
    pen = 0.0
    n = len(text)
    for i, ch in enumerate(text):
        if ch.isascii():
            continue
        o = ord(ch)
        cat = unicodedata.category(ch)
        if cat in ("Cn", "Co", "Cc"):
            pen += 2
        elif 0xFF61 <= o <= 0xFF9F:
            pen += 1
        elif cat[0] in "SP" and 0 < i < n - 1 and text[i - 1].isalpha() and text[i + 1].isalpha():
            pen += 1
        elif cat == "Lo" and _script(ch) == "cjk":
            near = (text[i - 1] if i else " ") + (text[i + 1] if i + 1 < n else " ")
            if any(c.isascii() and c.isalpha() for c in near):
                pen += 1
            elif 0x4E00 <= o < 0xA000 and not _cjk_common(ch):
                pen += 0.5
            elif 0xAC00 <= o < 0xD7B0 and not _encodable(ch, "euc_kr"):
                pen += 0.5  # a Hangul syllable outside the KS X 1001 everyday set
    for word in text.split():
        letters = [c for c in word if c.isalpha()]
        if not letters or all(c.isascii() for c in letters):
            continue
        scripts = {_script(c) for c in letters} - {"other"}
        if len(scripts) > 1:
            pen += 1
        if any(a.islower() and b.isupper() for a, b in zip(letters, letters[1:])):
            pen += 1
        if len(letters) >= 3 and scripts == {"latin"} and not any(c.isascii() for c in letters):
            pen += 1  # Western words always have plain letters: "Ìîñêâà" is a misread
    return pen


def _encodable(ch: str, enc: str) -> bool:
    try:
        ch.encode(enc)
    except UnicodeEncodeError:
        return False
    return True


def _short_pick(data: bytes, results: list, max_bad: float):
    """For short inputs: the least implausible decoding among charset-normalizer's matches (in
    their tie-broken order) and the common web charsets; None when none decodes plausibly."""
    seen: set[str] = set()
    order = [_preferred(m.could_be_from_charset or [m.encoding]) for m in _rank(results)] + list(_SHORT_CANDIDATES)
    best = None
    for enc in order:
        name = codecs.lookup(enc).name
        if name in seen or name.replace("-", "_").startswith(("utf_16", "utf_32")):
            continue  # UTF-16/32 without a byte-order mark: not a guess to make on a few bytes
        seen.add(name)
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if not _plausible(text, max_bad) or _letters_ratio(text) <= 0.9:
            continue
        pen = _implausibility(text)
        if best is None or pen < best[0]:
            best = (pen, text, name)
    if best is None:
        return None
    return best[1], best[2], "detected"


def _preferred(candidates: list[str]) -> str:
    names = [codecs.lookup(c).name for c in candidates]
    for pref in _PREFERENCE:
        if codecs.lookup(pref).name in names:
            return pref
    return candidates[0]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# A well-formed UTF-8 multi-byte character (what a legacy charset almost never produces by chance).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _utf16_without_bom(data: bytes, max_bad: float) -> tuple[str, str, str] | None:
    """UTF-16 without a byte-order mark: text in Latin, Cyrillic, Greek... scripts has a NUL in
    (nearly) every other byte, on the odd positions for little-endian. Accepted only when that
    pattern holds and the decoded text is plausible."""
    sample = data[:8192]
    if len(sample) < 4 or len(data) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    for enc, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) >= 0.1 * len(zeros) and other.count(0) <= 0.02 * len(other):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _plausible(text, max_bad) and _letters_ratio(text) > 0.9:
                return text, "utf-16", "detected"
    return None


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# Reason codes this stage emits (rejections; the note "decode:<charset> via <how>" changes no text).
REASONS = {
    "empty:0 bytes": "the input holds no bytes at all",
    "too_large:*": "the input is larger than decode.max_bytes",
    "binary:*": "not text: a file signature (pdf, png, zip, gzip, ...), NUL bytes or control characters",
    "undecodable:*": "no charset (declared, UTF-8 or detected) gives plausible text",
    "decode:*": "note only: the charset used and how it was found (bom, declared, utf-8, detected); "
                "input bytes became characters",
}

SPEC = StageSpec(NAME, VERSION, DecodeConfig, Decoder, reasons=REASONS)
