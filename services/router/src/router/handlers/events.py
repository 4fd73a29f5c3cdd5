"""Turning stored or fresh decisions into leads.assigned.v1 events with deterministic ids, so a
republished decision is recognisably the same event downstream."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from leadflow_common.events.envelope import EventPayload
from leadflow_common.events.leads import LeadAssigned, LeadContact, LeadUnassigned, RouteCandidate
from router.domain.rules import ACTIVE, EXCLUDED, Candidate

EVENT_NAMESPACE = uuid.UUID("5b0d6f0e-4c55-4d0b-9a3a-0f6a1c2d7e11")


def assigned_event_id(lead_id: str) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, f"decided:{lead_id}")


def synced_event_id(lead_id: str) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, f"synced:{lead_id}")


def route_candidates(candidates: tuple[Candidate, ...] | list[Candidate]) -> list[RouteCandidate]:
    return [
        RouteCandidate(
            location_id=c.location_id,
            distance_miles=c.distance_miles,
            reserved_today=c.reserved,
            daily_capacity=c.daily_capacity,
            eligible=c.eligible,
            reason=None if c.eligible else _ineligible_reason(c.status),
        )
        for c in candidates
    ]


def candidate_dicts(candidates: tuple[Candidate, ...] | list[Candidate]) -> list[dict[str, Any]]:
    """``route_candidates`` as JSON-ready dicts (the hot path's payloads skip pydantic)."""
    return [
        {
            "location_id": c.location_id,
            "distance_miles": c.distance_miles,
            "reserved_today": c.reserved,
            "daily_capacity": c.daily_capacity,
            "eligible": c.eligible,
            "reason": None if c.eligible else _ineligible_reason(c.status),
        }
        for c in candidates
    ]


def decision_event(
    row: dict[str, Any], candidates: list[dict[str, Any]], contact: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """(event type, payload) of ``decision_payload`` as a JSON-ready dict: the same document as
    ``decision_payload(row, ...).model_dump(mode="json")`` (a unit test holds them equal)."""
    common = {
        "lead_id": row["lead_id"],
        "source_location_id": row["source_location_id"],
        "score": row["score"],
        "geocode_method": row["geocode_method"],
        "decided_at": row["decided_at"],
        "candidates": candidates,
        "policy_version": row.get("policy_version"),
    }
    if row["location_id"] is None:
        reason = row["reason"] or "unassigned"
        return LeadUnassigned.EVENT_TYPE, {
            **common,
            "reason": reason,
            "state": row["state"],
            "reasons": [reason],
        }
    reasons = [f"rule {row['rule']}", f"geocoded by {row['geocode_method']}"]
    if row.get("hours_note"):
        reasons.append(row["hours_note"])
    return LeadAssigned.EVENT_TYPE, {
        **common,
        "location_id": row["location_id"],
        "ghl_location_id": row["ghl_location_id"],
        "rule": row["rule"],
        "distance_miles": row["distance_miles"],
        "capacity_date": row["capacity_date"],
        "reasons": reasons,
        "contact": contact,
    }


def _ineligible_reason(status: str) -> str:
    if status == EXCLUDED:
        return "already_had_lead"
    return "inactive" if status != ACTIVE else "at_capacity"


def decision_payload(
    row: dict[str, Any], candidates: list[RouteCandidate], contact: LeadContact | None = None
) -> EventPayload:
    """LeadAssigned or LeadUnassigned from an ``assignments`` row (``contact``: what the sync copies)."""
    decided_at: datetime = row["decided_at"]
    if row["location_id"] is None:
        return LeadUnassigned(
            lead_id=row["lead_id"],
            source_location_id=row["source_location_id"],
            reason=row["reason"] or "unassigned",
            score=row["score"],
            geocode_method=row["geocode_method"],
            state=row["state"],
            decided_at=decided_at,
            candidates=candidates,
            reasons=[row["reason"] or "unassigned"],
            policy_version=row.get("policy_version"),
        )
    capacity_date: date = row["capacity_date"]
    return LeadAssigned(
        lead_id=row["lead_id"],
        source_location_id=row["source_location_id"],
        location_id=row["location_id"],
        ghl_location_id=row["ghl_location_id"],
        rule=row["rule"],
        distance_miles=row["distance_miles"],
        score=row["score"],
        geocode_method=row["geocode_method"],
        capacity_date=capacity_date,
        decided_at=decided_at,
        candidates=candidates,
        reasons=[f"rule {row['rule']}", f"geocoded by {row['geocode_method']}"]
        + ([row["hours_note"]] if row.get("hours_note") else []),
        contact=contact,
        policy_version=row.get("policy_version"),
    )
