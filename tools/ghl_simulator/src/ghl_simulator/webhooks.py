"""Signed webhook delivery like GHL's: Ed25519 ``x-ghl-signature`` and/or RSA ``x-wh-signature`` over
the raw body, ``timestamp`` and ``webhookId`` in the body, the same bytes sent again only when the
receiver answers 429 (``WebhookClock`` says when and how the stamp is dated).

``prepare`` signs one delivery, ``run_attempts`` plays its attempts; ``WebhookSender.deliver``
runs them in the caller's task, ``deliveries.DeliveryScheduler`` in the background.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import httpx
import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from prometheus_client import Counter

from ghl_simulator.webhook_clock import WebhookClock

KEYS_DIR = Path(__file__).parent / "keys"
ED25519_PUBLIC_KEY = KEYS_DIR / "webhook-ed25519-public.pem"
RSA_PUBLIC_KEY = KEYS_DIR / "webhook-rsa-public.pem"
Scheme = Literal["ed25519", "rsa", "both", "none"]
Sleep = Callable[[float], Awaitable[None]]
Now = Callable[[], float]  # wall clock, epoch seconds

ATTEMPTS = Counter("ghlsim_webhook_attempts_total", "webhook attempts made, by answer status", ["status"])


@dataclass
class DeliveryResult:
    status: int
    attempts: int
    webhook_id: str
    statuses: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class WebhookSigner:
    def __init__(self, ed25519_key: Ed25519PrivateKey, rsa_key: RSAPrivateKey) -> None:
        self._ed = ed25519_key
        self._rsa = rsa_key

    @classmethod
    def from_dir(cls, keys_dir: Path = KEYS_DIR) -> WebhookSigner:
        ed = serialization.load_pem_private_key((keys_dir / "webhook-ed25519-private.pem").read_bytes(), None)
        rsa = serialization.load_pem_private_key((keys_dir / "webhook-rsa-private.pem").read_bytes(), None)
        assert isinstance(ed, Ed25519PrivateKey) and isinstance(rsa, RSAPrivateKey)
        return cls(ed, rsa)

    def headers(self, body: bytes, scheme: Scheme = "ed25519") -> dict[str, str]:
        out = {"content-type": "application/json"}
        if scheme in ("ed25519", "both"):
            out["x-ghl-signature"] = base64.b64encode(self._ed.sign(body)).decode()
        if scheme in ("rsa", "both"):
            sig = self._rsa.sign(body, padding.PKCS1v15(), hashes.SHA256())
            out["x-wh-signature"] = base64.b64encode(sig).decode()
        return out


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One TLS context for every client: building one loads the CA bundle (~100 ms of CPU on a
    busy machine), which a client per delivery paid on every webhook."""
    return httpx.create_ssl_context()


def iso_z(epoch_s: float) -> str:
    """GHL's timestamp format: ISO-8601 UTC with milliseconds and ``Z``."""
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stamp(payload: dict[str, Any], at: float | None = None) -> dict[str, Any]:
    """Add ``timestamp`` (``at``, epoch seconds, default now) and ``webhookId`` unless the caller set them."""
    when = iso_z(time.time() if at is None else at)
    return {"timestamp": when, "webhookId": str(uuid.uuid4()), **payload}


