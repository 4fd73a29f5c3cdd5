"""Pure domain: attribution, aggregation into buckets, lead-route merging, derived metrics, ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from analytics.domain.aggregate import aggregate, combine_routes, hour_utc, local_day, merge_routes
from analytics.domain.attribution import Directory, resolve, split_resolved
from analytics.domain.derived import derive, unassigned_rate
from analytics.domain.facts import UNASSIGNED, Activity, LeadRoute
from analytics.domain.performance import DERIVED_METRICS, LocationTotals, overview, rank

T0 = datetime(2026, 3, 8, 4, 30, tzinfo=UTC)
DIRECTORY = Directory(
    timezones={"FIT-1": "America/New_York", "FIT-2": "America/Los_Angeles"},
    by_ghl_id={"ghl-1": "FIT-1", "ghl-3": "FIT-3"},
    lead_locations={"lead-a": "FIT-2", "lc-lead-a": "FIT-2", "lead-u": UNASSIGNED},
)


def activity(**kwargs: object) -> Activity:
    base: dict[str, object] = {"event_id": "e", "at": T0, "deltas": {"won": 1.0}}
    return Activity(**{**base, **kwargs})  # type: ignore[arg-type]


def test_sub_account_events_belong_to_the_location_with_that_ghl_id() -> None:
    assert resolve(activity(ghl_location_id="ghl-1", contact_id="lead-a"), DIRECTORY) == "FIT-1"


def test_intake_events_attribute_through_the_lead_table() -> None:
    assert resolve(activity(ghl_location_id="intake", contact_id="lead-a"), DIRECTORY) == "FIT-2"
    assert resolve(activity(ghl_location_id="intake", contact_id="lc-lead-a"), DIRECTORY) == "FIT-2"
    assert resolve(activity(ghl_location_id="intake", contact_id="lead-u"), DIRECTORY) == UNASSIGNED


def test_unknown_contacts_and_locations_without_profile_are_parked() -> None:
    assert resolve(activity(ghl_location_id="intake", contact_id="nobody"), DIRECTORY) is None
    assert resolve(activity(ghl_location_id="ghl-3"), DIRECTORY) is None  # known id, no profile yet
    assert resolve(activity(location_id="FIT-9"), DIRECTORY) is None
    resolved, parked = split_resolved(
        [activity(location_id="FIT-1"), activity(location_id="FIT-9")], DIRECTORY
    )
    assert [loc for _, loc in resolved] == ["FIT-1"] and len(parked) == 1


def test_buckets_use_utc_hours_and_the_locations_local_day() -> None:
    # 04:30 UTC is still the previous day in New York and Los Angeles
    increments = aggregate(
        [(activity(deltas={"leads": 1.0, "score_sum": 40.0}), "FIT-1"), (activity(), "FIT-1")], DIRECTORY
    )
    # rows are sparse: only the counters the activities touched (the upsert adds 0 for the rest)
    assert increments.hourly == {
        ("FIT-1", datetime(2026, 3, 8, 4, tzinfo=UTC)): {"leads": 1.0, "score_sum": 40.0, "won": 1.0}
    }
    assert list(increments.daily) == [("FIT-1", date(2026, 3, 7))]
    assert local_day(datetime(2026, 3, 8, 12, tzinfo=UTC), "UTC") == date(2026, 3, 8)


@given(st.datetimes(timezones=st.just(UTC)))
def test_hour_bucket_contains_the_instant(at: datetime) -> None:
    bucket = hour_utc(at)
    assert bucket <= at < bucket + timedelta(hours=1)


def test_newest_decision_wins_and_sync_only_adds_the_contact_id() -> None:
    early = LeadRoute("lead", T0, "FIT-1", 10.0)
    late = LeadRoute("lead", T0 + timedelta(hours=1), "FIT-2", 20.0)
    sync = LeadRoute("lead", None, "FIT-1", None, "lc-1")
    for order in ([early, late, sync], [sync, late, early], [late, sync, early]):
        (merged,) = merge_routes(order)
        assert (merged.location_id, merged.score, merged.location_contact_id) == ("FIT-2", 20.0, "lc-1")
        assert merged.at == late.at
    assert combine_routes(sync, early).location_id == "FIT-1"


def test_derived_metrics() -> None:
    d = derive(leads=10, won=3, score_sum=500, hours=5, assigned_today=9, daily_capacity=12)
    assert (d.conversion_rate, d.avg_score, d.capacity_utilisation, d.leads_per_hour) == (
        0.3,
        50.0,
        0.75,
        2.0,
    )
    none = derive(leads=0, won=0, score_sum=0, hours=1, assigned_today=0, daily_capacity=0)
    assert none.conversion_rate is None and none.capacity_utilisation is None
    assert unassigned_rate(9, 1) == 0.1 and unassigned_rate(0, 0) is None


def totals(location_id: str, leads: float, won: float) -> LocationTotals:
    return LocationTotals(
        location_id, location_id, None, None, "active", None, 10, 0, {"leads": leads, "won": won}
    )


def test_rank_by_derived_metric_puts_missing_values_last_and_breaks_ties_by_id() -> None:
    rows = [totals("B", 10, 5), totals("A", 10, 5), totals("C", 0, 0), totals("D", 4, 4)]
    assert [r.location_id for r in rank(rows, "conversion_rate", True, 1)] == ["D", "A", "B", "C"]
    assert [r.location_id for r in rank(rows, "leads", False, 1)] == ["C", "D", "A", "B"]


def test_overview_top_and_bottom_and_unassigned_rate() -> None:
    rows = [totals("A", 10, 1), totals("B", 10, 9), totals("C", 0, 0)]
    summary = overview(rows, unassigned=5, hours=10, k=1)
    assert [r.location_id for r in summary.top] == ["B"] and [r.location_id for r in summary.bottom] == ["A"]
    assert summary.totals["leads"] == 20 and summary.unassigned_rate == 0.2 and summary.conversion_rate == 0.5


def test_each_derived_metric_alone_equals_the_full_derivation() -> None:
    counters = {"leads": 8.0, "won": 2.0, "score_sum": 400.0, "touches": 3.0, "touched_in_sla": 2.0}
    counters |= {"sla_breaches": 1.0, "stl_le_5m": 2.0, "stl_le_30m": 1.0}
    row = LocationTotals("A", "A", None, None, "active", None, 10, 4, counters)
    full = row.derived(5.0)
    for name in DERIVED_METRICS:
        assert row.metric(name, 5.0) == getattr(full, name), name
