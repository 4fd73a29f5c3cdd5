"""The simulator's contact search (GHL's POST /contacts/search) and contacts created outside the API
whose ContactCreate webhook a fault drops, in process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ghl_simulator.app import create_app
from ghl_simulator.search import SearchRequest, search
from ghl_simulator.settings import SimSettings

SETTINGS = SimSettings()
AUTH = {"Authorization": f"Bearer {SETTINGS.agency_token}", "Version": SETTINGS.version}


def contact(cid: str, added: str | None, **fields: Any) -> dict[str, Any]:
    return {"id": cid, "locationId": "L1", **({"dateAdded": added} if added else {}), **fields}


CONTACTS = [
    contact("c1", "2026-12-01T10:00:00.000Z", email="a@x.com"),
    contact("c2", "2026-12-01T11:00:00.000Z", tags=["vip"]),
    contact("c3", "2026-12-01T11:00:00.000Z"),
    contact("c4", "2026-12-01T12:00:00.000Z"),
    contact("c5", None),
]
ASC = [{"field": "dateAdded", "direction": "asc"}]


def in_range(gte: str, lte: str) -> list[dict[str, Any]]:
    return [{"field": "dateAdded", "operator": "range", "value": {"gte": gte, "lte": lte}}]


def test_range_filter_sort_and_search_after_walk_every_match_once() -> None:
    filters = in_range("2026-12-01T10:30:00Z", "2026-12-01T12:00:00Z")
    first, total = search(CONTACTS, SearchRequest(filters, ASC, page_limit=2))
    assert total == 3 and [c["id"] for c in first] == ["c2", "c3"]  # equal dates: by id
    rest, _ = search(
        CONTACTS, SearchRequest(filters, ASC, page_limit=2, search_after=first[-1]["searchAfter"])
    )
    assert [c["id"] for c in rest] == ["c4"]


def test_pages_desc_by_default_and_missing_dates_last() -> None:
    hits, total = search(CONTACTS, SearchRequest([], [], page_limit=10))
    assert total == 5 and [c["id"] for c in hits] == ["c4", "c2", "c3", "c1", "c5"]
    second, _ = search(CONTACTS, SearchRequest([], ASC, page_limit=2, page=2))
    assert [c["id"] for c in second] == ["c3", "c4"]


def test_eq_on_a_list_and_or_groups() -> None:
    vip = [{"field": "tags", "operator": "eq", "value": "vip"}]
    assert [c["id"] for c in search(CONTACTS, SearchRequest(vip, ASC, 10))[0]] == ["c2"]
    either = [{"group": "OR", "filters": [*vip, {"field": "email", "operator": "exists"}]}]
    assert [c["id"] for c in search(CONTACTS, SearchRequest(either, ASC, 10))[0]] == ["c1", "c2"]


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(SETTINGS))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim", headers=AUTH) as client:
        seeded = {"locations": [{"id": "L1", "name": "Intake"}, {"id": "L2", "name": "Other"}]}
        (await client.post("/admin/seed", json=seeded)).raise_for_status()
        yield client


async def token_for(api: httpx.AsyncClient, location_id: str) -> dict[str, str]:
    form = {"companyId": SETTINGS.company_id, "locationId": location_id}
    token = (await api.post("/oauth/locationToken", data=form)).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def test_dropped_webhooks_leave_the_contacts_findable_by_search(api: httpx.AsyncClient) -> None:
    (await api.post("/admin/faults", json={"drop_webhooks": 3})).raise_for_status()
    body = {"contacts": [{"locationId": "L1", "firstName": f"N{i}"} for i in range(3)], "url": "http://x"}
    created = (await api.post("/admin/contacts/inbound", json=body)).json()
    ids = [c["id"] for c in created["contacts"]]
    assert created["dropped"] == ids and created["sent"] == {}
    headers = await token_for(api, "L1")
    search_body = {"locationId": "L1", "pageLimit": 2, "sort": ASC}
    first = (await api.post("/contacts/search", json=search_body, headers=headers)).json()
    assert first["total"] == 3 and len(first["contacts"]) == 2
    after = {**search_body, "searchAfter": first["contacts"][-1]["searchAfter"]}
    second = (await api.post("/contacts/search", json=after, headers=headers)).json()
    assert sorted(c["id"] for c in first["contacts"] + second["contacts"]) == sorted(ids)


async def test_search_is_scoped_and_validated_like_ghl(api: httpx.AsyncClient) -> None:
    headers = await token_for(api, "L2")
    other = await api.post("/contacts/search", json={"locationId": "L1", "pageLimit": 10}, headers=headers)
    assert other.status_code == 403
    too_big = await api.post("/contacts/search", json={"locationId": "L2", "pageLimit": 501}, headers=headers)
    assert too_big.status_code == 422
    both = {"locationId": "L2", "pageLimit": 10, "page": 1, "searchAfter": [1, "a"]}
    assert (await api.post("/contacts/search", json=both, headers=headers)).status_code == 422
    deep = {"locationId": "L2", "pageLimit": 500, "page": 21}
    assert (await api.post("/contacts/search", json=deep, headers=headers)).status_code == 422
