"""The unassigned pool's pure parts: cursors, distances, bounding boxes and the triggers' reasons."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from router.domain.pool import (
    AT_CAPACITY,
    NONE_IN_RANGE,
    UNROUTABLE,
    BadCursor,
    Cursor,
    TriggerKind,
    bounding_box,
    location_trigger,
    midnight_trigger,
    miles_between,
)
from router.domain.rules import unassigned_reason


def test_cursor_round_trips_and_refuses_what_it_did_not_make() -> None:
    cursor = Cursor(datetime(2026, 12, 1, 10, 30, tzinfo=UTC), "c-1|odd")
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ("", "not-a-cursor", Cursor(datetime(2026, 12, 1), "x").encode()):  # naive: not ours
        with pytest.raises(BadCursor):
            Cursor.decode(bad)


def test_distances_match_known_ones_and_the_box_holds_the_circle() -> None:
    # Chicago Loop to O'Hare: about 15 miles
    assert miles_between(41.8857, -87.6229, 41.9742, -87.9073) == pytest.approx(15.9, abs=0.5)
    lat0, lat1, lon0, lon1 = bounding_box(46.9, -96.8, 100)
    for bearing_lat, bearing_lon in ((lat1, -96.8), (lat0, -96.8), (46.9, lon0), (46.9, lon1)):
        assert miles_between(46.9, -96.8, bearing_lat, bearing_lon) == pytest.approx(100, rel=0.02)


def test_triggers_take_back_only_the_reasons_they_can_remove() -> None:
    midnight = midnight_trigger("America/Chicago", "2026-12-02", ("A", "B"))
    assert (midnight.kind, midnight.trigger_id) == (
        TriggerKind.MIDNIGHT,
        "midnight:America/Chicago:2026-12-02",
    )
    assert AT_CAPACITY in midnight.reasons and NONE_IN_RANGE not in midnight.reasons
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    activated = location_trigger("FIT-1", at, 46.9, -96.8, 100.0, "ND")
    assert activated.trigger_id == f"location:FIT-1:{at.isoformat()}"
    assert {AT_CAPACITY, NONE_IN_RANGE} <= set(activated.reasons)
    assert UNROUTABLE not in activated.reasons + midnight.reasons  # only an address helps those
    # the names are the ones the decision records
    assert unassigned_reason(False, []) == UNROUTABLE and unassigned_reason(True, []) == NONE_IN_RANGE
