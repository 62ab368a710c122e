"""Publication dates from any source (JSONL fields, WARC-Date, "Published 9 December 2021") in
one form, ISO 8601, so `keep: earliest_date` compares like with like."""

from __future__ import annotations

from datetime import datetime

from dateutil import parser as date_parser


def iso_date(value: str | None) -> str | None:
    """'26-FEB-1987 15:01:01.79' -> '1987-02-26T15:01:01'; '9 December 2021' -> '2021-12-09'.
    A value that is not a date is kept as it was (nothing is lost)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = date_parser.parse(text, fuzzy=False)
        except (ValueError, OverflowError, TypeError):
            return text
    if parsed.tzinfo is not None:
        parsed = parsed.replace(tzinfo=None) - parsed.utcoffset()  # to UTC
    has_time = any(ch.isdigit() for ch in text.split("T", 1)[-1]) and ":" in text
    return parsed.strftime("%Y-%m-%dT%H:%M:%S") if has_time else parsed.strftime("%Y-%m-%d")
