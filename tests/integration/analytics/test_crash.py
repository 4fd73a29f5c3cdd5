"""kill -9 of the service process in the middle of consumption changes no total."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.settings import AnalyticsSettings
from leadflow_common.kafka.lag import read_consumer_lag
from leadflow_common.topics import namespaced
from tests.integration.analytics.event_stream import generate, only, without_zeros
from tests.integration.analytics.service import produce_items
from tests.integration.analytics.snapshot import counters
from tests.support.infra import REPO, Infra


def start_service(infra: Infra, settings: AnalyticsSettings) -> subprocess.Popen[bytes]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        **infra.env,
        "ANALYTICS_DATABASE_URL": settings.database_url,
        "ANALYTICS_DB_SCHEMA": settings.db_schema,
        "ANALYTICS_CONSUMER_GROUP": settings.consumer_group,
        "ANALYTICS_REDIS_PREFIX": settings.redis_prefix,
        "ANALYTICS_BATCH_MAX_RECORDS": "25",
        "ANALYTICS_SESSION_TIMEOUT_MS": "6000",  # the broker's minimum: a killed member leaves sooner
        "ANALYTICS_HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-c", "from analytics.cli import app; app()", "serve"]
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def applied(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(
            (await session.execute(text("SELECT sum(events_applied) FROM projection_progress"))).scalar() or 0
        )


async def caught_up(settings: AnalyticsSettings) -> bool:
    lags = await read_consumer_lag(settings.kafka.bootstrap_servers, namespaced(settings.consumer_group))
    return bool(lags) and sum(p.lag for p in lags) == 0


async def test_kill_9_mid_batch_changes_no_total(
    infra: Infra, settings: AnalyticsSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    stream = generate(41, n_locations=4, n_leads=120)
    await produce_items(infra.kafka, stream.items)
    proc = start_service(infra, settings)
    try:
        for _ in range(800):  # bounded: 40 s
            if await applied(sessions) >= 30:
                break
            await asyncio.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)  # batches of 25: the kill lands between or inside them
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert await applied(sessions) >= 30
    proc = start_service(infra, settings)
    try:
        for _ in range(200):  # bounded: 60 s
            if await caught_up(settings):
                break
            await asyncio.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(20)
    assert only(await counters(sessions), "S41") == only(without_zeros(stream.hourly), "S41")
    assert only(await counters(sessions, daily=True), "S41") == only(without_zeros(stream.daily), "S41")
