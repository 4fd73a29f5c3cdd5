"""A broker stopped mid-test: ingest answers 429 (GHL retries) and loses no acknowledged event."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import GHL_EVENTS
from tests.integration.ingest.conftest import ingest_settings
from tests.integration.ingest.support import read_topic, running_ingest
from tests.support.infra import Infra
from tests.support.private_kafka import PrivateKafka, private_kafka
from tests.unit.ingest.signing import contact_body, signed_request

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def broker(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateKafka]:
    home: Path = tmp_path_factory.mktemp("private-kafka")
    with private_kafka(home, [GHL_EVENTS]) as running:
        yield running


async def deliver_until_accepted(client: httpx.AsyncClient, raw: bytes, headers: dict[str, str]) -> str:
    """What GHL does after a 429: retry the same delivery (here every 0.5 s, bounded)."""
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        response = await client.post("/webhooks/ghl", content=raw, headers=headers)
        if response.status_code == 200:
            return str(response.json()["event_id"])
        assert response.status_code == 429, response.text
        assert asyncio.get_running_loop().time() < deadline, "never accepted after the broker came back"
        await asyncio.sleep(0.5)


async def test_broker_down_yields_429_and_no_acknowledged_event_is_lost(
    infra: Infra, broker: PrivateKafka
) -> None:
    settings = ingest_settings(
        infra,
        kafka=KafkaSettings(bootstrap_servers=broker.bootstrap, request_timeout_ms=3000),
        produce_timeout_s=1.5,
    )
    acknowledged: list[str] = []
    with running_ingest(settings) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            for _ in range(3):
                acknowledged.append(await deliver_until_accepted(client, *signed_request(contact_body())))

            await broker.astop()
            during_outage = [signed_request(contact_body()) for _ in range(2)]
            for raw, headers in during_outage:
                response = await client.post("/webhooks/ghl", content=raw, headers=headers)
                assert response.status_code == 429, response.text
                assert response.headers["retry-after"] == "7"
                assert response.json()["status"] == "retry"
            # Stays in rotation: an unready pod would make GHL see 503s (final), not 429s.
            assert (await client.get("/readyz")).status_code == 200

            await broker.astart()
            for raw, headers in during_outage:  # GHL's retries of the refused deliveries
                acknowledged.append(await deliver_until_accepted(client, raw, headers))
            duplicate = await client.post(
                "/webhooks/ghl", content=during_outage[0][0], headers=during_outage[0][1]
            )
            assert duplicate.json()["status"] == "duplicate"

    on_topic = {r["event_id"] for r in await read_topic(broker.bootstrap, GHL_EVENTS.name)}
    assert set(acknowledged) <= on_topic
