"""The sync's pure batch rules: last event per lead wins, stale and unsyncable events are dropped,
leads synced before are only confirmed, and how failures map onto the consumer policy."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadflow_common.events.leads import LeadAssigned
from leadflow_common.ghl import GhlNotFound, GhlRateLimited, GhlValidationError
from leadflow_common.kafka.errors import PermanentError, TransientError
from router.handlers.sync_errors import FailedLead, raise_for_failures
from router.handlers.sync_plan import SyncRow, latest_per_lead, plan_syncs

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def assigned(lead: str, location: str, ghl: str | None = "ghl-x", rule: str = "radius_25") -> LeadAssigned:
    return LeadAssigned(
        lead_id=lead, source_location_id="INTAKE", location_id=location, ghl_location_id=ghl, rule=rule,
        score=50, geocode_method="postal_code", capacity_date=date(2026, 12, 1), decided_at=NOW,
    )  # fmt: skip


def row(lead: str, location: str) -> SyncRow:
    return SyncRow(lead, location, f"ghl-{location}", f"c-{lead}", NOW)


def test_the_last_event_of_a_lead_wins_in_the_order_of_last_occurrence() -> None:
    events = [assigned("a", "L1"), assigned("b", "L1"), assigned("a", "L2", rule="sla_reassign")]
    assert [(e.lead_id, e.location_id) for e in latest_per_lead(events)] == [("b", "L1"), ("a", "L2")]


def test_plan_sorts_each_lead_into_exactly_one_bucket() -> None:
    events = [
        assigned("new", "L1"),
        assigned("moved-on", "L1"),  # the assignment is at L2 now (an SLA re-route)
        assigned("done", "L1"),  # already synced to L1: only confirmed
        assigned("re-routed", "L2"),  # synced to L1 before, now assigned to L2: applied again
        assigned("no-ghl", "L1", ghl=None),
        assigned("unknown", "L3"),  # no assignment row at all (republished elsewhere): applied
    ]
    current = {"new": "L1", "moved-on": "L2", "done": "L1", "re-routed": "L2", "no-ghl": "L1"}
    synced = {"done": row("done", "L1"), "re-routed": row("re-routed", "L1")}
    plan = plan_syncs(events, current, synced)
    assert [e.lead_id for e in plan.apply] == ["new", "re-routed", "unknown"]
    assert [(e.lead_id, r.location_contact_id) for e, r in plan.done] == [("done", "c-done")]
    assert [e.lead_id for e in plan.stale] == ["moved-on"]
    assert [e.lead_id for e in plan.no_ghl_location] == ["no-ghl"]


def test_a_lead_whose_assignment_was_cleared_is_stale() -> None:
    assert [e.lead_id for e in plan_syncs([assigned("a", "L1")], {"a": None}, {}).stale] == ["a"]


def test_any_transient_failure_makes_the_batch_retry() -> None:
    failed = [FailedLead("a", GhlNotFound("gone", 404)), FailedLead("b", GhlRateLimited("429", 429))]
    with pytest.raises(TransientError, match="2 of 5 leads failed"):
        raise_for_failures(failed, total=5)


def test_only_rejections_make_the_batch_permanent() -> None:
    failed = [FailedLead("a", GhlNotFound("gone", 404)), FailedLead("b", GhlValidationError("bad", 422))]
    with pytest.raises(PermanentError, match="all rejected"):
        raise_for_failures(failed, total=3)


def test_a_bug_surfaces_as_itself_when_nothing_is_transient() -> None:
    failed = [FailedLead("a", GhlNotFound("gone", 404)), FailedLead("b", KeyError("firstName"))]
    with pytest.raises(KeyError):
        raise_for_failures(failed, total=2)
