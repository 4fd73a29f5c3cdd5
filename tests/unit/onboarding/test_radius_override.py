"""The per-location radius override: the import CSV's 'Radius Override Miles' column (positive, at
most 200 mi), carried to the draft and the profile; as an operator change, set, cleared with "" (or
"none" in a bulk file, whose blanks mean no change), diffed for the audit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onboarding.domain.bulk_changes import parse_bulk
from onboarding.domain.location import Location, to_profile
from onboarding.domain.location_changes import ChangeInvalid, Edit, FieldChange, apply_edit, diff, parse_edit
from onboarding.domain.saga import SagaStatus
from onboarding.domain.validation import validate_rows
from tests.unit.onboarding.test_location_territory import DRAFT
from tests.unit.onboarding.test_validation import HEADERS, good_row

COLUMNS = [*HEADERS, "Radius Override Miles"]


def row(n: int, miles: str) -> dict[str, str]:
    return good_row(**{"location name": f"FitNation {n}", "Franchise Code": f"FIT-{n:04d}",
                       "Radius Override Miles": miles})  # fmt: skip


def test_the_column_reaches_the_draft_and_the_profile_and_is_optional() -> None:
    report = validate_rows(COLUMNS, [row(1, " 7.5 "), row(2, "")])
    assert report.ok, report.errors
    first, second = (v.draft for v in report.valid)
    assert (first.radius_override_miles, second.radius_override_miles) == (7.5, None)
    profile = to_profile(Location("FIT-0001", first), datetime(2026, 6, 1, tzinfo=UTC), "America/Chicago")
    assert profile.radius_override_miles == 7.5
    assert validate_rows(HEADERS, [good_row()]).valid[0].draft.radius_override_miles is None


@pytest.mark.parametrize("miles", ["0", "-3", "201", "far", "nan", "inf"])
def test_a_bad_override_is_refused_with_row_and_column(miles: str) -> None:
    report = validate_rows(COLUMNS, [row(1, miles)])
    assert [(e.row, e.column) for e in report.errors] == [(2, "Radius Override Miles")]
    assert "radius override" in report.errors[0].message


def test_an_update_sets_and_clears_it_and_the_diff_names_both_values() -> None:
    edit = parse_edit({"radius_override_miles": "5"}, blank_is_unchanged=False)
    assert edit == Edit(radius_override_miles=5.0)
    narrowed = apply_edit(DRAFT, edit)
    assert narrowed.radius_override_miles == 5.0
    assert diff(DRAFT, SagaStatus.ACTIVE, narrowed, SagaStatus.ACTIVE) == [
        FieldChange("radius_override_miles", "", "5")
    ]
    cleared = apply_edit(narrowed, parse_edit({"radius_override_miles": ""}, blank_is_unchanged=False))
    assert cleared.radius_override_miles is None
    assert diff(narrowed, SagaStatus.ACTIVE, cleared, SagaStatus.ACTIVE) == [
        FieldChange("radius_override_miles", "5", "")
    ]
    with pytest.raises(ChangeInvalid) as caught:
        parse_edit({"radius_override_miles": "250"}, blank_is_unchanged=False)
    assert [p.field for p in caught.value.problems] == ["radius_override_miles"]


def test_a_bulk_file_leaves_blanks_alone_and_clears_with_none() -> None:
    headers = ["Franchise Code", "Radius Override Miles"]
    rows = [
        {"Franchise Code": "NYC-0001", "Radius Override Miles": "12"},
        {"Franchise Code": "NYC-0002", "Radius Override Miles": ""},
        {"Franchise Code": "NYC-0003", "Radius Override Miles": "None"},
    ]
    parsed = parse_bulk(headers, rows)
    assert not parsed.errors
    assert [(r.location_id, r.edit.radius_override_miles) for r in parsed.rows] == [
        ("NYC-0001", 12.0), ("NYC-0002", None), ("NYC-0003", 0.0)
    ]  # fmt: skip
    assert parsed.rows[1].edit.empty
    assert apply_edit(DRAFT.model_copy(update={"radius_override_miles": 9.0}), parsed.rows[2].edit) == DRAFT
