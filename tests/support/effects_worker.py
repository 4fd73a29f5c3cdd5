"""A minimal consumer used by the delivery-semantics tests: each event's effect is a row in
``effects`` written with its processed_events row in one transaction. Run as a process so a
test can kill it with SIGKILL between the effect and the offset commit.

    python -m tests.support.effects_worker <topic> <schema> <group> <expected> [--kill-after-effect N]

It stops once ``expected`` effect rows exist and its group has no lag left (everything committed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text

from leadflow_common.db import (
    claim_event,
    make_engine,
    make_sessionmaker,
    processed_events_table,
    transaction,
)
from leadflow_common.events.envelope import Envelope
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.consumer import subscribe_records
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.kafka.lag import read_consumer_lag
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import TopicSpec, namespaced

metadata = MetaData()
processed = processed_events_table(metadata)
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
)


async def create_tables(database_url: str, schema: str) -> None:
    engine = make_engine(database_url, schema)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await conn.run_sync(metadata.create_all)
    await engine.dispose()


async def main(topic: str, schema: str, group: str, expected: int, kill_after: int | None) -> None:
    database_url = os.environ["TEST_DATABASE_URL"]
    sessions = make_sessionmaker(make_engine(database_url, schema))
    settings = KafkaSettings()
    broker = make_broker(settings, "effects-worker")
    handled = 0

    async def handle(record: ConsumedRecord, envelope: Envelope | None) -> None:
        nonlocal handled
        assert envelope is not None
        if envelope.payload.get("poison"):
            raise ValueError("poison payload")
        async with transaction(sessions) as session:
            if await claim_event(session, processed, group, envelope.event_id):
                await session.execute(insert(effects).values(event_id=str(envelope.event_id)))
        handled += 1
        if kill_after is not None and handled >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)  # effect durable, offset not committed

    async def finished() -> bool:
        async with sessions() as session:
            rows = (await session.execute(select(func.count()).select_from(effects))).scalar_one()
        lags = await read_consumer_lag(settings.bootstrap_servers, namespaced(group))
        return rows >= expected and bool(lags) and sum(p.lag for p in lags) == 0

    subscribe_records(broker, TopicSpec(topic, key="any", partitions=1), group, handle, settings)
    await broker.start()
    try:
        for _ in range(300):  # bounded: 60 s
            if await finished():
                break
            await asyncio.sleep(0.2)
        else:
            raise TimeoutError("effects or commits missing after 60 s")
    finally:
        await broker.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("topic")
    parser.add_argument("schema")
    parser.add_argument("group")
    parser.add_argument("expected", type=int)
    parser.add_argument("--kill-after-effect", type=int, default=None)
    args = parser.parse_args()
    asyncio.run(main(args.topic, args.schema, args.group, args.expected, args.kill_after_effect))
