"""The webhook use case with in-memory adapters: dedup claim/confirm/release and publish order."""

from __future__ import annotations

import pytest

from ingest.adapters.keys import load_verifier
from ingest.domain.errors import BrokerUnavailable, ConcurrentDelivery, SignatureRejected
from ingest.handlers import IngestDeps, Status, ingest_webhook
from tests.unit.ingest.fakes import FakePublisher, FakeReplayStore
from tests.unit.ingest.signing import contact_body, signed_request, trusted_public_keys


def deps(store: FakeReplayStore, publisher: FakePublisher, verify: bool = True) -> IngestDeps:
    return IngestDeps(load_verifier(trusted_public_keys()) if verify else None, store, publisher)


async def send(d: IngestDeps, body: dict[str, object]):  # type: ignore[no-untyped-def]
    raw, headers = signed_request(body)
    return await ingest_webhook(raw, headers.get("x-ghl-signature"), None, d)


async def test_second_delivery_of_a_webhook_is_a_duplicate_and_not_published() -> None:
    store, pub = FakeReplayStore(), FakePublisher()
    body = contact_body()
    first, second = await send(deps(store, pub), body), await send(deps(store, pub), body)
    assert (first.status, second.status) == (Status.ACCEPTED, Status.DUPLICATE)
    assert first.webhook.event_id == second.webhook.event_id
    assert len(pub.published) == 1
    assert store.state[body["webhookId"]] == "published"  # type: ignore[index]


async def test_failed_produce_releases_the_claim_so_the_retry_is_published() -> None:
    store, pub = FakeReplayStore(), FakePublisher(down=True)
    body = contact_body()
    with pytest.raises(BrokerUnavailable):
        await send(deps(store, pub), body)
    assert store.state == {}
    pub.down = False
    assert (await send(deps(store, pub), body)).status is Status.ACCEPTED
    assert len(pub.published) == 1


async def test_concurrent_delivery_in_flight_asks_for_a_retry() -> None:
    body = contact_body()
    store = FakeReplayStore({str(body["webhookId"]): "inflight"})
    with pytest.raises(ConcurrentDelivery):
        await send(deps(store, FakePublisher()), body)


async def test_replay_store_down_publishes_anyway() -> None:
    store, pub = FakeReplayStore(unavailable=True), FakePublisher()
    body = contact_body()
    await send(deps(store, pub), body)
    await send(deps(store, pub), body)
    assert len(pub.published) == 2
    assert pub.published[0].event_id == pub.published[1].event_id  # consumers dedup on it


async def test_signature_is_checked_before_anything_else() -> None:
    store, pub = FakeReplayStore(), FakePublisher()
    with pytest.raises(SignatureRejected):
        await ingest_webhook(b"{}", None, None, deps(store, pub))
    assert (store.state, pub.published) == ({}, [])


async def test_verification_can_be_disabled() -> None:
    pub = FakePublisher()
    result = await ingest_webhook(b'{"type":"X"}', None, None, deps(FakeReplayStore(), pub, verify=False))
    assert result.webhook.event_type == "Unknown"
    assert len(pub.published) == 1
