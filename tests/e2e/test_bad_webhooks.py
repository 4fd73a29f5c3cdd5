"""A few thousand bad webhook requests against the ingest process: malformed, unsigned, badly
signed, replayed (stale timestamp, duplicate webhookId), oversized and of the wrong content type.
Each gets its 4xx (a duplicate gets the documented 200 with status "duplicate") and none of
them reaches Kafka (the topics' end offsets do not move)."""

from __future__ import annotations

import asyncio
import base64
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from ghl_simulator.webhooks import WebhookSigner, stamp
from ingest.domain.webhook import EVENT_ID_NAMESPACE
from leadflow_common.topics import GHL_EVENTS
from leadflow_system.rig import EVENT_ID_NAMESPACE as RIG_NAMESPACE
from leadflow_system.rig import end_offsets, rig_system
from leadflow_system.system import LocalSystem
from tests.support.fault_checks import lead_bodies
from tests.support.infra import Infra

PER_KIND = 300
Request = tuple[str, bytes, dict[str, str], int]  # kind, body, headers, expected status


@pytest.fixture(scope="module")
def rig(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    with rig_system(
        infra.env, tmp_path_factory.mktemp("bad-logs"), f"{infra.namespace}.bad", [], services=("ingest",)
    ) as system:
        yield system


def bad_requests(signer: WebhookSigner, originals: list[bytes], rng: random.Random) -> list[Request]:
    def signed(body: bytes, content_type: str = "application/json") -> dict[str, str]:
        return signer.headers(body) | {"content-type": content_type}

    pool = iter(lead_bodies(8 * PER_KIND, seed=rng.randrange(10**9)))

    def fresh(**fields: Any) -> bytes:
        return orjson.dumps(stamp({**next(pool), **fields}))

    out: list[Request] = []
    for i in range(PER_KIND):
        # Not JSON, not an object, or no type. A known type with an odd optional field is not
        # malformed: it is normalised and accepted (a 4xx is final for GHL; issue 15).
        broken = [
            b"{not json",
            b"[1, 2]",
            b'"text"',
            b"",
            fresh()[:-3],
            orjson.dumps(stamp({"id": "no type"})),
        ]
        body = broken[i % len(broken)]
        out.append(("malformed", body, signed(body), 400))

        body = fresh()
        out.append(("unsigned", body, {"content-type": "application/json"}, 401))

        body = fresh()
        other = fresh()
        wrong = [
            signer.headers(other),  # a valid signature of another body
            {"x-ghl-signature": base64.b64encode(rng.randbytes(64)).decode()},
            {"x-wh-signature": base64.b64encode(rng.randbytes(256)).decode()},
            {"x-ghl-signature": "not base64!!"},
        ][i % 4]
        out.append(("badly signed", body, wrong | {"content-type": "application/json"}, 401))

        # Past GHL's retry horizon (75 min) or beyond the 5-minute future skew.
        skew = timedelta(minutes=rng.choice([-60, -6, 90, 60 * 24]))
        stale = (datetime.now(UTC) - skew).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        body = fresh(timestamp=stale)
        out.append(("stale timestamp", body, signed(body), 401))

        body = originals[i % len(originals)]
        out.append(("duplicate webhookId", body, signed(body), 200))

        body = fresh(notes="x" * (256 * 1024 + rng.randrange(1, 4096)))
        out.append(("oversized", body, signed(body), 413))

        body = fresh()
        content_type = ["text/plain", "application/x-www-form-urlencoded", "application/xml"][i % 3]
        out.append(("wrong content type", body, signed(body, content_type), 415))
    rng.shuffle(out)
    return out


async def test_bad_webhooks_get_4xx_and_reach_no_topic(rig: LocalSystem, infra: Infra) -> None:
    assert RIG_NAMESPACE == EVENT_ID_NAMESPACE  # the rig's bulk events are ingest's, byte for byte
    signer = WebhookSigner.from_dir()
    rng = random.Random(61)
    url = rig.url("ingest") + "/webhooks/ghl"
    originals = [orjson.dumps(stamp(b)) for b in lead_bodies(20, seed=62)]
    topics = [GHL_EVENTS.name, GHL_EVENTS.dlt_name]
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=32)) as client:
        for body in originals:  # first deliveries: accepted and published once
            response = await client.post(url, content=body, headers=signer.headers(body))
            assert response.json()["status"] == "accepted"
        before = await end_offsets(infra.kafka, topics)
        assert before[GHL_EVENTS.name] == len(originals)

        requests = bad_requests(signer, originals, rng)
        gate = asyncio.Semaphore(32)

        async def send(request: Request) -> tuple[str, int, int, str]:
            kind, body, headers, expected = request
            async with gate:
                response = await client.post(url, content=body, headers=headers)
            status = response.json().get("status", "") if response.content else ""
            return kind, expected, response.status_code, status

        results = await asyncio.gather(*(send(r) for r in requests))

    wrong = Counter((kind, expected, got) for kind, expected, got, _ in results if got != expected)
    assert not wrong, f"(kind, expected, got): {wrong}"
    assert {s for kind, *_, s in results if kind == "duplicate webhookId"} == {"duplicate"}
    assert len(results) == 7 * PER_KIND
    await asyncio.sleep(1)  # a stray late produce would show up by now
    assert await end_offsets(infra.kafka, topics) == before
