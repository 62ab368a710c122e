"""Publication dates from any source (JSONL fields, WARC-Date, "Published 9 December 2021") in
one form, ISO 8601 in UTC, so `keep: earliest_date` compares like with like; the corpus stores it
as a timestamp with time zone UTC (`utc_timestamp`) and the original string beside it."""

from __future__ import annotations

from datetime import datetime, timezone

from dateutil import parser as date_parser


def iso_date(value: str | None) -> str | None:
    """'26-FEB-1987 15:01:01.79' -> '1987-02-26T15:01:01'; '9 December 2021' -> '2021-12-09';
    '2021-12-09T10:00:00+02:00' -> '2021-12-09T08:00:00' (UTC). A value that is not a date
    ('yesterday', 'sometime last spring') gives None: the corpus keeps the original string in
    `date_raw`, so nothing is lost."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if not any(ch.isdigit() for ch in text):
        return None  # "May", "yesterday": dateutil would invent the missing parts from today
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = date_parser.parse(text, fuzzy=False)
        except (ValueError, OverflowError, TypeError):
            return None
    if parsed.tzinfo is not None:
        parsed = parsed.replace(tzinfo=None) - parsed.utcoffset()  # to UTC
    has_time = any(ch.isdigit() for ch in text.split("T", 1)[-1]) and ":" in text
    return parsed.strftime("%Y-%m-%dT%H:%M:%S") if has_time else parsed.strftime("%Y-%m-%d")


def utc_timestamp(iso: str | None) -> datetime | None:
    """An `iso_date` value as an aware datetime in UTC (a date alone = midnight UTC)."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso).replace(tzinfo=timezone.utc)
    except ValueError:
        return None
