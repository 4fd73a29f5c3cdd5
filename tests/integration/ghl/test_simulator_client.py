"""The client against the simulator: the onboarding path end to end, auth, errors, crash semantics."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from leadflow_common.ghl import (
    GhlClient,
    GhlNotFound,
    GhlServerError,
    GhlUnknownOutcome,
    GhlValidationError,
)
from tests.support.ghl import GhlSim

pytestmark = pytest.mark.integration


async def wait_pushed(client: GhlClient, snapshot_id: str, location_id: str) -> str:
    deadline = time.monotonic() + 5
    while (status := (await client.snapshot_push_status(snapshot_id, location_id)).status) not in (
        "completed",
        "failed",
    ):
        assert time.monotonic() < deadline, status
        await asyncio.sleep(0.05)
    return status


async def test_onboarding_path(client: GhlClient, ghl_sim: GhlSim) -> None:
    loc = await client.create_location(name="Fit 0042", city="Austin", state="TX", email="fit42@example.com")
    assert loc.company_id == ghl_sim.sim_settings.company_id and len(loc.id) == 20
    assert [found.id for found in await client.search_locations(email="fit42@example.com")] == [loc.id]
    snapshot = ghl_sim.sim_settings.snapshot_id
    await client.load_snapshot(loc.id, snapshot)
    assert await wait_pushed(client, snapshot, loc.id) == "completed"
    assert "Welcome" in {w.name for w in await client.list_workflows(loc.id)}
    assert any(p.name == "Lead Pipeline" for p in await client.list_pipelines(loc.id))
    first = await client.upsert_custom_value(loc.id, "location_name", "Fit 0042")
    again = await client.upsert_custom_value(loc.id, "location_name", "Fit 42 Austin")
    assert first.id == again.id and again.value == "Fit 42 Austin"
    assert any(i.id == loc.id and i.is_installed for i in await client.installed_locations())
    user = await client.create_user(loc.id, "Ann", "Lee", "ann@example.com")
    assert [u.id for u in await client.search_users(loc.id)] == [user.id]
    await client.delete_location(loc.id)
    await client.delete_location(loc.id)  # idempotent
    with pytest.raises(GhlNotFound):
        await client.get_location(loc.id)


async def test_custom_values_set_together_with_one_list(client: GhlClient, ghl_sim: GhlSim) -> None:
    loc = await client.create_location(name="Fit 0077")
    await client.upsert_custom_value(loc.id, "phone", "512-555-0100")  # one exists already
    since = ghl_sim.requests()[-1]["seq"]
    values = {"location_name": "Fit 77", "phone": "512-555-0177", "daily_capacity": "40"}
    first = await client.upsert_custom_values(loc.id, values)
    calls = [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in ghl_sim.requests(since)]
    # one list, then an update for the existing value and a create for each new one
    assert sorted(calls) == sorted([("GET", "customValues"), ("POST", "customValues"),
                                    ("POST", "customValues"), ("PUT", first["phone"].id)])  # fmt: skip
    again = await client.upsert_custom_values(loc.id, {**values, "daily_capacity": "45"})
    assert {name: cv.id for name, cv in again.items()} == {name: cv.id for name, cv in first.items()}
    stored = {cv.name: cv.value for cv in await client.list_custom_values(loc.id)}
    assert stored == {**values, "daily_capacity": "45"}


async def test_a_custom_value_create_whose_answer_is_lost_is_not_sent_again(
    client: GhlClient, ghl_sim: GhlSim
) -> None:
    loc = await client.create_location(name="Fit 0078")
    ghl_sim.faults(crash=[{"method": "POST", "path_prefix": f"/locations/{loc.id}/customValues", "count": 1}])
    with pytest.raises(GhlUnknownOutcome):  # applied, answer lost: not resent into "already exists"
        await client.upsert_custom_values(loc.id, {"location_name": "Fit 78"})
    ghl_sim.clear_faults()
    again = await client.upsert_custom_values(loc.id, {"location_name": "Fit 78 Austin"})  # the retry
    assert [(cv.name, cv.value) for cv in await client.list_custom_values(loc.id)] == [
        ("location_name", "Fit 78 Austin")
    ]
    assert again["location_name"].value == "Fit 78 Austin"


async def test_contacts_with_cached_location_token(client: GhlClient, ghl_sim: GhlSim) -> None:
    loc = await client.create_location(name="Fit 7")
    fields = {"email": "a@example.com", "firstName": "A", "tags": ["web"]}
    contact = await client.upsert_contact(loc.id, fields)
    same = await client.upsert_contact(loc.id, {"email": "a@example.com", "postalCode": "78701"})
    assert same.id == contact.id
    await client.add_tags(loc.id, contact.id, ["routed", "vip"])
    await client.remove_tags(loc.id, contact.id, ["vip"])
    updated = await client.update_contact(loc.id, contact.id, {"assignedTo": "user1"})
    assert updated.assigned_to == "user1" and set(updated.tags) == {"web", "routed"}
    token_calls = [r for r in ghl_sim.requests() if r["path"] == "/oauth/locationToken"]
    assert len(token_calls) == 1  # cached in Redis and in process
    ghl_sim.admin.post("/tokens/expire")  # GHL revokes it: the client renews once and carries on
    assert (await client.get_contact(loc.id, contact.id)).id == contact.id


async def test_validation_error_is_typed(client: GhlClient) -> None:
    with pytest.raises(GhlValidationError):
        await client.create_location(name="")


def test_version_header_and_token_are_required(ghl_sim: GhlSim) -> None:
    raw = httpx.get(f"{ghl_sim.base_url}/locations/search", params={"companyId": "x"})
    assert raw.status_code == 400 and "Version" in raw.json()["message"]
    unauth = httpx.get(f"{ghl_sim.base_url}/locations/search", headers={"Version": "2021-07-28"})
    assert unauth.status_code == 401


async def test_idempotent_calls_retry_5xx_and_creates_report_unknown_outcome(
    client: GhlClient, ghl_sim: GhlSim
) -> None:
    ghl_sim.faults(failing=[{"method": "GET", "path_prefix": "/locations/search", "status": 502, "count": 2}])
    assert await client.search_locations() == []
    ghl_sim.faults(crash=[{"method": "POST", "path_prefix": "/locations/", "count": 1}])
    with pytest.raises(GhlUnknownOutcome):
        await client.create_location(name="Crashy", email="crash@example.com")
    # the request was applied although its answer was lost: the caller looks it up instead of re-creating
    assert [loc.name for loc in await client.search_locations(email="crash@example.com")] == ["Crashy"]
    ghl_sim.faults(failing=[{"path_prefix": "/locations/search", "status": 500}])
    with pytest.raises(GhlServerError):
        await client.search_locations()
    ghl_sim.clear_faults()
