"""Territory and routing weight as operator changes: the import CSV's validators, normalised and
deduplicated zips, the diff, the overlap naming both owners, and a bulk file's rows against each other."""

from __future__ import annotations

import pytest

from leadflow_common.events.onboarding import LocationDraft
from onboarding.domain.bulk_changes import parse_bulk
from onboarding.domain.location_changes import (
    ChangeConflict,
    ChangeInvalid,
    Edit,
    FieldChange,
    apply_edit,
    check_territory,
    claims_territory,
    diff,
    parse_edit,
)
from onboarding.domain.saga import SagaStatus

DRAFT = LocationDraft(
    name="FitNation NYC #1", address="1 Main St", city="New York", state="NY", postal_code="10001",
    phone="+12125550100", email="a@fitnation.example.com", manager_name="Ana Ruiz",
    manager_email="ana@fitnation.example.com", daily_capacity=40, franchise_code="NYC-0001",
    territory_zips=["10001"],
)  # fmt: skip


def problems(cells: dict[str, str | None]) -> dict[str, str]:
    with pytest.raises(ChangeInvalid) as caught:
        parse_edit(cells, blank_is_unchanged=False)
    return {p.field: p.message for p in caught.value.problems}


def test_zips_are_normalised_deduplicated_and_the_weight_is_a_positive_number() -> None:
    edit = parse_edit(
        {"territory_zips": "10002, 10001-1234;10002", "routing_weight": " 2 "}, blank_is_unchanged=False
    )
    assert edit == Edit(territory_zips=["10001", "10002"], routing_weight=2.0)
    after = apply_edit(DRAFT, edit)
    assert (after.territory_zips, after.routing_weight) == (["10001", "10002"], 2.0)
    assert diff(DRAFT, SagaStatus.ACTIVE, after, SagaStatus.ACTIVE) == [
        FieldChange("territory_zips", "10001", "10001; 10002"),
        FieldChange("routing_weight", "1", "2"),
    ]


def test_bad_zips_and_weights_are_named_with_the_import_csv_message() -> None:
    assert "zip" in problems({"territory_zips": "1234"})["territory_zips"].casefold()
    assert problems({"routing_weight": "0"}) == {
        "routing_weight": "routing weight '0' must be above 0 and at most 1000"
    }
    heavy = problems({"routing_weight": "heavy"})
    assert heavy == {"routing_weight": "routing weight 'heavy' is not a number"}


def test_an_empty_territory_gives_it_up_in_an_update_but_is_unchanged_in_a_bulk_file() -> None:
    cleared = parse_edit({"territory_zips": ""}, blank_is_unchanged=False)
    assert cleared.territory_zips == [] and not cleared.empty
    assert apply_edit(DRAFT, cleared).territory_zips == []
    assert parse_edit({"territory_zips": " "}, blank_is_unchanged=True).empty


def test_only_new_zips_are_claims_and_an_owned_one_is_refused_naming_both_owners() -> None:
    grown = DRAFT.model_copy(update={"territory_zips": ["10001", "10002", "10003"]})
    assert claims_territory(DRAFT, grown) == ["10002", "10003"]
    assert claims_territory(grown, DRAFT) == []  # shrinking claims nothing
    with pytest.raises(ChangeConflict) as caught:
        check_territory("NYC-0001", ["10002", "10003"], {"10002": "NYC-0002", "10003": "NYC-0003"})
    assert str(caught.value) == (
        "zip 10002 is claimed by NYC-0001 but already owned by NYC-0002; "
        "zip 10003 is claimed by NYC-0001 but already owned by NYC-0003"
    )
    check_territory("NYC-0001", ["10002"], {"10002": "NYC-0001", "10004": "NYC-0002"})  # its own: fine


def test_bulk_rows_claiming_the_same_zip_are_refused_with_row_and_column() -> None:
    headers = ["Franchise Code", "Territory Zips", "Routing Weight"]
    rows = [
        {"Franchise Code": "NYC-0001", "Territory Zips": "10001;10002", "Routing Weight": ""},
        {"Franchise Code": "NYC-0002", "Territory Zips": "10002", "Routing Weight": "3"},
        {"Franchise Code": "NYC-0003", "Territory Zips": "", "Routing Weight": "-1"},
    ]
    parsed = parse_bulk(headers, rows)
    assert [(e.row, e.column, e.message) for e in parsed.errors] == [
        (3, "Territory Zips", "zip 10002 is claimed by NYC-0002 but already owned by NYC-0001 (row 2)"),
        (4, "Routing Weight", "routing weight '-1' must be above 0 and at most 1000"),
    ]
    assert [(r.location_id, r.edit) for r in parsed.rows] == [
        ("NYC-0001", Edit(territory_zips=["10001", "10002"]))
    ]
