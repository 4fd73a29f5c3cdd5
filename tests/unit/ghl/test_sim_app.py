"""The simulator app in process (ASGI transport, no sockets): auth, Version header, validation, 429s."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ghl_simulator.app import create_app
from ghl_simulator.settings import SimSettings

SETTINGS = SimSettings(rate_limit_max=3, rate_limit_interval_ms=60_000)
AUTH = {"Authorization": f"Bearer {SETTINGS.agency_token}", "Version": SETTINGS.version}


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(SETTINGS))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim", headers=AUTH) as client:
        yield client


async def test_version_header_and_bearer_token_are_checked(api: httpx.AsyncClient) -> None:
    no_version = await api.get("/locations/search", headers={"Version": ""})
    assert no_version.status_code == 400
    bad_token = await api.get("/locations/search", headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401 and bad_token.json()["statusCode"] == 401


async def test_validation_errors_are_422_with_messages(api: httpx.AsyncClient) -> None:
    response = await api.post("/locations/", json={"companyId": SETTINGS.company_id})
    assert response.status_code == 422
    assert any("name" in m for m in response.json()["message"])


async def test_limit_headers_and_429_once_the_window_is_full(api: httpx.AsyncClient) -> None:
    statuses = [(await api.get("/locations/search")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = await api.get("/locations/search")
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.headers["x-ratelimit-max"] == "3"
    admin = await api.get("/admin/requests")  # the admin API is neither authenticated nor limited
    assert [r["status"] for r in admin.json()["requests"]] == [200, 200, 200, 429, 429]


async def test_location_tokens_are_scoped_to_their_location(api: httpx.AsyncClient) -> None:
    loc = (await api.post("/locations/", json={"name": "Fit 1", "companyId": SETTINGS.company_id})).json()
    other = (await api.post("/locations/", json={"name": "Fit 2", "companyId": SETTINGS.company_id})).json()
    form = {"companyId": SETTINGS.company_id, "locationId": loc["id"]}
    token = (await api.post("/oauth/locationToken", data=form)).json()["access_token"]
    as_location = {"Authorization": f"Bearer {token}"}
    ok = await api.post(
        "/contacts/upsert", json={"locationId": loc["id"], "email": "a@b.co"}, headers=as_location
    )
    assert ok.status_code == 200 and ok.json()["new"] is True
    denied = await api.post("/contacts/upsert", json={"locationId": other["id"]}, headers=as_location)
    assert denied.status_code == 403
