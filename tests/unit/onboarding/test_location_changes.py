"""Operator changes: the import's validators on every field, the status transitions, the diff,
and bulk CSVs checked per row and column."""

from __future__ import annotations

from datetime import date

import pytest

from leadflow_common.events.locations import BusinessHours, DayHours
from leadflow_common.events.onboarding import LocationDraft
from onboarding.directory.service import plan
from onboarding.domain.bulk_changes import parse_bulk
from onboarding.domain.location import Location
from onboarding.domain.location_changes import (
    Action,
    ChangeConflict,
    ChangeInvalid,
    Edit,
    FieldChange,
    apply_edit,
    check_until,
    diff,
    next_status,
    parse_edit,
)
from onboarding.domain.saga import SagaStatus

DRAFT = LocationDraft(
    name="FitNation Austin #1", address="1 Main St", city="Austin", state="TX", postal_code="78701",
    phone="+15125550100", email="a@fitnation.example.com", manager_name="Ana Ruiz",
    manager_email="ana@fitnation.example.com", daily_capacity=40, franchise_code="FIT-0001",
    business_hours=BusinessHours(weekly={0: [DayHours(opens="06:00", closes="21:00")]},
                                 closed_dates=[date(2026, 12, 25)]),
)  # fmt: skip


def problems(cells: dict[str, str | None], blank_is_unchanged: bool = False) -> dict[str, str]:
    with pytest.raises(ChangeInvalid) as caught:
        parse_edit(cells, blank_is_unchanged=blank_is_unchanged)
    return {p.field: p.message for p in caught.value.problems}


def test_every_bad_field_is_named_with_the_import_csv_message() -> None:
    found = problems({"daily_capacity": "0", "hours": "Mon 9-5", "closed_dates": "12/25", "status": "gone"})
    assert found["daily_capacity"] == "capacity must be positive, got 0"
    assert "HH:MM-HH:MM" in found["hours"]
    assert "ISO date" in found["closed_dates"]
    assert "active or paused" in found["status"]
    assert problems({"radius": "10"}) == {"radius": "not a field that can be changed"}
    assert "whole number" in problems({"daily_capacity": "ten"})["daily_capacity"]


def test_valid_cells_become_an_edit_and_none_leaves_a_field_alone() -> None:
    edit = parse_edit({"daily_capacity": " 25 ", "hours": None, "status": "Paused"}, blank_is_unchanged=False)
    assert edit == Edit(daily_capacity=25, status=SagaStatus.PAUSED)
    assert parse_edit({}, blank_is_unchanged=False).empty


def test_empty_cell_clears_in_an_update_but_means_unchanged_in_a_bulk_file() -> None:
    cleared = parse_edit({"closed_dates": ""}, blank_is_unchanged=False)
    assert cleared.closed_dates == []
    after = apply_edit(DRAFT, cleared)
    assert after.business_hours is not None and after.business_hours.closed_dates == []
    assert after.business_hours.weekly == DRAFT.business_hours.weekly  # type: ignore[union-attr]
    assert parse_edit({"closed_dates": " "}, blank_is_unchanged=True).empty
    gone = apply_edit(after, parse_edit({"hours": ""}, blank_is_unchanged=False))
    assert gone.business_hours is None  # nothing left: no hours at all, as the import does


def test_diff_lists_old_and_new_as_csv_text() -> None:
    edit = parse_edit(
        {"daily_capacity": "12", "closed_dates": "2026-12-24; 2026-12-25"}, blank_is_unchanged=False
    )
    after = apply_edit(DRAFT, edit)
    assert diff(DRAFT, SagaStatus.ACTIVE, after, SagaStatus.PAUSED) == [
        FieldChange("daily_capacity", "40", "12"),
        FieldChange("closed_dates", "2026-12-25", "2026-12-24; 2026-12-25"),
        FieldChange("status", "active", "paused"),
    ]
    assert diff(DRAFT, SagaStatus.ACTIVE, DRAFT, SagaStatus.ACTIVE) == []


