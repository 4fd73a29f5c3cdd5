"""Speed-to-lead histogram counters, percentiles and the SLA events' translation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics.domain.derived import derive
from analytics.domain.speed import BUCKETS, bucket_of, percentile_minutes, reassignment_deltas, touch_deltas
from analytics.translate import translate
from leadflow_common.events import Envelope, LeadReassigned, LeadWorked

T0 = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)


def test_buckets_are_upper_bounds_in_minutes() -> None:
    assert bucket_of(0) == "stl_le_1m" and bucket_of(60) == "stl_le_1m"
    assert bucket_of(61) == "stl_le_2m" and bucket_of(14 * 60) == "stl_le_15m"
    assert bucket_of(3 * 86400) == "stl_gt_1440m" == BUCKETS[-1]
    assert touch_deltas(-5, True) == {
        "touches": 1.0,
        "touch_seconds": 0.0,
        "touched_in_sla": 1.0,
        "stl_le_1m": 1.0,
    }


def test_percentiles_interpolate_inside_the_bucket() -> None:
    assert percentile_minutes({}, 0.5) is None
    counters = {"stl_le_5m": 2.0, "stl_le_10m": 2.0}  # 2 in (2, 5], 2 in (5, 10]
    assert percentile_minutes(counters, 0.5) == 5.0
    assert percentile_minutes(counters, 0.9) == 9.0
    assert percentile_minutes({"stl_gt_1440m": 1.0}, 0.9) == 1440.0


def test_derived_sla_metrics() -> None:
    counters = {"stl_le_1m": 3.0, "touches": 3.0, "touched_in_sla": 2.0, "sla_breaches": 2.0}
    d = derive(leads=5, won=0, score_sum=0, hours=2, assigned_today=0, daily_capacity=0, counters=counters)
    assert (d.speed_to_lead_p50_min, d.sla_breaches_per_hour, d.sla_met_rate) == (0.5, 1.0, 0.4)


def test_lead_worked_and_reassigned_become_location_counters() -> None:
    worked = LeadWorked(
        lead_id="l1",
        location_id="FIT-1",
        assigned_at=T0,
        worked_at=T0 + timedelta(minutes=7),
        touch="OutboundMessage",
        within_sla=True,
    )
    facts = translate("leads.assigned.v1", "l1", Envelope.wrap(worked, source="router"))
    (activity,) = facts.activities
    assert activity.location_id == "FIT-1" and activity.at == T0 + timedelta(minutes=7)
    assert activity.deltas == {
        "touches": 1.0,
        "touch_seconds": 420.0,
        "touched_in_sla": 1.0,
        "stl_le_10m": 1.0,
    }

    moved = LeadReassigned(
        lead_id="l1",
        from_location_id="FIT-1",
        to_location_id="FIT-2",
        reason="sla_breach: not worked within 15 business minutes",
        attempt=1,
        decided_at=T0,
    )
    facts = translate("leads.assigned.v1", "l1", Envelope.wrap(moved, source="router"))
    assert facts.activities[0].location_id == "FIT-1"
    assert facts.activities[0].deltas == {"sla_breaches": 1.0, "reassignments": 1.0}
    assert facts.leads[0].location_id == "FIT-2"
    assert reassignment_deltas("manual", True) == {"sla_breaches": 0.0, "reassignments": 1.0}
