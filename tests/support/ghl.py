"""The GHL simulator as a real HTTP server for tests.

Use it from a conftest or test module::

    from tests.support.ghl import ghl_sim  # noqa: F401  (module-scoped fixture)

    async def test_x(ghl_sim: GhlSim, infra: Infra) -> None:
        client = GhlClient(ghl_sim.settings(), make_redis(...))

Each module gets its own simulator process (fresh state, its own limiter key prefix in Redis).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ghl_simulator.settings import SimSettings
from ghl_simulator.webhooks import ED25519_PUBLIC_KEY, RSA_PUBLIC_KEY, WebhookSender
from leadflow_common.ghl import GhlSettings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class GhlSim:
    """A running simulator: its URL, client settings for it, admin API and webhook sender."""

    ed25519_public_key = ED25519_PUBLIC_KEY
    rsa_public_key = RSA_PUBLIC_KEY

    def __init__(self, base_url: str, sim_settings: SimSettings, process: subprocess.Popen[bytes]) -> None:
        self.base_url = base_url
        self.sim_settings = sim_settings
        self.process = process
        self.admin = httpx.Client(base_url=f"{base_url}/admin", timeout=10)
        self.webhooks = WebhookSender.with_test_keys(retry_interval_s=0.05)
        self.redis_prefix = f"ghltest-{uuid.uuid4().hex[:8]}"

    def settings(self, **overrides: Any) -> GhlSettings:
        """Client settings pointing at this simulator, with its current limits (overridable)."""
        limits = self.state()["limits"]
        values: dict[str, Any] = {
            "base_url": self.base_url,
            "agency_token": self.sim_settings.agency_token,
            "company_id": self.sim_settings.company_id,
            "app_id": self.sim_settings.app_id,
            "rate_limit_max": limits["max"],
            "rate_limit_interval_ms": limits["interval_ms"],
            "daily_limit": limits["daily"],
            "redis_prefix": self.redis_prefix,
            "timeout_s": 5,
            "backoff_initial_s": 0.05,
            "backoff_max_s": 0.5,
        }
        return GhlSettings(**(values | overrides))

    def state(self) -> dict[str, Any]:
        return self._ok(self.admin.get("/state"))

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._ok(self.admin.get("/requests", params={"since": since}))[
            "requests"
        ]
        return rows

    def contacts(self, location_id: str | None = None) -> list[dict[str, Any]]:
        params = {"locationId": location_id} if location_id else {}
        rows: list[dict[str, Any]] = self._ok(self.admin.get("/contacts", params=params))["contacts"]
        return rows

    def faults(self, **config: Any) -> None:
        """e.g. ``faults(storm_seconds=2)``, ``faults(error_rate=0.2)``,
        ``faults(crash=[{"method": "POST", "path_prefix": "/locations/", "count": 1}])``."""
        self._ok(self.admin.post("/faults", json=config))

    def clear_faults(self) -> None:
        self._ok(self.admin.delete("/faults"))

    def set_limits(self, max: int, interval_ms: int, daily: int = 200_000) -> None:
        self._ok(self.admin.post("/limits", json={"max": max, "interval_ms": interval_ms, "daily": daily}))

    def reset(self) -> None:
        """Forget all state, faults, limiter windows and the request log (limits stay)."""
        self._ok(self.admin.post("/reset"))

    def close(self) -> None:
        self.admin.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    @staticmethod
    def _ok(response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()


def start_ghl_sim(**env_overrides: str) -> GhlSim:
    """Start ``python -m ghl_simulator serve`` on a free port; ``env_overrides`` are GHLSIM_* names
    without the prefix (``snapshot_push_delay_s="0.2"``)."""
    port = free_port()
    sim_env = {f"GHLSIM_{k.upper()}": str(v) for k, v in env_overrides.items()}
    sim_env |= {"GHLSIM_PORT": str(port), "GHLSIM_HOST": "127.0.0.1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ghl_simulator", "serve"],
        env=os.environ | sim_env,
        stdout=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"GHL simulator did not start (exit code {process.poll()})")
        time.sleep(0.05)
    settings = SimSettings(**{k.lower().removeprefix("ghlsim_"): v for k, v in sim_env.items()})
    return GhlSim(base_url, settings, process)


@pytest.fixture(scope="module")
def ghl_sim() -> Iterator[GhlSim]:
    """A fresh simulator per test module (snapshot pushes complete after 0.3 s)."""
    sim = start_ghl_sim(snapshot_push_delay_s="0.3")
    try:
        yield sim
    finally:
        sim.close()
