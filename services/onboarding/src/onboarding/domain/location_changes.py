"""Operator changes to a live location (capacity, hours, closed dates, territory, routing weight,
radius override, pause/resume/offboard): the
cells are validated by the same checks as the import CSV, the status moves only along allowed
transitions, and every change is described field by field (old → new) for the audit and dry runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from leadflow_common.events.locations import BusinessHours, DayHours
from leadflow_common.events.onboarding import LocationDraft
from onboarding.domain import fields
from onboarding.domain.columns import COLUMNS, Column
from onboarding.domain.hours import HoursError, describe_hours, parse_closed_dates, parse_weekly_hours
from onboarding.domain.saga import SagaStatus
from onboarding.domain.validation import (
    radius_override_miles,
    routing_weight,
    territory_overlaps,
    territory_zips,
)

_BY_FIELD = {c.field: c for c in COLUMNS}
STATUS_COLUMN = Column("status", "Status", False)
# What an operator may change, in the order diffs list them; headers are the import CSV's.
EDITABLE: tuple[Column, ...] = (
    *(
        Column(f, _BY_FIELD[f].header, False)
        for f in (
            "daily_capacity",
            "hours",
            "closed_dates",
            "territory_zips",
            "routing_weight",
            "radius_override_miles",
        )
    ),
    STATUS_COLUMN,
)
KEY_COLUMN = _BY_FIELD["franchise_code"]


class Action(StrEnum):
    UPDATE = "update"
    PAUSE = "pause"
    RESUME = "resume"
    OFFBOARD = "offboard"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    message: str


class ChangeInvalid(ValueError):
    """One or more cells are invalid; ``problems`` name each field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


class ChangeConflict(Exception):
    """The change contradicts the location's state (e.g. pausing an offboarded location)."""


@dataclass(frozen=True, slots=True)
class Edit:
    """A validated change; None means "leave as it is"."""

    daily_capacity: int | None = None
    weekly: dict[int, list[DayHours]] | None = None
    closed_dates: list[date] | None = None
    status: SagaStatus | None = None  # ACTIVE (resume) or PAUSED (pause)
    territory_zips: list[str] | None = None  # [] gives the territory up
    routing_weight: float | None = None
    radius_override_miles: float | None = None  # CLEAR_RADIUS: back to the router's radius steps

    @property
    def empty(self) -> bool:
        values = (self.daily_capacity, self.weekly, self.closed_dates, self.status, self.territory_zips,
                  self.routing_weight, self.radius_override_miles)  # fmt: skip
        return all(v is None for v in values)


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: str
    new: str


# An override is positive, so 0 can stand for "remove it" in an Edit (None already means unchanged).
CLEAR_RADIUS = 0.0
_CLEAR_WORDS = frozenset({"", "none"})  # "none" lets a bulk file (whose blanks mean no change) clear it

_STATUS_VALUES = {"active": SagaStatus.ACTIVE, "paused": SagaStatus.PAUSED}


def _status(value: str) -> SagaStatus:
    status = _STATUS_VALUES.get(value.strip().casefold())
    if status is None:
        raise fields.FieldError(f"status must be active or paused, got {value!r} (offboard explicitly)")
    return status


def parse_edit(cells: Mapping[str, str | None], *, blank_is_unchanged: bool) -> Edit:
    """``cells``: field name → text as in the CSV. A missing (None) cell leaves the field alone; an
    empty one clears hours, closed dates or the territory, unless ``blank_is_unchanged`` (bulk CSVs,
    whose empty cells mean "no change"). Raises ChangeInvalid naming every bad field."""
    unknown = sorted(set(cells) - {c.field for c in EDITABLE})
    problems = [FieldProblem(name, "not a field that can be changed") for name in unknown]
    values: dict[str, object] = {}
    for column in EDITABLE:
        raw = cells.get(column.field)
        if raw is None or (blank_is_unchanged and not raw.strip()):
            continue
        try:
            values[column.field] = _parse_cell(column.field, raw)
        except (fields.FieldError, HoursError) as exc:
            problems.append(FieldProblem(column.field, str(exc)))
    if problems:
        raise ChangeInvalid(problems)
    return Edit(
        daily_capacity=values.get("daily_capacity"),  # type: ignore[arg-type]
        weekly=values.get("hours"),  # type: ignore[arg-type]
        closed_dates=values.get("closed_dates"),  # type: ignore[arg-type]
        status=values.get("status"),  # type: ignore[arg-type]
        territory_zips=values.get("territory_zips"),  # type: ignore[arg-type]
        routing_weight=values.get("routing_weight"),  # type: ignore[arg-type]
        radius_override_miles=values.get("radius_override_miles"),  # type: ignore[arg-type]
    )


