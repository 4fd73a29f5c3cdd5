"""The Redis replay store: claim, in-flight, confirm with the long TTL, release."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from ingest.adapters.dedup import WebhookDeduplicator
from ingest.adapters.redis_batch import PipelineBatcher
from ingest.domain.claim import Claim
from leadflow_common.redis import make_redis
from leadflow_common.settings import RedisSettings
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


async def test_claim_confirm_release_against_real_redis(infra: Infra) -> None:
    redis = make_redis(RedisSettings(url=infra.redis_url))
    store = WebhookDeduplicator(redis, published_ttl_s=7200, in_flight_ttl_s=30)
    published, released = f"t-{uuid.uuid4()}", f"t-{uuid.uuid4()}"
    try:
        assert await store.claim(published) is Claim.CLAIMED
        assert await store.claim(published) is Claim.IN_FLIGHT
        assert 0 < await redis.ttl(f"ingest:wh:{published}") <= 30
        store.confirm(published)  # queued with the next pipeline, not awaited
        assert await store.claim(published) is Claim.PUBLISHED
        assert await redis.ttl(f"ingest:wh:{published}") > 7000

        assert await store.claim(released) is Claim.CLAIMED
        await store.release(released)
        assert await store.claim(released) is Claim.CLAIMED
    finally:
        await redis.delete(f"ingest:wh:{published}", f"ingest:wh:{released}")
        await redis.aclose()


async def test_concurrent_claims_share_pipelines_and_one_wins_per_id(infra: Infra) -> None:
    redis = make_redis(RedisSettings(url=infra.redis_url))
    store = WebhookDeduplicator(redis, published_ttl_s=7200, in_flight_ttl_s=30)
    ids = [f"t-{uuid.uuid4()}" for _ in range(40)]
    try:
        claims = await asyncio.gather(*(store.claim(i) for i in ids + ids))
        assert claims.count(Claim.CLAIMED) == len(ids)
        assert claims.count(Claim.IN_FLIGHT) == len(ids)
        for i in ids:
            store.confirm(i)
        await store.drain()
        assert set(await redis.mget([f"ingest:wh:{i}" for i in ids])) == {b"published"}
        assert set(await asyncio.gather(*(store.claim(i) for i in ids))) == {Claim.PUBLISHED}
    finally:
        await redis.delete(*(f"ingest:wh:{i}" for i in ids))
        await redis.aclose()


async def test_a_failing_unawaited_command_is_logged_and_spares_its_pipeline(infra: Infra) -> None:
    redis = make_redis(RedisSettings(url=infra.redis_url))
    batcher = PipelineBatcher(redis)
    key = f"t-{uuid.uuid4()}"
    try:
        await redis.lpush(f"{key}-list", b"x")
        batcher.submit(lambda pipe: pipe.incr(f"{key}-list"))  # WRONGTYPE: logged only
        batcher.submit(lambda pipe: pipe.set(key, b"published"))
        assert await batcher.run(lambda pipe: pipe.get(key)) == b"published"  # same pipeline, in order
        await batcher.drain()
    finally:
        await redis.delete(key, f"{key}-list")
        await redis.aclose()