@pytest.mark.parametrize(
    ("action", "status", "reason"),
    [
        (Action.PAUSE, SagaStatus.OFFBOARDED, "only an active location can be paused (status offboarded)"),
        (Action.PAUSE, SagaStatus.PAUSED, "the location is already paused"),
        (Action.PAUSE, SagaStatus.QUARANTINED, "only an active location can be paused (status quarantined)"),
        (Action.RESUME, SagaStatus.ACTIVE, "the location is not paused (status active)"),
        (Action.RESUME, SagaStatus.OFFBOARDED, "the location is not paused (status offboarded)"),
        (Action.OFFBOARD, SagaStatus.OFFBOARDED, "the location is already offboarded"),
        (
            Action.OFFBOARD,
            SagaStatus.RUNNING,
            "onboarding is in progress (status running): wait until it ends",
        ),
        (
            Action.UPDATE,
            SagaStatus.OFFBOARDED,
            "the location is offboarded: its settings can no longer be changed",
        ),
        (
            Action.UPDATE,
            SagaStatus.PENDING,
            "onboarding is in progress (status pending): change it once it is active",
        ),
    ],
)
def test_conflicting_transitions_are_refused_with_the_reason(
    action: Action, status: SagaStatus, reason: str
) -> None:
    with pytest.raises(ChangeConflict, match=reason.replace("(", r"\(").replace(")", r"\)")):
        next_status(action, status)


def test_allowed_transitions() -> None:
    assert next_status(Action.PAUSE, SagaStatus.ACTIVE) is SagaStatus.PAUSED
    assert next_status(Action.RESUME, SagaStatus.PAUSED) is SagaStatus.ACTIVE
    assert next_status(Action.OFFBOARD, SagaStatus.PAUSED) is SagaStatus.OFFBOARDED
    assert next_status(Action.UPDATE, SagaStatus.QUARANTINED) is SagaStatus.QUARANTINED
    assert next_status(Action.UPDATE, SagaStatus.ACTIVE, SagaStatus.PAUSED) is SagaStatus.PAUSED
    assert next_status(Action.UPDATE, SagaStatus.PAUSED, SagaStatus.PAUSED) is SagaStatus.PAUSED
    with pytest.raises(ChangeConflict, match="not paused"):
        next_status(Action.UPDATE, SagaStatus.QUARANTINED, SagaStatus.ACTIVE)


def test_plan_changes_only_what_the_action_allows() -> None:
    location = Location("FIT-0001", DRAFT, status=SagaStatus.ACTIVE)
    paused = plan(location, Action.PAUSE, Edit(daily_capacity=5))  # a pause ignores edits
    assert paused.after.draft == DRAFT and paused.after.status is SagaStatus.PAUSED
    assert paused.changes == [FieldChange("status", "active", "paused")]
    assert location.status is SagaStatus.ACTIVE  # the current state is left untouched


def test_pause_end_must_lie_ahead() -> None:
    check_until(None, date(2026, 12, 1))
    check_until(date(2026, 12, 2), date(2026, 12, 1))
    with pytest.raises(ChangeInvalid, match="until"):
        check_until(date(2026, 12, 1), date(2026, 12, 1))


def test_bulk_file_reports_every_problem_with_row_and_column() -> None:
    headers = ["franchise code", "Capacity Limit", "closed dates", "STATUS"]
    rows = [
        {"franchise code": "fit-0001", "Capacity Limit": "30", "closed dates": "", "STATUS": ""},
        {"franchise code": "", "Capacity Limit": "-1", "closed dates": "", "STATUS": ""},
        {"franchise code": "FIT-0001", "Capacity Limit": "", "closed dates": "", "STATUS": "paused"},
        {"franchise code": "", "Capacity Limit": "", "closed dates": "", "STATUS": ""},  # blank line
        {"franchise code": "FIT-0003", "Capacity Limit": "", "closed dates": "tomorrow", "STATUS": "closed"},
    ]
    parsed = parse_bulk(headers, rows)
    assert [(r.row, r.location_id, r.edit) for r in parsed.rows] == [(2, "FIT-0001", Edit(daily_capacity=30))]
    assert {(e.row, e.column) for e in parsed.errors} == {
        (3, "Franchise Code"),
        (3, "Capacity Limit"),
        (4, "Franchise Code"),  # duplicate of row 2
        (6, "Closed Dates"),
        (6, "Status"),
    }
    assert next(e.message for e in parsed.errors if e.row == 4) == "duplicate of row 2"


def test_bulk_file_needs_the_key_and_a_column_to_change() -> None:
    missing = parse_bulk(["Capacity Limit"], [{"Capacity Limit": "3"}])
    assert [(e.row, e.column) for e in missing.errors] == [(1, "Franchise Code")]
    nothing = parse_bulk(["Franchise Code", "Phone"], [{"Franchise Code": "FIT-1", "Phone": "x"}])
    assert "no column to change" in nothing.errors[0].message
