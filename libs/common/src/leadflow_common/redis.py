"""The Redis client factory (redis-py asyncio, hiredis parser when installed) and the pipelined
script runner.

``make_redis`` returns a single-node client for ``redis://`` / ``rediss://`` / ``unix://`` URLs and
a Redis Cluster client for ``redis+cluster://host:port`` (``rediss+cluster://`` with TLS): the
node given is only the seed, the client discovers the other masters and follows MOVED/ASK. A
cluster has no databases, so a ``/0`` path is ignored there. Code that must run on both takes
``AnyRedis``; every multi-key script then has to declare its keys in KEYS and keep them in one
hash slot (``{tag}`` in the key names).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias, cast

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError
from redis.typing import EncodableT, KeyT

from leadflow_common.settings import RedisSettings

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}

AnyRedis: TypeAlias = Redis | RedisCluster
ScriptCall: TypeAlias = tuple[Sequence[KeyT], Sequence[EncodableT]]


def is_cluster_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in CLUSTER_SCHEMES


def cluster_seed_url(url: str) -> str:
    """``redis+cluster://h:p/0`` → ``redis://h:p`` (the seed node; a cluster has only db 0)."""
    scheme, rest = url.split("://", 1)
    address = rest.split("/", 1)[0]
    return f"{CLUSTER_SCHEMES[scheme.lower()]}://{address}"


class InitializingCluster(RedisCluster):
    """A RedisCluster that learns the slot map before its first command runs.

    redis-py 8.1's RedisCluster resolves a command's routing policy BEFORE its lazy
    ``initialize()``; commands started concurrently on a fresh client then use the seed node's
    connections while initialization closes them ("'NoneType' object has no attribute
    'writelines'", seen in about half the runs of 100 concurrent first commands). Initializing
    first (under redis-py's own lock, so concurrent callers wait for one initialization) avoids it.
    """

    async def execute_command(self, *args: EncodableT, **kwargs: Any) -> Any:
        if self._initialize:
            await self.initialize()
        return await super().execute_command(*args, **kwargs)


def make_redis(settings: RedisSettings) -> Redis:
    """A client for ``settings.url``: a ``RedisCluster`` for a ``redis+cluster://`` URL.

    Typed as ``Redis`` because the services call only commands both clients share (GET/SET/EVALSHA/
    pipelines...); code written for both (the router's Redis layer) takes ``AnyRedis`` instead."""
    return cast(Redis, make_any_redis(settings))


def make_any_redis(settings: RedisSettings) -> AnyRedis:
    common: dict[str, Any] = {
        "socket_timeout": settings.socket_timeout_s,
        "socket_connect_timeout": settings.socket_timeout_s,
        "health_check_interval": 30,
        "decode_responses": False,
    }
    if is_cluster_url(settings.url):
        cluster: RedisCluster = InitializingCluster.from_url(cluster_seed_url(settings.url), **common)
        return cluster
    client: Redis = Redis.from_url(settings.url, **common)
    return client


async def redis_ready(client: AnyRedis) -> None:
    await client.ping()


async def _pipelined(client: AnyRedis, sha: str, calls: Sequence[ScriptCall]) -> list[Any]:
    # transaction=False: no MULTI/EXEC around the batch (each EVALSHA is atomic on its own, and a
    # cluster pipeline cannot span slots in a transaction); exceptions come back in place.
    async with client.pipeline(transaction=False) as pipe:
        for keys, args in calls:
            # the raw command, not pipe.evalsha(): redis-py's cluster pipeline blocks that method
            # because it cannot load scripts for you; eval_many does (SCRIPT LOAD on every master)
            # and the cluster pipeline routes EVALSHA by its first key, following MOVED/ASK.
            pipe.execute_command("EVALSHA", sha, len(keys), *keys, *args)
        replies: list[Any] = await pipe.execute(raise_on_error=False)
    return replies


async def eval_many(client: AnyRedis, script: AsyncScript, calls: Sequence[ScriptCall]) -> list[Any]:
    """Run ``script`` once per call in ONE non-transactional pipeline of EVALSHA; replies in call
    order. A NOSCRIPT reply (Redis restarted or flushed its script cache) means that call did not
    run: load the script (every master on a cluster) and re-run only those calls. Any other error
    reply is raised after the batch, so the calls that did run keep their effects."""
    if not calls:
        return []
    replies = await _pipelined(client, script.sha, calls)
    missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
    if missing:
        await client.script_load(script.script)
        again = await _pipelined(client, script.sha, [calls[i] for i in missing])
        for i, reply in zip(missing, again, strict=True):
            replies[i] = reply
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies
