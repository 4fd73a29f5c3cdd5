"""HTTP mapping of the webhook endpoint (in-memory adapters, in-process ASGI)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from fastapi import FastAPI

from ingest.adapters.keys import load_verifier
from ingest.api import webhook_router
from ingest.endpoint import WebhookEndpoint
from ingest.fastpath import WEBHOOK_PATHS, IngestApp
from ingest.handlers import IngestDeps
from ingest.inflight import InFlight
from leadflow_common.telemetry import setup_tracing
from tests.unit.ingest.fakes import FakePublisher, FakeReplayStore
from tests.unit.ingest.signing import contact_body, signed_request, trusted_public_keys

LIMIT = 2048


@pytest.fixture(scope="module", autouse=True)
def tracing() -> None:
    setup_tracing("ingest-test")  # as create_app does; unsampled spans still carry ids


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture(params=["fast path", "FastAPI route"])
async def client(
    publisher: FakePublisher, request: pytest.FixtureRequest
) -> AsyncIterator[httpx.AsyncClient]:
    """Every test runs against the served app (fast path first) and the documented route alone."""
    deps = IngestDeps(load_verifier(trusted_public_keys()), FakeReplayStore(), publisher)
    endpoint = WebhookEndpoint(deps, InFlight(), LIMIT, retry_after_s=30)
    api = FastAPI()
    api.include_router(webhook_router(endpoint))
    app = IngestApp(api, endpoint) if request.param == "fast path" else api
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        yield c


@pytest.mark.parametrize("path", WEBHOOK_PATHS)
async def test_signed_contact_is_accepted_on_both_paths(client: httpx.AsyncClient, path: str) -> None:
    raw, headers = signed_request(contact_body(), "rsa")
    response = await client.post(path, content=raw, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"


async def test_duplicate_answers_200_duplicate(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    raw, headers = signed_request(contact_body())
    first = await client.post("/webhooks/ghl", content=raw, headers=headers)
    second = await client.post("/webhooks/ghl", content=raw, headers=headers)
    assert second.json() == {"status": "duplicate", "event_id": first.json()["event_id"]}
    assert len(publisher.published) == 1


async def test_broker_unavailable_is_429_with_retry_after(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    publisher.down = True
    raw, headers = signed_request(contact_body())
    response = await client.post("/webhooks/ghl", content=raw, headers=headers)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"


async def test_rejections(client: httpx.AsyncClient) -> None:
    async def status(raw: bytes, headers: dict[str, str]) -> int:
        return (await client.post("/webhooks/ghl", content=raw, headers=headers)).status_code

    raw, headers = signed_request(contact_body())
    assert await status(raw, {**headers, "content-type": "text/plain"}) == 415
    assert await status(raw, {"content-type": "application/json"}) == 401
    assert await status(*signed_request(contact_body(notes="x" * LIMIT))) == 413
    assert await status(*signed_request(b"{nope")) == 400


async def test_streamed_body_over_the_cap_is_refused(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 512

    headers = {"content-type": "application/json"}
    response = await client.post("/webhooks/ghl", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert orjson.loads(response.content)["status"] == "rejected"


async def test_the_event_carries_a_traceparent(client: httpx.AsyncClient, publisher: FakePublisher) -> None:
    await client.post("/webhooks/ghl", content=(s := signed_request(contact_body()))[0], headers=s[1])
    [trace] = publisher.traces
    assert trace is not None and trace.startswith("00-")


async def test_upstream_traceparent_is_followed_by_the_fast_path(publisher: FakePublisher) -> None:
    deps = IngestDeps(load_verifier(trusted_public_keys()), FakeReplayStore(), publisher)
    endpoint = WebhookEndpoint(deps, InFlight(), LIMIT, retry_after_s=30)
    app = IngestApp(FastAPI(), endpoint)
    upstream = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    raw, headers = signed_request(contact_body())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        response = await c.post("/webhooks/ghl", content=raw, headers={**headers, "traceparent": upstream})
    assert response.status_code == 200
    assert publisher.traces[0] is not None
    assert publisher.traces[0].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"


async def test_other_requests_reach_the_framework_app(client: httpx.AsyncClient) -> None:
    assert (await client.get("/webhooks/ghl")).status_code == 405
    assert (await client.post("/elsewhere", content=b"{}")).status_code == 404
