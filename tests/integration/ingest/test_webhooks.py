"""The webhook endpoint against real Kafka and Redis: published once, rejected when it must be."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import orjson
import pytest
from redis.asyncio import Redis

from leadflow_common.topics import GHL_EVENTS
from tests.integration.ingest.conftest import ingest_settings
from tests.integration.ingest.support import by_event_id, free_port, read_topic, running_ingest
from tests.support.infra import Infra
from tests.unit.ingest.signing import contact_body, sign_ed25519, signed_request

pytestmark = pytest.mark.integration


async def post(client: httpx.AsyncClient, raw: bytes, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/webhooks/ghl", content=raw, headers=headers)


async def test_signed_contact_sent_twice_is_on_the_topic_exactly_once(
    client: httpx.AsyncClient, infra: Infra
) -> None:
    body = contact_body()
    raw, headers = signed_request(body)
    first = await post(client, raw, headers)
    second = await client.post("/api/v1/webhooks/ghl", content=raw, headers=headers)
    assert first.status_code == second.status_code == 200
    event_id = first.json()["event_id"]
    assert first.json()["status"] == "accepted"
    assert second.json() == {"status": "duplicate", "event_id": event_id}

    [record] = by_event_id(await read_topic(infra.kafka, GHL_EVENTS.name), event_id)
    assert record["key"] == body["id"]
    assert record["event_type"] == "ContactCreate"
    assert record["payload"] == body
    assert record["source"] == "ingest"
    assert record["headers"]["event_id"] == record["headers"]["ce_id"] == event_id
    assert (record["headers"]["ce_type"], record["headers"]["ce_source"]) == (
        "ContactCreate",
        "leadflow/ingest",
    )
    assert record["headers"]["traceparent"] == record["trace"]


async def test_legacy_rsa_signed_and_unknown_type_are_accepted(
    client: httpx.AsyncClient, infra: Infra
) -> None:
    unknown = {"type": "InvoicePaid", "webhookId": contact_body()["webhookId"], "weird": {"a": [1, None]}}
    response = await post(client, *signed_request(unknown, "rsa"))
    assert response.json()["status"] == "accepted"
    [record] = by_event_id(await read_topic(infra.kafka, GHL_EVENTS.name), response.json()["event_id"])
    assert record["event_type"] == "Unknown"
    assert record["payload"] == unknown


async def test_every_rejection_path_publishes_nothing(client: httpx.AsyncClient, infra: Infra) -> None:
    before = len(await read_topic(infra.kafka, GHL_EVENTS.name))
    raw, headers = signed_request(contact_body())
    cases: list[tuple[int, bytes, dict[str, str]]] = [
        (415, raw, {**headers, "content-type": "text/plain"}),
        (415, raw, {"x-ghl-signature": headers["x-ghl-signature"]}),
        (413, *signed_request(contact_body(notes="x" * 300_000))),
        (401, raw, {"content-type": "application/json"}),
        (401, raw, {**headers, "x-ghl-signature": sign_ed25519(raw + b" ")}),
        (401, raw, {**headers, "x-ghl-signature": "bm90IGEgc2lnbmF0dXJl"}),
        (401, *signed_request(contact_body(age=timedelta(minutes=76)))),  # past GHL's retry horizon
        (401, *signed_request(contact_body(age=-timedelta(minutes=6)))),
        (400, *signed_request(b'{"type": "ContactCreate", ')),
        (400, *signed_request(b"[]")),
        (400, *signed_request(b'{"id": "no type"}')),
    ]
    for expected, body, hdrs in cases:
        response = await post(client, body, hdrs)
        assert response.status_code == expected, (expected, response.text)
        assert response.json()["status"] == "rejected"
    assert len(await read_topic(infra.kafka, GHL_EVENTS.name)) == before


async def test_late_retry_within_the_horizon_is_accepted_once(
    client: httpx.AsyncClient, infra: Infra
) -> None:
    """GHL resends a 429'd delivery with its original body up to ~60 min later: taken, once."""
    raw, headers = signed_request(contact_body(age=timedelta(minutes=70)))
    first, again = await post(client, raw, headers), await post(client, raw, headers)
    assert (first.status_code, first.json()["status"]) == (200, "accepted")
    assert again.json() == {"status": "duplicate", "event_id": first.json()["event_id"]}
    records = by_event_id(await read_topic(infra.kafka, GHL_EVENTS.name), first.json()["event_id"])
    assert len(records) == 1
    assert records[0]["occurred_at"].startswith(orjson.loads(raw)["timestamp"][:16])


async def test_odd_optional_fields_are_accepted_and_published_as_signed(
    client: httpx.AsyncClient, infra: Infra
) -> None:
    bodies = [
        contact_body(tags="vip, web", customFields={"f1": "x"}, phone=5551234),
        contact_body(tags=None, customFields=None, email=None, firstName={"odd": True}),
        contact_body(event_type="OpportunityCreate", monetaryValue="$1,200", contactId="c-odd"),
        contact_body(event_type="AppointmentCreate", appointment=None),
        contact_body(timestamp="not a date"),
    ]
    for body in bodies:
        raw, headers = signed_request(body)
        response = await post(client, raw, headers)
        assert (response.status_code, response.json()["status"]) == (200, "accepted"), response.text
        [record] = by_event_id(await read_topic(infra.kafka, GHL_EVENTS.name), response.json()["event_id"])
        assert record["payload"] == body  # the body as received; consumers normalise with the same models
        assert record["event_type"] == body["type"]


async def test_confirmation_lands_after_the_answer(client: httpx.AsyncClient, infra: Infra) -> None:
    """The 200 does not wait for the confirming SET; it follows with the next pipeline."""
    body = contact_body()
    assert (await post(client, *signed_request(body))).json()["status"] == "accepted"
    redis = Redis.from_url(infra.redis_url)
    try:
        key = f"ingest:wh:{body['webhookId']}"
        deadline = asyncio.get_running_loop().time() + 5
        while await redis.get(key) != b"published":
            assert asyncio.get_running_loop().time() < deadline, await redis.get(key)
            await asyncio.sleep(0.02)
        assert await redis.ttl(key) > 2 * 3600
    finally:
        await redis.aclose()


async def test_redis_unreachable_still_publishes(infra: Infra) -> None:
    nowhere = {"url": f"redis://127.0.0.1:{free_port()}/0", "socket_timeout_s": 0.5}
    settings = ingest_settings(infra, redis=nowhere, readiness_requires_dependencies=True)
    body = contact_body()
    raw, headers = signed_request(body)
    with running_ingest(settings) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as c:
            responses = [await post(c, raw, headers) for _ in range(2)]
            ready = await c.get("/readyz")
    assert [r.json()["status"] for r in responses] == ["accepted", "accepted"]
    assert ready.status_code == 503
    records = by_event_id(await read_topic(infra.kafka, GHL_EVENTS.name), responses[0].json()["event_id"])
    assert len(records) == 2  # same event_id: consumers deduplicate


async def test_ops_endpoints_and_metrics(client: httpx.AsyncClient) -> None:
    await post(client, *signed_request(contact_body()))
    await post(client, b"{}", {"content-type": "application/json"})
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    metrics = (await client.get("/metrics")).text
    assert 'ingest_webhooks_total{event_type="ContactCreate",outcome="accepted"}' in metrics
    assert 'ingest_signature_failures_total{reason="missing"}' in metrics
    assert "ingest_produce_duration_seconds_bucket" in metrics
    assert "ingest_in_flight_requests" in metrics
    schema = orjson.loads((await client.get("/openapi.json")).content)
    assert "/webhooks/ghl" in schema["paths"]
