"""``make_redis`` picks a Redis Cluster client for ``redis+cluster://`` URLs (no server needed)."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from leadflow_common.redis import cluster_seed_url, is_cluster_url, make_any_redis
from leadflow_common.settings import RedisSettings


def test_cluster_urls() -> None:
    assert is_cluster_url("redis+cluster://127.0.0.1:7000")
    assert is_cluster_url("REDISS+CLUSTER://h:1/0")
    assert not is_cluster_url("redis://127.0.0.1:6379/0")
    assert cluster_seed_url("redis+cluster://127.0.0.1:7000/0") == "redis://127.0.0.1:7000"
    assert cluster_seed_url("rediss+cluster://:pw@h:7000") == "rediss://:pw@h:7000"


def test_client_kind_follows_the_url() -> None:
    # constructing either client opens no connection
    assert isinstance(make_any_redis(RedisSettings(url="redis+cluster://127.0.0.1:7000")), RedisCluster)
    assert isinstance(make_any_redis(RedisSettings(url="redis://127.0.0.1:6379/0")), Redis)
