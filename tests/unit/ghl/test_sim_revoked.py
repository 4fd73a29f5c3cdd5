"""The simulator's revoked-credentials fault, in process: a revoked sub-account's tokens (even a
freshly exchanged one) are refused with the chosen status until the faults are cleared; the agency
token and other sub-accounts' tokens are unaffected."""

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
        yield client


async def token(api: httpx.AsyncClient, location_id: str) -> dict[str, str]:
    form = {"companyId": SETTINGS.company_id, "locationId": location_id}
    answer = await api.post("/oauth/locationToken", data=form)
    assert answer.status_code == 200
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def upsert(api: httpx.AsyncClient, location_id: str, auth: dict[str, str]) -> int:
    body = {"locationId": location_id, "email": f"x@{location_id.lower()}.co"}
    return (await api.post("/contacts/upsert", json=body, headers=auth)).status_code


@pytest.mark.parametrize("status", [401, 403])
async def test_a_revoked_sub_account_is_refused_until_cleared(api: httpx.AsyncClient, status: int) -> None:
    ids = []
    for name in ("Fit revoked", "Fit open"):
        created = await api.post("/locations/", json={"name": name, "companyId": SETTINGS.company_id})
        ids.append(created.json()["id"])
    revoked, open_ = ids
    before = await token(api, revoked)
    await api.post("/admin/faults", json={"revoked_locations": [revoked], "revoked_status": status})
    assert await upsert(api, revoked, before) == status
    assert await upsert(api, revoked, await token(api, revoked)) == status  # a new token: same
    assert await upsert(api, open_, await token(api, open_)) == 200
    assert (await api.get(f"/locations/{revoked}")).status_code == 200  # the agency token works
    log = (await api.get("/admin/requests")).json()["requests"]
    assert [r["outcome"] for r in log if r["status"] == status] == ["revoked", "revoked"]
    await api.delete("/admin/faults")
    assert await upsert(api, revoked, before) == 200
