"""CPU per webhook of each stage of ingest's hot path, measured in-process (no HTTP, no sampling).

Each stage runs alone in a loop with the real code and, for Redis and Kafka, the real servers
(devstack): process CPU time divided by the webhooks handled. 64 requests are in flight at once
for the I/O stages, as in the wrk run, so their pipelines and batches are the same size.
``IngestApp`` called directly with ASGI messages (real Redis and Kafka) gives the whole request
without the HTTP server; the server's CPU per request in the wrk run minus that is what uvicorn,
httptools and the socket system calls cost.

    uv run python bench/ingest/stage_costs.py   (bench/ingest/run.py prints it too)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

import orjson  # noqa: E402
from aiokafka import AIOKafkaProducer  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from ingest.adapters.dedup import WebhookDeduplicator  # noqa: E402
from ingest.adapters.keys import load_verifier  # noqa: E402
from ingest.adapters.publisher import WebhookPublisher  # noqa: E402
from ingest.domain.envelope import encode_webhook_envelope, envelope_headers  # noqa: E402
from ingest.domain.webhook import FreshnessWindow, build_webhook  # noqa: E402
from ingest.endpoint import WebhookEndpoint  # noqa: E402
from ingest.fastpath import IngestApp  # noqa: E402
from ingest.handlers import IngestDeps  # noqa: E402
from ingest.inflight import InFlight  # noqa: E402
from ingest.metrics import BoundMetrics  # noqa: E402
from leadflow_common.kafka.admin import ensure_topics  # noqa: E402
from leadflow_common.kafka.broker import producer_options  # noqa: E402
from leadflow_common.redis import make_redis  # noqa: E402
from leadflow_common.settings import KafkaSettings, RedisSettings  # noqa: E402
from leadflow_common.telemetry import setup_tracing  # noqa: E402
from leadflow_common.topics import GHL_EVENTS  # noqa: E402
from tests.unit.ingest.signing import contact_body, ed25519_key, public_pem, sign_ed25519  # noqa: E402

CONCURRENCY = 64


def signed_bodies(count: int) -> list[tuple[bytes, str]]:
    out = []
    for _ in range(count):
        raw = orjson.dumps(contact_body(notes="n" * 400))
        out.append((raw, sign_ed25519(raw)))
    return out


def cpu_us_per(count: int, run: Callable[[], None]) -> float:
    started = time.process_time()
    run()
    return 1e6 * (time.process_time() - started) / count


async def cpu_us_per_async(count: int, run: Callable[[], Awaitable[None]]) -> float:
    started = time.process_time()
    await run()
    return 1e6 * (time.process_time() - started) / count


async def in_waves(items: list[Any], one: Callable[[Any], Awaitable[None]]) -> None:
    for i in range(0, len(items), CONCURRENCY):
        await asyncio.gather(*(one(item) for item in items[i : i + CONCURRENCY]))


async def measure(count: int) -> dict[str, float]:
    bodies = signed_bodies(count)
    verifier = load_verifier([public_pem(ed25519_key())])
    window = FreshnessWindow()
    now = datetime.now(UTC)
    hooks = [build_webhook(raw, now, window) for raw, _ in bodies]
    costs: dict[str, float] = {}
    costs["verify signature (Ed25519, libsodium)"] = cpu_us_per(
        count, lambda: [verifier.verify(raw, sig, None) for raw, sig in bodies] and None
    )
    costs["parse + validate + event id"] = cpu_us_per(
        count, lambda: [build_webhook(raw, now, window) for raw, _ in bodies] and None
    )
    costs["envelope (spliced) + headers"] = cpu_us_per(
        count,
        lambda: (
            [(encode_webhook_envelope(h, now, None), envelope_headers(h, now, None)) for h in hooks] and None
        ),
    )
    setup_tracing("ingest-bench")
    app = IngestApp(FastAPI(), WebhookEndpoint(None, InFlight(), 1, 1))  # type: ignore[arg-type]
    scope = {"path": "/webhooks/ghl"}

    def spans() -> None:
        for _ in range(count):
            span = app._server_span(scope, {})
            span.end()

    costs["tracing span (unsampled)"] = cpu_us_per(count, spans)

    redis = make_redis(RedisSettings())
    store = WebhookDeduplicator(redis, 10_800, 30, prefix=f"bench:{uuid.uuid4().hex[:6]}:")
    ids = [str(uuid.uuid4()) for _ in range(count)]

    async def claim_confirm(webhook_id: str) -> None:
        await store.claim(webhook_id)
        store.confirm(webhook_id)

    costs["Redis: claim + unawaited confirm"] = await cpu_us_per_async(
        count, lambda: in_waves(ids, claim_confirm)
    )
    await store.drain()

    kafka = KafkaSettings()
    await ensure_topics(kafka.bootstrap_servers, [GHL_EVENTS])
    producer = AIOKafkaProducer(**producer_options(kafka, "bench-stage-costs"))
    await producer.start()
    try:
        publisher = WebhookPublisher(lambda: producer, GHL_EVENTS.name, 10.0, BoundMetrics())
        await in_waves(hooks[:CONCURRENCY], lambda h: publisher.publish(h, None))  # leaders, metadata
        costs["Kafka: envelope + send + ack (acks=all)"] = await cpu_us_per_async(
            count, lambda: in_waves(hooks, lambda h: publisher.publish(h, None))
        )
        deps = IngestDeps(verifier, store, publisher, window)
        whole = IngestApp(FastAPI(), WebhookEndpoint(deps, InFlight(), 256 * 1024, 60))
        fresh = signed_bodies(count)
        costs["whole request without the HTTP server"] = await cpu_us_per_async(
            count, lambda: in_waves(fresh, lambda body: asgi_request(whole, *body))
        )
    finally:
        await producer.stop()
        await store.drain()
        await redis.aclose()
    return costs


async def asgi_request(app: IngestApp, raw: bytes, signature: str) -> None:
    headers = [(b"content-type", b"application/json"), (b"x-ghl-signature", signature.encode())]
    scope = {"type": "http", "method": "POST", "path": "/webhooks/ghl", "headers": headers}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    if sent[0]["status"] != 200:
        raise RuntimeError(f"webhook answered {sent[0]['status']}: {sent[1]['body']!r}")


def main() -> None:
    os.environ.setdefault("KAFKA_TOPIC_NAMESPACE", f"bench{uuid.uuid4().hex[:6]}")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    print(json.dumps(asyncio.run(measure(count))))


if __name__ == "__main__":
    main()
