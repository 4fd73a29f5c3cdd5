"""Production Redis is `rediss://` with an ACL user, set as REDIS_URL from the Secret
leadflow-redis: redis-py's URL parsing already gives TLS, the user and the CA (no code needed)."""

from __future__ import annotations

from redis.asyncio.connection import SSLConnection

from leadflow_common.redis import make_redis
from leadflow_common.settings import RedisSettings

URL = "rediss://leadflow:s3cr%40t@redis.data.svc.cluster.local:6379/0?ssl_ca_certs=/etc/leadflow/redis/ca.crt"


def test_rediss_url_with_acl_user_and_ca() -> None:
    pool = make_redis(RedisSettings(url=URL)).connection_pool  # no connection is opened
    assert pool.connection_class is SSLConnection
    kwargs = pool.connection_kwargs
    assert (kwargs["username"], kwargs["password"]) == ("leadflow", "s3cr@t")  # percent-decoded
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("redis.data.svc.cluster.local", 6379, 0)
    assert kwargs["ssl_ca_certs"] == "/etc/leadflow/redis/ca.crt"


def test_plain_url_stays_plain() -> None:
    pool = make_redis(RedisSettings(url="redis://127.0.0.1:6379/0")).connection_pool
    assert pool.connection_class is not SSLConnection
    assert pool.connection_kwargs.get("username") is None