def _parse_cell(field: str, raw: str) -> object:
    if field == "daily_capacity":
        return fields.capacity(raw)
    if field == "hours":
        return parse_weekly_hours(raw)
    if field == "closed_dates":
        return parse_closed_dates(raw)
    if field == "territory_zips":
        return territory_zips(raw)
    if field == "routing_weight":
        return routing_weight(raw.strip())
    if field == "radius_override_miles":
        text = raw.strip()
        return CLEAR_RADIUS if text.casefold() in _CLEAR_WORDS else radius_override_miles(text)
    return _status(raw)


def apply_edit(draft: LocationDraft, edit: Edit) -> LocationDraft:
    """The draft with the edit's fields replaced (status is not part of the draft)."""
    current = draft.business_hours or BusinessHours()
    weekly = current.weekly if edit.weekly is None else edit.weekly
    closed = current.closed_dates if edit.closed_dates is None else edit.closed_dates
    hours = BusinessHours(weekly=weekly, closed_dates=closed) if weekly or closed else None
    capacity = draft.daily_capacity if edit.daily_capacity is None else edit.daily_capacity
    update: dict[str, object] = {"daily_capacity": capacity, "business_hours": hours}
    if edit.territory_zips is not None:
        update["territory_zips"] = edit.territory_zips
    if edit.routing_weight is not None:
        update["routing_weight"] = edit.routing_weight
    if edit.radius_override_miles is not None:
        update["radius_override_miles"] = edit.radius_override_miles or None  # CLEAR_RADIUS → None
    return draft.model_copy(update=update)


def describe_closed(hours: BusinessHours | None) -> str:
    return "; ".join(d.isoformat() for d in (hours.closed_dates if hours else []))


def field_texts(draft: LocationDraft, status: SagaStatus) -> dict[str, str]:
    """Each editable field as CSV text: what diffs and the audit show."""
    return {
        "daily_capacity": str(draft.daily_capacity),
        "hours": describe_hours(draft.business_hours),
        "closed_dates": describe_closed(draft.business_hours),
        "territory_zips": "; ".join(draft.territory_zips),
        "routing_weight": f"{draft.routing_weight:g}",
        "radius_override_miles": _miles(draft.radius_override_miles),
        "status": status.value,
    }


def _miles(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def claims_territory(before: LocationDraft, after: LocationDraft) -> list[str]:
    """The zips ``after`` owns that ``before`` did not: the ones to check against other owners
    (keeping or shrinking a territory claims nothing)."""
    return sorted(set(after.territory_zips) - set(before.territory_zips))


def check_territory(code: str, claimed: list[str], owners: Mapping[str, str]) -> None:
    """ChangeConflict naming both owners and every zip when another location owns any of ``claimed``."""
    overlaps = territory_overlaps(code, claimed, owners)
    if overlaps:
        raise ChangeConflict("; ".join(overlaps))


def diff(
    before: LocationDraft, before_status: SagaStatus, after: LocationDraft, after_status: SagaStatus
) -> list[FieldChange]:
    old, new = field_texts(before, before_status), field_texts(after, after_status)
    return [
        FieldChange(c.field, old[c.field], new[c.field]) for c in EDITABLE if old[c.field] != new[c.field]
    ]


_ONBOARDING = frozenset({SagaStatus.PENDING, SagaStatus.RUNNING})


def check_editable(status: SagaStatus) -> None:
    """Settings of offboarded locations are frozen; a saga in flight writes the whole location back,
    so it would undo the change."""
    if status is SagaStatus.OFFBOARDED:
        raise ChangeConflict("the location is offboarded: its settings can no longer be changed")
    if status in _ONBOARDING:
        raise ChangeConflict(
            f"onboarding is in progress (status {status.value}): change it once it is active"
        )


def next_status(action: Action, status: SagaStatus, wanted: SagaStatus | None = None) -> SagaStatus:
    """The status after ``action``, or ChangeConflict with the reason. An UPDATE may carry a status
    (``wanted``), which is a pause or a resume."""
    if action is Action.UPDATE:
        check_editable(status)
        if wanted is None or wanted is status:
            return status
        action = Action.PAUSE if wanted is SagaStatus.PAUSED else Action.RESUME
    if action is Action.PAUSE:
        if status is SagaStatus.PAUSED:
            raise ChangeConflict("the location is already paused")
        if status is not SagaStatus.ACTIVE:
            raise ChangeConflict(f"only an active location can be paused (status {status.value})")
        return SagaStatus.PAUSED
    if action is Action.RESUME:
        if status is not SagaStatus.PAUSED:
            raise ChangeConflict(f"the location is not paused (status {status.value})")
        return SagaStatus.ACTIVE
    if status is SagaStatus.OFFBOARDED:
        raise ChangeConflict("the location is already offboarded")
    if status in _ONBOARDING:
        raise ChangeConflict(f"onboarding is in progress (status {status.value}): wait until it ends")
    return SagaStatus.OFFBOARDED


def check_until(until: date | None, today: date) -> None:
    """A pause's end date must lie ahead (the location resumes on that date)."""
    if until is not None and until <= today:
        raise ChangeInvalid([FieldProblem("until", f"{until.isoformat()} is not after today ({today})")])
