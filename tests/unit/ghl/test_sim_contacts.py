"""The simulator's contact duplicate rule (what the sync's upsert relies on), in process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ghl_simulator.app import create_app
from ghl_simulator.settings import SimSettings

SETTINGS = SimSettings()
AUTH = {"Authorization": f"Bearer {SETTINGS.agency_token}", "Version": SETTINGS.version}


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(SETTINGS))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim", headers=AUTH) as client:
        seeded = {
            "locations": [{"id": "LOC1", "name": "Fit 1"}, {"id": "LOC2", "name": "Fit 2"}],
            "contacts": [{"id": "seed1", "locationId": "LOC1", "email": "Seed@Example.com"}],
        }
        (await client.post("/admin/seed", json=seeded)).raise_for_status()
        yield client


async def as_location(api: httpx.AsyncClient, location_id: str) -> dict[str, str]:
    form = {"companyId": SETTINGS.company_id, "locationId": location_id}
    token = (await api.post("/oauth/locationToken", data=form)).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def upsert(api: httpx.AsyncClient, headers: dict[str, str], **body: str) -> dict[str, object]:
    response = await api.post("/contacts/upsert", json=body, headers=headers)
    response.raise_for_status()
    data: dict[str, object] = response.json()
    return data


async def test_upsert_matches_email_in_any_case_or_phone_within_the_location(api: httpx.AsyncClient) -> None:
    loc1, loc2 = await as_location(api, "LOC1"), await as_location(api, "LOC2")
    seeded = await upsert(api, loc1, locationId="LOC1", email="seed@example.COM", firstName="Sue")
    assert seeded["new"] is False and seeded["contact"]["id"] == "seed1"  # type: ignore[index]
    first = await upsert(api, loc1, locationId="LOC1", phone="+15125550100")
    again = await upsert(api, loc1, locationId="LOC1", phone="+15125550100", email="new@example.com")
    assert again["new"] is False and again["contact"]["id"] == first["contact"]["id"]  # type: ignore[index]
    elsewhere = await upsert(api, loc2, locationId="LOC2", email="seed@example.com")
    assert elsewhere["new"] is True  # duplicates are per location
    by_new_email = await upsert(api, loc1, locationId="LOC1", email="NEW@example.com")
    assert by_new_email["contact"]["id"] == first["contact"]["id"]  # type: ignore[index]


async def test_a_changed_email_no_longer_matches(api: httpx.AsyncClient) -> None:
    loc1 = await as_location(api, "LOC1")
    put = await api.put("/contacts/seed1", json={"email": "moved@example.com"}, headers=loc1)
    assert put.status_code == 200
    old = await upsert(api, loc1, locationId="LOC1", email="seed@example.com")
    assert old["new"] is True
    moved = await upsert(api, loc1, locationId="LOC1", email="moved@example.com")
    assert moved["contact"]["id"] == "seed1"  # type: ignore[index]
