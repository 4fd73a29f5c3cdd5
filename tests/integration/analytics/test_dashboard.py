"""The dashboard page renders the performance table and the hourly chart in headless Chromium."""

from __future__ import annotations

import asyncio
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
import uvicorn

from analytics.main import create_app
from analytics.settings import AnalyticsSettings
from devstack.procs import apt_install
from tests.integration.analytics.event_stream import generate, window
from tests.integration.analytics.service import TOKEN, produce_items, running_app, wait_for_applied
from tests.support.infra import Infra

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--virtual-time-budget=15000",
]


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        apt_install("chromium")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve(settings: AnalyticsSettings, port: int) -> AsyncIterator[uvicorn.Server]:
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    try:
        yield server
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def dump_dom(chromium: str, url: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        proc = await asyncio.create_subprocess_exec(
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--dump-dom",
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), 60)
        finally:
            if proc.returncode is None:
                proc.kill()
    return out.decode()


async def test_dashboard_renders_rows_and_chart(
    infra: Infra, settings: AnalyticsSettings, chromium: str
) -> None:
    stream = generate(31, n_locations=6, n_leads=60)
    async with running_app(settings.model_copy(update={"cache_ttl_s": 0.0})) as client:
        await produce_items(infra.kafka, stream.items)
        await wait_for_applied(client, len(stream.items), settled=settings)
        performance = (await client.get("/locations/performance", params={**window(31), "limit": 200})).json()
    port = free_port()
    served = settings.model_copy(update={"consume": False, "http_port": port})
    fragment = urlencode({"token": TOKEN, **window(31), "location": "S31-0001"})
    async with serve(served, port):
        dom = await dump_dom(chromium, f"http://127.0.0.1:{port}/dashboard#{fragment}")
    assert 'id="error"></p>' in dom, dom[:2000]
    assert dom.count('class="location-row"') == performance["total"] >= 6
    assert 'data-location="S31-0001"' in dom
    assert "<rect" in dom and "Hourly leads: S31-0001" in dom
    assert "Conversion:" in dom
    assert "Speed to lead p50/p90:" in dom and "SLA breaches:" in dom and "Speed p90 (min)" in dom
