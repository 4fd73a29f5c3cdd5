"""A lead counts once, at its newest decision; moves, stale decisions and window splitting (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from analytics.domain.attribution import Directory, attributed_lead
from analytics.domain.facts import UNASSIGNED, Activity, lead_count
from analytics.domain.moves import (
    CountedLead,
    FollowedActivity,
    follow_lead,
    settle_lead_counts,
    uncount_id,
)
from analytics.domain.performance import split_window

T0 = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)
IDS = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 10_000))


def decision(lead: str, location: str, minutes: int, score: float | None = 40.0) -> Activity:
    at = T0 + timedelta(minutes=minutes)
    return Activity(next(IDS), at, lead_count(location, score), location, counts_lead=lead)


def test_a_first_decision_counts_and_a_move_subtracts_where_the_lead_was() -> None:
    first = decision("l1", "A", 0)
    kept, moved = settle_lead_counts([first], {})
    assert kept == [first] and moved == {"l1": CountedLead("A", first.at, 40.0)}

    second = decision("l1", "B", 30)
    kept, moved = settle_lead_counts([second], moved)
    minus = Activity(uncount_id(second.event_id), first.at, {"leads": -1.0, "score_sum": -40.0}, "A")
    assert kept == [second, minus]
    assert moved == {"l1": CountedLead("B", second.at, 40.0)}


def test_stale_and_repeated_decisions_change_nothing() -> None:
    counted = {"l1": CountedLead("B", T0 + timedelta(minutes=30), 40.0)}
    older, same = decision("l1", "A", 0), decision("l1", "B", 30)
    assert settle_lead_counts([older, same], counted) == ([], {})
    other = Activity(next(IDS), T0, {"won": 1.0}, "A")
    assert settle_lead_counts([other], counted) == ([other], {})


def test_in_one_batch_only_the_newest_decision_counts_and_unassigned_is_a_place() -> None:
    pooled, placed = decision("l2", UNASSIGNED, 0, score=10), decision("l2", "C", 90, score=10)
    kept, moved = settle_lead_counts([placed, pooled], {})
    assert kept == [placed] and moved["l2"].location_id == "C"
    kept, _ = settle_lead_counts([decision("l2", "D", 120, score=10)], moved)
    assert kept[1].deltas == {"leads": -1.0, "score_sum": -10.0} and kept[1].location_id == "C"
    back, _ = settle_lead_counts([decision("l2", UNASSIGNED, 200)], moved)
    assert back[0].deltas == {"unassigned": 1.0}


def test_followed_activities_leave_the_old_location_and_join_the_new_one() -> None:
    f = FollowedActivity(next(IDS), "A", "B", T0, {"won": 1.0})
    minus, plus = follow_lead([f])
    assert (minus.location_id, minus.deltas, plus.location_id, plus.deltas) == (
        "A",
        {"won": -1.0},
        "B",
        {"won": 1.0},
    )
    assert minus.at == plus.at == T0 and len({minus.event_id, plus.event_id, f.event_id}) == 3


def test_only_activities_attributed_through_a_lead_follow_it() -> None:
    directory = Directory(
        timezones={"A": "UTC"},
        by_ghl_id={"ghl-a": "A"},
        lead_locations={"c1": "A"},
        contact_leads={"c1": "l1"},
    )
    intake = Activity(next(IDS), T0, {"won": 1.0}, None, "intake", "c1")
    own_account = Activity(next(IDS), T0, {"won": 1.0}, None, "ghl-a", "c1")
    direct = Activity(next(IDS), T0, {"won": 1.0}, "A")
    assert attributed_lead(intake, directory) == "l1"
    assert attributed_lead(own_account, directory) is None and attributed_lead(direct, directory) is None


def test_split_window_reads_the_same_hours_as_the_hourly_rows() -> None:
    rnd = random.Random(5)
    hours = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(24 * 20)]
    for _ in range(200):
        start = hours[0] + timedelta(minutes=rnd.randrange(0, 60 * 24 * 9))
        end = start + timedelta(minutes=rnd.randrange(0, 60 * 24 * 9))
        parts = split_window(start, end)
        read = {h for h in hours for lo, hi in parts.hours if lo <= h < hi}
        if parts.days is not None:
            read |= {h for h in hours if parts.days[0] <= h.date() < parts.days[1]}
        assert read == {h for h in hours if start <= h < end}, (start, end)
