"""The webhook use case: verify, validate, deduplicate, publish; raises the domain's typed errors."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ingest.domain.claim import Claim
from ingest.domain.errors import ConcurrentDelivery
from ingest.domain.signature import SignatureVerifier
from ingest.domain.webhook import Webhook, build_webhook


class ReplayStore(Protocol):
    async def claim(self, webhook_id: str) -> Claim: ...
    async def confirm(self, webhook_id: str) -> None: ...
    async def release(self, webhook_id: str) -> None: ...


class Publisher(Protocol):
    async def publish(self, webhook: Webhook) -> None: ...


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
    tolerance: timedelta = timedelta(minutes=5)
    require_timestamp: bool = False
    clock: Callable[[], datetime] = field(default=_utc_now)


async def ingest_webhook(
    raw_body: bytes, ed25519_signature: str | None, rsa_signature: str | None, deps: IngestDeps
) -> Result:
    if deps.verifier is not None:
        deps.verifier.verify(raw_body, ed25519_signature, rsa_signature)
    webhook = build_webhook(raw_body, deps.clock(), deps.tolerance, deps.require_timestamp)
    if webhook.webhook_id is None:
        await deps.publisher.publish(webhook)
        return Result(Status.ACCEPTED, webhook)
    claim = await deps.replay_store.claim(webhook.webhook_id)
    if claim is Claim.PUBLISHED:
        return Result(Status.DUPLICATE, webhook)
    if claim is Claim.IN_FLIGHT:
        raise ConcurrentDelivery(f"webhook {webhook.webhook_id} is being published by another request")
    try:
        await deps.publisher.publish(webhook)
    except BaseException:
        if claim is Claim.CLAIMED:
            await deps.replay_store.release(webhook.webhook_id)
        raise
    if claim is Claim.CLAIMED:
        await deps.replay_store.confirm(webhook.webhook_id)
    return Result(Status.ACCEPTED, webhook)
