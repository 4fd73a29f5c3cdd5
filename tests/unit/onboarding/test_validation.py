from pathlib import Path

from onboarding.csv_source import read_csv
from onboarding.domain.validation import KnownLocations, known_from, validate_rows

SAMPLES = Path(__file__).resolve().parents[3] / "services" / "onboarding" / "samples"
HEADERS = [
    "location name",
    "ADDRESS",
    "City",
    "state",
    "ZipCode",
    "phone",
    "Email",
    "Manager  Name",
    "manager_email",
    "Capacity Limit",
    "Franchise Code",
    "Timezone",
    "Hours",
]


def good_row(**overrides: str) -> dict[str, str]:
    row = {
        "location name": "FitNation Austin Downtown",
        "ADDRESS": "100 Congress Ave",
        "City": "Austin",
        "state": "tx",
        "ZipCode": "78701",
        "phone": "(512) 555-0100",
        "Email": "austin@fitnation.example.com",
        "Manager  Name": "Ana Ruiz",
        "manager_email": "ana@fitnation.example.com",
        "Capacity Limit": "40",
        "Franchise Code": "fit-0100",
        "Timezone": "",
        "Hours": "Mon-Fri 06:00-21:00",
    }
    return {**row, **overrides}


def test_headers_match_case_and_space_insensitively() -> None:
    report = validate_rows(HEADERS, [good_row()])
    assert report.ok, report.errors
    draft = report.valid[0].draft
    assert draft.franchise_code == "FIT-0100"
    assert draft.state == "TX"
    assert draft.phone == "+15125550100"
    assert draft.business_hours is not None and 0 in draft.business_hours.weekly


def test_every_problem_reported_with_row_and_column() -> None:
    rows = [
        good_row(),
        good_row(
            **{
                "Email": "nope",
                "ZipCode": "10001",
                "Capacity Limit": "0",
                "Franchise Code": "FIT-0101",
                "location name": "Second",
            }
        ),
        good_row(**{"Timezone": "Mars/Base", "Franchise Code": "FIT-0100", "location name": "Third"}),
    ]
    report = validate_rows(HEADERS, rows)
    got = {(e.row, e.column) for e in report.errors}
    assert got == {
        (3, "Email"),
        (3, "Zip Code"),
        (3, "Capacity Limit"),
        (4, "Timezone"),
        (4, "Franchise Code"),
    }
    assert not report.ok
    assert [v.row for v in report.valid] == [2]


def test_missing_required_column_is_a_header_error() -> None:
    headers = [h for h in HEADERS if h != "phone"]
    report = validate_rows(headers, [good_row()])
    assert [(e.row, e.column) for e in report.errors] == [(1, "Phone")]


def test_duplicates_against_known_locations() -> None:
    known = known_from(["fitnation  austin DOWNTOWN"], ["FIT-0007"])
    report = validate_rows(
        HEADERS, [good_row(), good_row(**{"Franchise Code": "fit-0007", "location name": "X"})], known
    )
    assert {(e.row, e.column) for e in report.errors} == {(2, "Location Name"), (3, "Franchise Code")}


def test_empty_file_is_not_ok() -> None:
    assert not validate_rows(HEADERS, [], KnownLocations()).ok


def test_sample_files() -> None:
    clean = read_csv(SAMPLES / "locations.csv")
    assert validate_rows(clean.headers, clean.rows).ok
    broken = read_csv(SAMPLES / "locations_broken.csv")
    report = validate_rows(broken.headers, broken.rows)
    assert report.rows_with_errors() == 10
    assert {e.row for e in report.errors} == {4, 7, 11, 14, 22, 32, 42, 52, 62, 72}
    existing = read_csv(SAMPLES / "existing_locations.csv")
    adopt = validate_rows(existing.headers, existing.rows, adopt=True)
    assert adopt.ok and all(v.ghl_location_id for v in adopt.valid)


def test_hours_and_closed_dates_errors_name_their_own_column() -> None:
    headers = [*HEADERS, "Closed Dates"]
    report = validate_rows(headers, [good_row(**{"Hours": "Mon 9-5", "Closed Dates": "Christmas"})])
    assert {(e.row, e.column) for e in report.errors} == {(2, "Hours"), (2, "Closed Dates")}


def test_names_of_live_ghl_sub_accounts() -> None:
    known = known_from([], [], [("FitNation Austin  Downtown", "gLive0001")])
    report = validate_rows(HEADERS, [good_row()], known)
    assert [(e.row, e.column) for e in report.errors] == [(2, "Location Name")]
    assert "gLive0001" in report.errors[0].message and not report.ok

    adopt_headers = [*HEADERS, "GHL Location Id"]
    same = validate_rows(adopt_headers, [good_row(**{"GHL Location Id": "gLive0001"})], known, adopt=True)
    assert same.ok and same.warnings == []
    other = validate_rows(adopt_headers, [good_row(**{"GHL Location Id": "gOther001"})], known, adopt=True)
    assert other.ok and [(w.row, w.column) for w in other.warnings] == [(2, "Location Name")]
