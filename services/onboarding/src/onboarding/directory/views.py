"""What the location-management API answers (and the CLI prints as JSON)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel

from leadflow_common.events.locations import BusinessHours
from onboarding.directory.bulk import BulkReport
from onboarding.directory.repository import ChangeRow, Pause
from onboarding.directory.service import Outcome
from onboarding.domain.hours import describe_hours
from onboarding.domain.location import Location
from onboarding.domain.location_changes import FieldChange, describe_closed


class PauseView(BaseModel):
    reason: str | None
    until: date | None
    paused_at: datetime
    paused_by: str


class LocationSettings(BaseModel):
    location_id: str
    name: str
    status: str
    city: str
    state: str
    postal_code: str
    region: str | None
    ghl_location_id: str | None
    daily_capacity: int
    hours: str
    closed_dates: str
    business_hours: BusinessHours | None
    territory_zips: list[str]
    routing_weight: float
    radius_override_miles: float | None
    pause: PauseView | None
    updated_at: datetime | None


class LocationPage(BaseModel):
    items: list[LocationSettings]
    next_cursor: str | None  # pass as ``cursor`` for the next page; None on the last one


class FieldChangeView(BaseModel):
    field: str
    old: str
    new: str


class ChangeResult(BaseModel):
    change_id: uuid.UUID
    changes: list[FieldChangeView]
    location: LocationSettings


class HistoryEntry(BaseModel):
    id: int
    change_id: uuid.UUID
    changed_at: datetime
    actor: str
    action: str
    field: str
    old: str
    new: str
    reason: str | None


class History(BaseModel):
    items: list[HistoryEntry]
    next_before: int | None


class RowErrorView(BaseModel):
    row: int
    column: str
    message: str


class DiffView(BaseModel):
    row: int
    location_id: str
    field: str
    old: str
    new: str


class BulkResult(BaseModel):
    rows: int
    applied: bool
    change_id: uuid.UUID | None
    errors: list[RowErrorView]
    diff: list[DiffView]


def settings_view(location: Location, pause: Pause | None) -> LocationSettings:
    draft = location.draft
    return LocationSettings(
        location_id=location.location_id,
        name=draft.name,
        status=location.status.value,
        city=draft.city,
        state=draft.state,
        postal_code=draft.postal_code,
        region=draft.region,
        ghl_location_id=location.ghl_location_id,
        daily_capacity=draft.daily_capacity,
        hours=describe_hours(draft.business_hours),
        closed_dates=describe_closed(draft.business_hours),
        business_hours=draft.business_hours,
        territory_zips=draft.territory_zips,
        routing_weight=draft.routing_weight,
        radius_override_miles=draft.radius_override_miles,
        pause=PauseView(
            reason=pause.reason, until=pause.until, paused_at=pause.paused_at, paused_by=pause.paused_by
        )
        if pause
        else None,
        updated_at=location.updated_at,
    )


def _change(c: FieldChange) -> FieldChangeView:
    return FieldChangeView(field=c.field, old=c.old, new=c.new)


def change_result(outcome: Outcome) -> ChangeResult:
    return ChangeResult(
        change_id=outcome.change_id,
        changes=[_change(c) for c in outcome.changes],
        location=settings_view(outcome.location, outcome.pause),
    )


def history_view(rows: list[ChangeRow], limit: int) -> History:
    items = [
        HistoryEntry(
            id=r.id,
            change_id=r.change_id,
            changed_at=r.changed_at,
            actor=r.actor,
            action=r.action,
            field=r.field,
            old=r.old_value,
            new=r.new_value,
            reason=r.reason,
        )
        for r in rows
    ]
    return History(items=items, next_before=items[-1].id if len(items) == limit else None)


def bulk_result(report: BulkReport) -> BulkResult:
    return BulkResult(
        rows=report.rows,
        applied=report.applied,
        change_id=report.change_id,
        errors=[RowErrorView(row=e.row, column=e.column, message=e.message) for e in report.errors],
        diff=[
            DiffView(
                row=d.row, location_id=d.location_id, field=d.change.field, old=d.change.old, new=d.change.new
            )
            for d in report.diffs
        ],
    )
