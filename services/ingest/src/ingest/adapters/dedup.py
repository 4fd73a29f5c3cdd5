"""Replay protection in Redis: claim a webhookId while in flight, confirm after the ack, else release."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ingest.adapters.redis_batch import PipelineBatcher
from ingest.domain.claim import Claim
from leadflow_common.logging import get_logger

log = get_logger(__name__)

IN_FLIGHT = b"inflight"
PUBLISHED = b"published"


class WebhookDeduplicator:
    def __init__(self, redis: Redis, published_ttl_s: int, in_flight_ttl_s: int, prefix: str = "ingest:wh:"):
        self._redis = redis
        self._batch = PipelineBatcher(redis)
        self._published_ttl_s = published_ttl_s
        self._in_flight_ttl_s = in_flight_ttl_s
        self._prefix = prefix

    def _key(self, webhook_id: str) -> str:
        return self._prefix + webhook_id

    async def claim(self, webhook_id: str) -> Claim:
        """One round trip: SET NX GET returns the previous value when the key already existed."""
        try:
            key = self._key(webhook_id)
            # execute_command, not pipe.set(): redis-py's argument-checking wrapper around set()
            # cost more CPU than the command's own packing. get=True: the reply is the old value.
            previous = await self._batch.run(
                lambda pipe: pipe.execute_command(
                    "SET", key, IN_FLIGHT, "NX", "GET", "EX", self._in_flight_ttl_s, get=True
                )
            )
        except (RedisError, OSError) as exc:
            log.warning("dedup_unavailable", op="claim", error=repr(exc))
            return Claim.UNAVAILABLE
        if previous is None:
            return Claim.CLAIMED
        return Claim.IN_FLIGHT if previous == IN_FLIGHT else Claim.PUBLISHED

    def confirm(self, webhook_id: str) -> None:
        """Queued with the next pipeline, not awaited. If it fails (logged), the event is on the
        topic already: the claim expires, a later copy is published again and deduped downstream."""
        key = self._key(webhook_id)
        self._batch.submit(
            lambda pipe: pipe.execute_command("SET", key, PUBLISHED, "EX", self._published_ttl_s)
        )

    async def drain(self) -> None:
        """Send the queued confirmations (shutdown, before Redis closes)."""
        await self._batch.drain()

    async def release(self, webhook_id: str) -> None:
        try:
            await self._redis.delete(self._key(webhook_id))
        except (RedisError, OSError) as exc:
            # The in-flight claim expires on its own within its short TTL.
            log.warning("dedup_unavailable", op="release", error=repr(exc))
