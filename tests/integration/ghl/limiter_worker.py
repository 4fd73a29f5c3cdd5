"""One process of the shared-limiter test: ``python -m tests.integration.ghl.limiter_worker SPEC_JSON``.

Warms up (limiter scripts loaded, an HTTP connection open), prints ``ready``, waits for a line on
stdin, then upserts ``count`` contacts (unique emails) into one location through the rate-limited
client with ``concurrency`` tasks; prints a JSON summary on stdout.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import orjson

from leadflow_common.ghl import GhlClient, GhlError, GhlSettings
from leadflow_common.redis import make_redis
from leadflow_common.settings import RedisSettings


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    redis = make_redis(RedisSettings(url=spec["redis_url"]))
    client = GhlClient(GhlSettings(**spec["settings"]), redis)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(spec["count"]):
        queue.put_nowait(i)
    errors: list[str] = []
    await client.installed_locations()  # the company resource: the location's budget stays untouched
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started = time.time()

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            email = f"{spec['prefix']}-{i}@example.com"
            try:
                await client.upsert_contact(spec["location_id"], {"email": email, "firstName": "Load"})
            except GhlError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

    await asyncio.gather(*(worker() for _ in range(spec["concurrency"])))
    elapsed = time.time() - started
    await client.aclose()
    await redis.aclose()
    return {"done": spec["count"] - len(errors), "errors": errors[:5], "elapsed": elapsed}


if __name__ == "__main__":
    print(orjson.dumps(asyncio.run(run(orjson.loads(sys.argv[1])))).decode())
