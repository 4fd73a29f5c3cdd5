"""The simulator's uninstall, in process: like GHL it revokes the app's tokens of the location
(401) and the token exchange answers 400 "not installed" until the app is reinstalled; the
revoked-agency fault refuses the agency token (401) until cleared."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ghl_simulator.app import create_app
from ghl_simulator.settings import SimSettings
from tests.unit.ghl.test_sim_revoked import AUTH, SETTINGS, upsert


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(SimSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim", headers=AUTH) as client:
        yield client


async def exchange(api: httpx.AsyncClient, location_id: str) -> httpx.Response:
    return await api.post(
        "/oauth/locationToken", data={"companyId": SETTINGS.company_id, "locationId": location_id}
    )


async def test_uninstall_revokes_tokens_and_refuses_the_exchange_until_reinstalled(
    api: httpx.AsyncClient,
) -> None:
    created = await api.post("/locations/", json={"name": "Fit gone", "companyId": SETTINGS.company_id})
    loc = created.json()["id"]
    before = {"Authorization": f"Bearer {(await exchange(api, loc)).json()['access_token']}"}
    assert await upsert(api, loc, before) == 200
    assert (await api.post(f"/admin/locations/{loc}/uninstall")).json()["isInstalled"] is False
    assert await upsert(api, loc, before) == 401
    refused = await exchange(api, loc)
    assert refused.status_code == 400 and "not installed" in refused.json()["message"]
    await api.post(f"/admin/locations/{loc}/install")
    again = {"Authorization": f"Bearer {(await exchange(api, loc)).json()['access_token']}"}
    assert await upsert(api, loc, again) == 200


async def test_a_revoked_agency_token_is_refused_until_cleared(api: httpx.AsyncClient) -> None:
    await api.post("/admin/faults", json={"revoked_agency": True})
    assert (await api.get("/locations/search")).status_code == 401
    assert (await exchange(api, "anything")).status_code == 401
    await api.delete("/admin/faults")
    assert (await api.get("/locations/search")).status_code == 200
