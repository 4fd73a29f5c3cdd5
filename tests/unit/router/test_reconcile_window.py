"""The reconciler's pure parts: which window to list, how the watermark moves, the recovered event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from router.domain.reconcile import (
    RECOVERED_TYPE,
    ReconcilePolicy,
    Window,
    advance,
    parse_ghl_time,
    recovered_body,
    recovered_event_id,
    window_for,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
POLICY = ReconcilePolicy(
    overlap=timedelta(minutes=15), settle=timedelta(minutes=2), initial_lookback=timedelta(hours=1)
)


def test_the_first_window_looks_back_from_now_and_stops_short_of_now() -> None:
    window = window_for(None, NOW, POLICY)
    assert window == Window(NOW - timedelta(hours=1), NOW - timedelta(minutes=2))
    assert not window.empty


def test_a_later_window_starts_an_overlap_before_the_watermark() -> None:
    watermark = NOW - timedelta(minutes=5)
    window = window_for(watermark, NOW, POLICY)
    assert window.start == watermark - timedelta(minutes=15)
    assert window.end == NOW - timedelta(minutes=2)


def test_a_watermark_past_the_settle_line_gives_an_empty_window_when_there_is_no_overlap() -> None:
    policy = ReconcilePolicy(timedelta(0), timedelta(minutes=2), timedelta(hours=1))
    assert window_for(NOW - timedelta(minutes=1), NOW, policy).empty


def test_the_watermark_reaches_the_window_end_once_the_last_page_is_read() -> None:
    window = Window(NOW - timedelta(hours=1), NOW - timedelta(minutes=2))
    last = NOW - timedelta(minutes=30)
    assert advance(None, window, last, done=True) == window.end
    assert advance(None, window, None, done=True) == window.end  # an empty window is read, too


def test_a_run_cut_short_keeps_the_newest_contact_examined() -> None:
    window = Window(NOW - timedelta(hours=1), NOW - timedelta(minutes=2))
    last = NOW - timedelta(minutes=30)
    assert advance(None, window, last, done=False) == last
    # a dateAdded beyond the window (clock skew) never carries the watermark past it
    assert advance(None, window, NOW + timedelta(minutes=5), done=False) == window.end


def test_the_watermark_never_moves_backwards() -> None:
    old = NOW - timedelta(minutes=10)
    window = window_for(old, NOW, POLICY)  # starts 25 minutes ago
    inside_overlap = NOW - timedelta(minutes=20)
    assert advance(old, window, inside_overlap, done=False) == old


def test_ghl_times_parse_as_utc() -> None:
    assert parse_ghl_time("2026-12-01T11:59:00.250Z") == datetime(2026, 12, 1, 11, 59, 0, 250000, UTC)
    millis = int(datetime(2026, 12, 1, 11, 59, tzinfo=UTC).timestamp() * 1000)
    assert parse_ghl_time(millis) == datetime(2026, 12, 1, 11, 59, tzinfo=UTC)
    assert parse_ghl_time("2026-12-01T11:59:00") == datetime(2026, 12, 1, 11, 59, tzinfo=UTC)
    assert parse_ghl_time("yesterday") is None
    assert parse_ghl_time(None) is None


def test_a_recovered_contact_becomes_the_contact_create_webhook_body() -> None:
    contact = {"id": "ct1", "firstName": "Ann", "postalCode": "80202", "searchAfter": [1, "ct1"]}
    body = recovered_body(contact, "INTAKE")
    assert body["type"] == RECOVERED_TYPE == "ContactCreate"
    assert body["locationId"] == "INTAKE" and body["id"] == "ct1" and body["postalCode"] == "80202"
    assert "searchAfter" not in body
    assert recovered_body({**contact, "locationId": "OTHER"}, "INTAKE")["locationId"] == "OTHER"


def test_the_recovered_event_id_is_fixed_per_contact() -> None:
    assert recovered_event_id("ct1") == recovered_event_id("ct1")
    assert recovered_event_id("ct1") != recovered_event_id("ct2")


def test_a_run_stopped_inside_its_window_is_resumed_exactly_at_the_watermark() -> None:
    watermark = NOW - timedelta(minutes=40)
    assert window_for(watermark, NOW, POLICY, resume_exact=True).start == watermark
    assert window_for(watermark, NOW, POLICY, resume_exact=False).start == watermark - timedelta(minutes=15)
    assert window_for(None, NOW, POLICY, resume_exact=True).start == NOW - timedelta(hours=1)
