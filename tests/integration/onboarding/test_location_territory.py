"""Territory and routing weight through location management on real Postgres and Kafka: PATCH
changes them (audited per field, published in the LocationProfile), a zip another live location
owns is refused 409 naming both owners, two concurrent claims of one zip let exactly one win, and a
bulk file's rows are checked against the live owners and each other."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.integration.onboarding.test_location_api import Rig, directory_entries, rig  # noqa: F401
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


async def test_territory_and_weight_are_changed_audited_and_published(rig: Rig, infra: Infra) -> None:  # noqa: F811
    code = await rig.add(1)
    changed = await rig.http.patch(
        f"/locations/{code}",
        json={"territory_zips": ["10002", "10001-1234", "10002"], "routing_weight": 2},
        headers={"X-Actor": "ana@fitnation.example.com"},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert [(c["field"], c["old"], c["new"]) for c in body["changes"]] == [
        ("territory_zips", "", "10001; 10002"),
        ("routing_weight", "1", "2"),
    ]
    assert (body["location"]["territory_zips"], body["location"]["routing_weight"]) == (["10001", "10002"], 2)

    cleared = await rig.http.patch(f"/locations/{code}", json={"territory_zips": []})
    assert cleared.status_code == 200, cleared.text
    assert [(c["field"], c["new"]) for c in cleared.json()["changes"]] == [("territory_zips", "")]

    entries = await directory_entries(infra, {code})
    assert [(p["territory_zips"], p["routing_weight"]) for _, p in entries] == [
        (["10001", "10002"], 2.0),
        ([], 2.0),
    ]
    history = (await rig.http.get(f"/locations/{code}/history")).json()["items"]
    assert [(h["field"], h["old"], h["new"], h["actor"]) for h in history] == [
        ("territory_zips", "10001; 10002", "", "api"),
        ("routing_weight", "1", "2", "ana@fitnation.example.com"),
        ("territory_zips", "", "10001; 10002", "ana@fitnation.example.com"),
    ]
    bad = await rig.http.patch(f"/locations/{code}", json={"routing_weight": 0, "territory_zips": "123"})
    assert bad.status_code == 422
    assert {e["loc"][-1] for e in bad.json()["detail"]} == {"routing_weight", "territory_zips"}


async def test_an_owned_zip_is_refused_naming_both_owners(rig: Rig, infra: Infra) -> None:  # noqa: F811
    owner, other, gone = await rig.add(1), await rig.add(2), await rig.add(3)
    assert (await rig.http.patch(f"/locations/{owner}", json={"territory_zips": "10003;10004"})).is_success
    refused = await rig.http.patch(f"/locations/{other}", json={"territory_zips": "10004,10005"})
    assert refused.status_code == 409
    assert refused.json()["detail"] == f"zip 10004 is claimed by {other} but already owned by {owner}"
    assert (await rig.http.get(f"/locations/{other}")).json()["territory_zips"] == []
    assert await directory_entries(infra, {other}) == []  # nothing published, nothing recorded
    assert (await rig.http.get(f"/locations/{other}/history")).json()["items"] == []

    # The owner keeping its zips while changing other fields claims nothing; an offboarded
    # location's zips are free again; a paused owner still owns its zips.
    assert (await rig.http.patch(f"/locations/{owner}", json={"daily_capacity": 5})).is_success
    assert (await rig.http.patch(f"/locations/{gone}", json={"territory_zips": "10006"})).is_success
    assert (await rig.http.post(f"/locations/{gone}/offboard")).is_success
    assert (await rig.http.patch(f"/locations/{other}", json={"territory_zips": "10005;10006"})).is_success
    assert (await rig.http.post(f"/locations/{owner}/pause")).is_success
    still = await rig.http.patch(f"/locations/{other}", json={"territory_zips": "10003"})
    assert (still.status_code, still.json()["detail"]) == (
        409, f"zip 10003 is claimed by {other} but already owned by {owner}")  # fmt: skip


async def test_concurrent_claims_of_one_zip_let_exactly_one_win(rig: Rig) -> None:  # noqa: F811
    codes = [await rig.add(n) for n in range(1, 5)]

    async def claim(code: str) -> httpx.Response:
        return await rig.http.patch(f"/locations/{code}", json={"territory_zips": "10010"})

    answers = await asyncio.gather(*(claim(c) for c in codes))
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409], [a.text for a in answers]
    winner = codes[[a.status_code for a in answers].index(200)]
    for code, answer in zip(codes, answers, strict=True):
        if answer.status_code == 409:
            assert answer.json()["detail"] == f"zip 10010 is claimed by {code} but already owned by {winner}"
    owned = [(await rig.http.get(f"/locations/{c}")).json()["territory_zips"] for c in codes]
    assert owned.count(["10010"]) == 1 and owned.count([]) == 3


async def test_bulk_territories_are_checked_against_live_owners_and_each_other(rig: Rig) -> None:  # noqa: F811
    owner, a, b, c = [await rig.add(n) for n in range(1, 5)]
    assert (await rig.http.patch(f"/locations/{owner}", json={"territory_zips": "10020"})).is_success
    csv_text = f"Franchise Code,Territory Zips,Routing Weight\n{a},10020,\n{b},10021;10022,3\n{c},10022,\n"
    refused = await rig.http.post("/locations/bulk", content=csv_text, headers={"Content-Type": "text/csv"})
    assert refused.status_code == 422, refused.text
    errors = [(e["row"], e["column"], e["message"]) for e in refused.json()["detail"]["errors"]]
    assert errors == [
        (4, "Territory Zips", f"zip 10022 is claimed by {c} but already owned by {b} (row 3)"),
        (2, "Territory Zips", f"zip 10020 is claimed by {a} but already owned by {owner}"),
    ]
    good = f"Franchise Code,Territory Zips,Routing Weight\n{b},10021;10022,3\n{c},10023,0.5\n"
    applied = await rig.http.post("/locations/bulk", content=good, headers={"Content-Type": "text/csv"})
    assert applied.status_code == 200 and applied.json()["applied"], applied.text
    assert [(d["location_id"], d["field"], d["new"]) for d in applied.json()["diff"]] == [
        (b, "territory_zips", "10021; 10022"),
        (b, "routing_weight", "3"),
        (c, "territory_zips", "10023"),
        (c, "routing_weight", "0.5"),
    ]
