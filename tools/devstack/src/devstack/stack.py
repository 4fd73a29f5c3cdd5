"""Bring the whole local stack up or down, using existing servers where the environment names them."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from devstack import kafka, postgres, redis_server
from devstack.containers import docker_available, start_containers
from devstack.errors import DevstackError
from devstack.state import ServerState, StackState

Progress = Callable[[str], None]


def _external(var: str) -> str | None:
    value = os.environ.get(var, "").strip()
    return value or None


def up(progress: Progress = print, create_topics: bool = True, containers: bool = False) -> StackState:
    """Idempotent: running servers are reused, missing ones started, topics created.

    ``containers``: use testcontainers when a Docker engine answers (their life is this
    process's, so only a test session asks for it)."""
    state = StackState.load()
    if (
        containers
        and docker_available()
        and not any(_external(v) for v in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "REDIS_URL"))
    ):
        progress("Docker engine found: starting Kafka, Postgres and Redis with testcontainers")
        state = start_containers()
    else:
        saved = StackState.load()
        state.kafka = _up_one("Kafka", "KAFKA_BOOTSTRAP_SERVERS", state.kafka, kafka.start, progress)
        state.postgres = _up_one("PostgreSQL", "DATABASE_URL", state.postgres, postgres.start, progress)
        state.redis = _up_one("Redis", "REDIS_URL", state.redis, redis_server.start, progress)
        # The file records what devstack runs; a run against external servers must not make it
        # forget the servers it started (`down` stops only those).
        for name in ("kafka", "postgres", "redis"):
            if getattr(state, name).managed:
                setattr(saved, name, getattr(state, name))
        saved.save()
    if not state.postgres.managed:
        postgres.bootstrap_external(state.postgres.url)
    if create_topics:
        from leadflow_common.kafka.admin import ensure_topics

        created = asyncio.run(ensure_topics(state.kafka.url))
        progress(
            f"topics: {len(created)} created" + (f" ({', '.join(created)})" if created else ", all present")
        )
    return state


def _up_one(
    name: str, var: str, current: ServerState, start: Callable[[ServerState], ServerState], progress: Progress
) -> ServerState:
    external = _external(var)
    if external:
        progress(f"{name}: using {var}={external}")
        return ServerState(url=external, managed=False)
    progress(f"{name}: starting (or reusing the one devstack started)")
    try:
        started = start(current if current.managed else ServerState())
    except DevstackError:
        raise
    except Exception as exc:  # a failure we did not foresee still gets a clear message
        raise DevstackError(
            f"{name} failed to start: {exc!r}", "rerun `devstack up`; see .devstack/ logs"
        ) from exc
    progress(f"{name}: ready at {started.url}")
    return started


def down(progress: Progress = print) -> None:
    """Stop only what devstack started; data stays for the next `up` (use `reset` to wipe)."""
    state = StackState.load()
    for name, server, stop in (
        ("Kafka", state.kafka, kafka.stop),
        ("Redis", state.redis, redis_server.stop),
        ("PostgreSQL", state.postgres, postgres.stop),
    ):
        if server.managed:
            progress(f"stopping {name}")
            stop(server)
    StackState().save()


def env_vars(state: StackState | None = None) -> dict[str, str]:
    """What services and tests need to reach the stack."""
    state = state or StackState.load()
    if not state.kafka.url:
        raise DevstackError("the stack is not up", "run `devstack up`")
    pg = state.postgres
    if pg.managed:
        urls = {
            f"{s.upper()}_DATABASE_URL": postgres.service_url(pg.port, s) for s in postgres.SERVICE_SCHEMAS
        }
    else:
        base = pg.url.replace("postgresql://", "postgresql+asyncpg://", 1)
        urls = {f"{s.upper()}_DATABASE_URL": base for s in postgres.SERVICE_SCHEMAS}
    return {
        "KAFKA_BOOTSTRAP_SERVERS": state.kafka.url,
        "REDIS_URL": state.redis.url,
        "DATABASE_URL": pg.url,
        **urls,
    }
