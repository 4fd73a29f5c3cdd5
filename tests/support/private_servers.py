"""Private Redis and PostgreSQL servers for fault tests, started with devstack's own code.

Like tests/support/private_kafka.py: each server's data and state live in its own DEVSTACK_HOME,
so it can be stopped, wiped and started again without touching the shared devstack servers.
Postgres runs as the ``postgres`` system user, so the home is a world-traversable dir under /tmp.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TypeVar

from devstack import postgres, redis_server
from devstack.state import ServerState
from tests.support.devstack_home import in_devstack_home


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
        self.state = in_devstack_home(self.home, lambda: redis_server.start(self.state))

    def stop(self) -> None:
        in_devstack_home(self.home, lambda: redis_server.stop(self.state))

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
        self.state = in_devstack_home(self.home, lambda: postgres.start(self.state))

    def stop(self) -> None:
        in_devstack_home(self.home, lambda: postgres.stop(self.state))


S = TypeVar("S", PrivateRedis, PrivatePostgres)


@contextmanager
def _running(server: S) -> Iterator[S]:
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.home, ignore_errors=True)


def private_redis() -> AbstractContextManager[PrivateRedis]:
    return _running(PrivateRedis(_private_home("lf-redis-")))


def private_postgres() -> AbstractContextManager[PrivatePostgres]:
    return _running(PrivatePostgres(_private_home("lf-pg-")))