def _epoch_of(value: object) -> float | None:
    """The stamp as epoch seconds when it is ISO-8601 (a caller-set stamp may be anything)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


class DeliveryState(StrEnum):
    PENDING = "pending"  # an attempt is in flight or the next one is scheduled
    DELIVERED = "delivered"  # answered 2xx
    REFUSED = "refused"  # a final answer that is not 2xx (4xx, 5xx, or none: status 0)
    EXHAUSTED = "exhausted"  # still 429 after the last retry
    CANCELLED = "cancelled"  # the simulator was reset or shut down first


@dataclass(frozen=True)
class Attempt:
    number: int  # 0: the first send
    sent_at: float  # wall clock, epoch seconds
    status: int  # 0: no answer (transport error), final like any non-429
    duration_ms: float
    age_s: float | None  # sent_at - the body's timestamp: the age the receiver's clock sees
    sim_elapsed_s: float  # time since the first send on GHL's clock (waits uncompressed)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sent_at": iso_z(self.sent_at)}


@dataclass
class Delivery:
    """One webhook event: its signed bytes (never changed after ``prepare``) and its attempts."""

    id: int
    url: str
    scheme: Scheme
    body: bytes
    headers: dict[str, str]
    webhook_id: str
    timestamp: str | None
    clock: WebhookClock
    enqueued_at: float
    attempts: list[Attempt] = field(default_factory=list)
    state: DeliveryState = DeliveryState.PENDING
    next_attempt_at: float | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def statuses(self) -> list[int]:
        return [a.status for a in self.attempts]

    def result(self) -> DeliveryResult:
        statuses = self.statuses
        return DeliveryResult(statuses[-1] if statuses else 0, len(statuses), self.webhook_id, statuses)

    def as_dict(self, with_body: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "webhook_id": self.webhook_id,
            "url": self.url,
            "scheme": self.scheme,
            "state": self.state.value,
            "timestamp": self.timestamp,
            "stamp_lag_s": self.clock.stamp_lag_s,
            "enqueued_at": iso_z(self.enqueued_at),
            "next_attempt_at": None if self.next_attempt_at is None else iso_z(self.next_attempt_at),
            "statuses": self.statuses,
            "attempts": [a.as_dict() for a in self.attempts],
        }
        if with_body:
            out["body"] = self.body.decode()
        return out


def prepare(
    signer: WebhookSigner,
    delivery_id: int,
    url: str,
    payload: dict[str, Any],
    scheme: Scheme,
    clock: WebhookClock,
    now: float,
) -> Delivery:
    """Stamp (on GHL's clock: ``clock.stamp_lag_s`` behind ``now``), serialise and sign once."""
    body_dict = stamp(payload, clock.stamp_time(now))
    body = orjson.dumps(body_dict)
    stamped = body_dict.get("timestamp")
    return Delivery(
        id=delivery_id,
        url=url,
        scheme=scheme,
        body=body,
        headers=signer.headers(body, scheme),
        webhook_id=str(body_dict["webhookId"]),
        timestamp=stamped if isinstance(stamped, str) else None,
        clock=clock,
        enqueued_at=now,
    )


async def post_once(client: httpx.AsyncClient, delivery: Delivery) -> int:
    """One POST of the delivery's bytes; a transport error is status 0 (final, as GHL gives up)."""
    try:
        return (await client.post(delivery.url, content=delivery.body, headers=delivery.headers)).status_code
    except httpx.HTTPError:
        return 0


def _final_state(status: int) -> DeliveryState:
    if 200 <= status < 300:
        return DeliveryState.DELIVERED
    return DeliveryState.EXHAUSTED if status == 429 else DeliveryState.REFUSED


async def run_attempts(
    delivery: Delivery,
    client: httpx.AsyncClient,
    sleep: Sleep = asyncio.sleep,
    now: Now = time.time,
    gate: AbstractAsyncContextManager[Any] | None = None,
) -> Delivery:
    """Send, and after each 429 wait the clock's (compressed) interval and send the same bytes
    again, until a final answer or the last retry. ``gate`` bounds concurrent sends (not waits)."""
    clock = delivery.clock
    stamped_at = _epoch_of(delivery.timestamp)
    first_sent: float | None = None
    try:
        while True:
            sent_at = now()
            first_sent = sent_at if first_sent is None else first_sent
            async with gate or nullcontext():
                status = await post_once(client, delivery)
            ATTEMPTS.labels(str(status)).inc()
            delivery.attempts.append(
                Attempt(
                    number=len(delivery.attempts),
                    sent_at=sent_at,
                    status=status,
                    duration_ms=round((now() - sent_at) * 1000, 3),
                    age_s=None if stamped_at is None else round(sent_at - stamped_at, 3),
                    sim_elapsed_s=round(clock.sim_elapsed_s(sent_at - first_sent, len(delivery.attempts)), 3),
                )
            )
            if not clock.retries_after(status, len(delivery.attempts)):
                delivery.state = _final_state(status)
                break
            delivery.next_attempt_at = now() + clock.wait_s
            await sleep(clock.wait_s)
            delivery.next_attempt_at = None
    except asyncio.CancelledError:
        delivery.state = DeliveryState.CANCELLED
        raise
    finally:
        delivery.next_attempt_at = None
        delivery.finished.set()
    return delivery


class WebhookSender:
    """Delivers in the caller's task: ``deliver`` returns once the delivery is final."""

    def __init__(
        self,
        signer: WebhookSigner,
        retry_interval_s: float = 600.0,
        max_retries: int = 6,
        timeout_s: float = 10.0,
        speedup: float = 1.0,
    ) -> None:
        self.signer = signer
        self.clock = WebhookClock(retry_interval_s, max_retries, speedup)
        self.timeout_s = timeout_s

    @property
    def retry_interval_s(self) -> float:
        return self.clock.interval_s

    @property
    def max_retries(self) -> int:
        return self.clock.max_retries

    @classmethod
    def with_test_keys(
        cls, retry_interval_s: float = 600.0, max_retries: int = 6, speedup: float = 1.0
    ) -> WebhookSender:
        return cls(WebhookSigner.from_dir(), retry_interval_s, max_retries, speedup=speedup)

    async def deliver(self, url: str, payload: dict[str, Any], scheme: Scheme = "ed25519") -> DeliveryResult:
        """POST the signed body; only a 429 is retried (same bytes and webhookId); any other status is final.

        A transport error counts as status 0 and is final too, as GHL gives up on unreachable endpoints.
        """
        delivery = prepare(self.signer, 0, url, payload, scheme, self.clock, time.time())
        async with httpx.AsyncClient(timeout=self.timeout_s, verify=ssl_context()) as client:
            await run_attempts(delivery, client)
        return delivery.result()
