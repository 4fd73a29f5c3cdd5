"""The client's contact-search paging: the dateAdded filter and the cursor after a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from leadflow_common.ghl.contacts_api import added_between, ghl_time, next_cursor


def test_times_are_written_as_ghl_writes_date_added() -> None:
    at = datetime(2026, 12, 1, 13, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert ghl_time(at) == "2026-12-01T12:00:00.123Z"


def test_the_window_filter_is_an_inclusive_date_added_range() -> None:
    start, end = datetime(2026, 12, 1, 11, tzinfo=UTC), datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert added_between(start, end) == [
        {
            "field": "dateAdded",
            "operator": "range",
            "value": {"gte": "2026-12-01T11:00:00.000Z", "lte": "2026-12-01T12:00:00.000Z"},
        }
    ]


def test_a_page_shorter_than_the_limit_is_the_last() -> None:
    assert next_cursor([{"id": "a", "searchAfter": [1, "a"]}], page_limit=2) is None
    assert next_cursor([], page_limit=2) is None


def test_a_full_page_continues_after_its_last_contact() -> None:
    page = [{"id": "a", "searchAfter": [1, "a"]}, {"id": "b", "searchAfter": [2, "b"]}]
    assert next_cursor(page, page_limit=2) == [2, "b"]


def test_without_search_after_the_cursor_is_rebuilt_from_date_added_and_id() -> None:
    page = [{"id": "b", "dateAdded": "2026-12-01T12:00:00.000Z"}]
    millis = int(datetime(2026, 12, 1, 12, tzinfo=UTC).timestamp() * 1000)
    assert next_cursor(page, page_limit=1) == [millis, "b"]
    with pytest.raises(ValueError):
        next_cursor([{"id": "c"}], page_limit=1)
