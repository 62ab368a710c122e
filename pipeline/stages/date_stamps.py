"""Publication stamps in page lines ("Published: Jan 29, 2025", "12. März 2024"): the first
unambiguous date of a line, for moving a removed byline's date into `doc.date`."""

from __future__ import annotations

import re

_MONTHS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|"
    "september|oct|october|nov|november|dec|december|januar|februar|märz|mai|juni|juli|oktober|"
    "dezember|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
)
MONTH_NUM = {
    **{m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    "sept": 9, "januar": 1, "februar": 2, "märz": 3, "mai": 5, "juni": 6, "juli": 7, "oktober": 10,
    "dezember": 12, "janvier": 1, "février": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7,
    "août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "enero": 1,
    "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}
DATE_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
DATE_DMY = re.compile(rf"\b(\d{{1,2}})\.?\s+({_MONTHS})\.?,?\s+((?:19|20)\d\d)\b", re.I)
DATE_MDY = re.compile(rf"\b({_MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.I)


def parse_date(text: str) -> str | None:
    """The first unambiguous date in `text` as ISO yyyy-mm-dd (numeric d/m/y is left alone)."""
    m = DATE_ISO.search(text)
    if m:
        return m.group(0)
    m = DATE_DMY.search(text)
    if m:
        mon = MONTH_NUM.get(m.group(2).lower()[:3]) or MONTH_NUM.get(m.group(2).lower())
        if mon:
            return f"{m.group(3)}-{mon:02d}-{int(m.group(1)):02d}"
    m = DATE_MDY.search(text)
    if m:
        mon = MONTH_NUM.get(m.group(1).lower()[:3]) or MONTH_NUM.get(m.group(1).lower())
        if mon:
            return f"{m.group(3)}-{mon:02d}-{int(m.group(2)):02d}"
    return None
