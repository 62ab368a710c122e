import pytest

from pipeline.io.dates import iso_date


@pytest.mark.parametrize(
    "raw, iso",
    [
        ("26-FEB-1987 15:01:01.79", "1987-02-26T15:01:01"),  # Reuters-21578
        ("9 December 2021", "2021-12-09"),  # "Published 9 December 2021"
        ("2021-12-30", "2021-12-30"),
        ("2021-12-09T10:00:00+02:00", "2021-12-09T08:00:00"),  # WARC-Date style, to UTC
        ("Thu, 09 Dec 2021 10:00:00 GMT", "2021-12-09T10:00:00"),  # HTTP header style
    ],
)
def test_dates_become_iso_so_they_sort(raw, iso):
    assert iso_date(raw) == iso


def test_non_dates_are_none_here_and_kept_raw_in_the_corpus():
    assert iso_date("sometime last spring") is None and iso_date("yesterday") is None and iso_date("May") is None
    assert iso_date("") is None and iso_date(None) is None


def test_utc_timestamp():
    from datetime import timezone

    from pipeline.io.dates import utc_timestamp

    ts = utc_timestamp(iso_date("2021-12-09T10:00:00+02:00"))
    assert ts.tzinfo == timezone.utc and (ts.hour, ts.day) == (8, 9)
    assert utc_timestamp("2021-12-09").hour == 0 and utc_timestamp(None) is None
