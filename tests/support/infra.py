"""Real infrastructure for tests: devstack starts Kafka, Postgres and Redis once per session.

Every session gets its own topic namespace (and each migrated service its own schema), so
concurrent runs on one machine never read each other's events or rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from devstack import stack
from leadflow_common.kafka.admin import ensure_topics
from leadflow_common.migrations import upgrade

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Infra:
    kafka: str
    redis_url: str
    admin_db_url: str
    env: dict[str, str]
    namespace: str

    def service_db_url(self, service: str) -> str:
        return self.env[f"{service.upper()}_DATABASE_URL"]


def start_infra() -> Infra:
    state = stack.up(progress=lambda m: print(f"[devstack] {m}"), create_topics=False, containers=True)
    env = stack.env_vars(state)
    namespace = f"t{uuid.uuid4().hex[:8]}"
    os.environ.update(env)
    os.environ["KAFKA_TOPIC_NAMESPACE"] = namespace
    env["KAFKA_TOPIC_NAMESPACE"] = namespace
    asyncio.run(ensure_topics(env["KAFKA_BOOTSTRAP_SERVERS"]))
    return Infra(env["KAFKA_BOOTSTRAP_SERVERS"], env["REDIS_URL"], env["DATABASE_URL"], env, namespace)


def drop_namespace_topics(infra: Infra) -> None:
    async def run() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka)
        await admin.start()
        try:
            mine = [t for t in await admin.list_topics() if t.startswith(infra.namespace + ".")]
            if mine:
                await admin.delete_topics(mine)
        finally:
            await admin.close()

    asyncio.run(run())


def migrations_dir(service: str) -> Path:
    return REPO / "services" / service / "migrations"


def migrated_schema(infra: Infra, service: str) -> Iterator[str]:
    """A fresh schema for ``service`` at head; dropped afterwards. Yields its name."""
    schema = f"{service}_{uuid.uuid4().hex[:8]}"
    url = infra.service_db_url(service)
    upgrade(migrations_dir(service), url, schema)
    try:
        yield schema
    finally:
        drop_schema(infra, schema)


def drop_schema(infra: Infra, schema: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(infra.admin_db_url)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(run())


@contextlib.contextmanager
def module_namespace(infra: Infra, label: str) -> Iterator[str]:
    """A topic namespace of one test module's own under the session's (created, then dropped),
    so a consumer in one module never reads another module's events."""
    previous = os.environ.get("KAFKA_TOPIC_NAMESPACE", "")
    safe = "".join(c if c.isalnum() else "-" for c in label)[-40:]
    namespace = f"{infra.namespace}.{safe}-{uuid.uuid4().hex[:4]}"
    os.environ["KAFKA_TOPIC_NAMESPACE"] = namespace
    infra.env["KAFKA_TOPIC_NAMESPACE"] = namespace  # child processes get it from here too
    try:
        asyncio.run(ensure_topics(infra.kafka))
        yield namespace
    finally:
        os.environ["KAFKA_TOPIC_NAMESPACE"] = previous
        infra.env["KAFKA_TOPIC_NAMESPACE"] = previous
        drop_namespace_topics(Infra(infra.kafka, infra.redis_url, infra.admin_db_url, infra.env, namespace))
