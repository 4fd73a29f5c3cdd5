"""The webhook use case: verify, validate, deduplicate, publish; raises the domain's typed errors."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from ingest.domain.claim import Claim
from ingest.domain.errors import ConcurrentDelivery
from ingest.domain.signature import SignatureVerifier
from ingest.domain.webhook import FreshnessWindow, Webhook, build_webhook


class ReplayStore(Protocol):
    async def claim(self, webhook_id: str) -> Claim: ...

    def confirm(self, webhook_id: str) -> None:
        """Queue the confirmation; not awaited before answering (see ingest_webhook)."""

    async def release(self, webhook_id: str) -> None: ...


class Publisher(Protocol):
    async def publish(self, webhook: Webhook, trace: str | None) -> None: ...


class Status(enum.StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Result:
    status: Status
    webhook: Webhook


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class IngestDeps:
    verifier: SignatureVerifier | None  # None: verification disabled by configuration
    replay_store: ReplayStore
    publisher: Publisher
    window: FreshnessWindow = field(default_factory=FreshnessWindow)
    clock: Callable[[], datetime] = field(default=_utc_now)


async def ingest_webhook(
    raw_body: bytes,
    ed25519_signature: str | None,
    rsa_signature: str | None,
    deps: IngestDeps,
    trace: str | None = None,
) -> Result:
    """``trace``: the W3C traceparent of the request's span, carried into the event."""
    if deps.verifier is not None:
        deps.verifier.verify(raw_body, ed25519_signature, rsa_signature)
    webhook = build_webhook(raw_body, deps.clock(), deps.window)
    if webhook.webhook_id is None:
        await deps.publisher.publish(webhook, trace)
        return Result(Status.ACCEPTED, webhook)
    claim = await deps.replay_store.claim(webhook.webhook_id)
    if claim is Claim.PUBLISHED:
        return Result(Status.DUPLICATE, webhook)
    if claim is Claim.IN_FLIGHT:
        raise ConcurrentDelivery(f"webhook {webhook.webhook_id} is being published by another request")
    try:
        await deps.publisher.publish(webhook, trace)
    except BaseException:
        if claim is Claim.CLAIMED:
            await deps.replay_store.release(webhook.webhook_id)
        raise
    if claim is Claim.CLAIMED:
        # Not awaited: the event is durable already. If the confirmation never lands, the claim
        # expires after its short in-flight TTL and a later copy is published again with the
        # same event_id, which consumers drop; meanwhile copies get 429 (GHL retries). Losing
        # it can duplicate a record, never lose one; awaiting it would cost a round trip each.
        deps.replay_store.confirm(webhook.webhook_id)
    return Result(Status.ACCEPTED, webhook)
