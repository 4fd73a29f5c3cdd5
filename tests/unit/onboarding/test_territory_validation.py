"""The 'Territory Zips' and 'Routing Weight' CSV columns: parsed, carried to the draft and profile,
and an overlap refused naming both owners (within the file and against the known locations)."""

from __future__ import annotations

from datetime import UTC, datetime

from onboarding.domain.location import Location, to_profile
from onboarding.domain.validation import known_from, territory_overlaps, validate_rows
from tests.unit.onboarding.test_validation import HEADERS, good_row

COLUMNS = [*HEADERS, "Territory Zips", "Routing Weight"]


def row(n: int, zips: str, weight: str = "") -> dict[str, str]:
    return good_row(**{"location name": f"FitNation {n}", "Franchise Code": f"FIT-{n:04d}",
                       "Territory Zips": zips, "Routing Weight": weight})  # fmt: skip


def test_zips_are_parsed_and_reach_the_profile() -> None:
    report = validate_rows(COLUMNS, [row(1, "78701; 78702-1234,78703 78701", "2.5")])
    assert report.ok, report.errors
    draft = report.valid[0].draft
    assert (draft.territory_zips, draft.routing_weight) == (["78701", "78702", "78703"], 2.5)
    profile = to_profile(Location("FIT-0001", draft), datetime(2026, 6, 1, tzinfo=UTC), "America/Chicago")
    assert (profile.territory_zips, profile.routing_weight) == (["78701", "78702", "78703"], 2.5)


def test_without_the_columns_nothing_changes() -> None:
    report = validate_rows(HEADERS, [good_row()])
    assert report.ok
    assert (report.valid[0].draft.territory_zips, report.valid[0].draft.routing_weight) == ([], 1.0)


def test_overlap_inside_the_file_names_both_owners() -> None:
    report = validate_rows(COLUMNS, [row(1, "78701;78702"), row(2, "78703"), row(3, "78702; 78704")])
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (4, "Territory Zips", "zip 78702 is claimed by FIT-0003 but already owned by FIT-0001 (row 2)")
    ]
    assert [v.row for v in report.valid] == [2, 3]


def test_overlap_with_a_known_location_names_both_owners() -> None:
    known = known_from([], [], territories=[("78701", "fit-0007")])
    report = validate_rows(COLUMNS, [row(1, "78701")], known)
    assert [e.message for e in report.errors] == [
        "zip 78701 is claimed by FIT-0001 but already owned by FIT-0007"
    ]
    assert not report.valid


def test_bad_cells_name_the_column() -> None:
    report = validate_rows(COLUMNS, [row(1, "78701;123"), row(2, "00000"), row(3, "78705", "0"),
                                     row(4, "78706", "lots")])  # fmt: skip
    by_row = {e.row: (e.column, e.message) for e in report.errors}
    assert by_row[2][0] == "Territory Zips" and "123" in by_row[2][1]
    assert by_row[3] == ("Territory Zips", "zip code 00000 does not exist")
    assert by_row[4][0] == "Routing Weight" and by_row[5][0] == "Routing Weight"


def test_territory_overlaps_is_reusable_for_api_changes() -> None:
    owners = {"78701": "FIT-0007", "78702": "FIT-0001"}
    assert territory_overlaps("FIT-0001", ["78701", "78702", "78799"], owners) == [
        "zip 78701 is claimed by FIT-0001 but already owned by FIT-0007"
    ]
