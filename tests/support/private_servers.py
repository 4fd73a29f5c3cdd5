"""Private Redis and PostgreSQL servers for fault tests, started with devstack's own code.

Like tests/support/private_kafka.py: each server's data and state live in its own DEVSTACK_HOME,
so it can be stopped, wiped and started again without touching the shared devstack servers.
Postgres runs as the ``postgres`` system user, so the home is a world-traversable dir under /tmp.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from devstack import postgres, redis_server
from devstack.state import ServerState

T = TypeVar("T")
_HOME_LOCK = threading.Lock()


def _in_home(home: Path, fn: Callable[[], T]) -> T:
    """Run ``fn`` with DEVSTACK_HOME=home, in a thread (devstack may call asyncio.run)."""

    def call() -> T:
        with _HOME_LOCK:
            previous = os.environ.get("DEVSTACK_HOME")
            os.environ["DEVSTACK_HOME"] = str(home)
            try:
                return fn()
            finally:
                if previous is None:
                    os.environ.pop("DEVSTACK_HOME", None)
                else:
                    os.environ["DEVSTACK_HOME"] = previous

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def _private_home(prefix: str) -> Path:
    home = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    home.chmod(0o755)
    return home


class PrivateRedis:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.state = ServerState()

    @property
    def url(self) -> str:
        return self.state.url

    def start(self) -> None:
        """Start, or restart on the same port (with whatever data the home still has)."""
        self.state = _in_home(self.home, lambda: redis_server.start(self.state))

    def stop(self) -> None:
        _in_home(self.home, lambda: redis_server.stop(self.state))

    def restart_empty(self) -> None:
        """Stop, delete every byte of data (AOF included), start again on the same port."""
        self.stop()
        shutil.rmtree(self.home / "redis", ignore_errors=True)
        self.start()


class PrivatePostgres:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.state = ServerState()

    @property
    def admin_url(self) -> str:
        return self.state.url

    def service_url(self, service: str) -> str:
        return postgres.service_url(self.state.port, service)

    def env(self) -> dict[str, str]:
        """The DATABASE_URL entries `devstack env` would print for this server."""
        return {
            "DATABASE_URL": self.admin_url,
            **{f"{s.upper()}_DATABASE_URL": self.service_url(s) for s in postgres.SERVICE_SCHEMAS},
        }

    def start(self) -> None:
        """Start (initdb the first time; roles and schemas bootstrapped), or restart with the same data."""
        self.state = _in_home(self.home, lambda: postgres.start(self.state))

    def stop(self) -> None:
        _in_home(self.home, lambda: postgres.stop(self.state))


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis(_private_home("lf-redis-"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.home, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres(_private_home("lf-pg-"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.home, ignore_errors=True)
