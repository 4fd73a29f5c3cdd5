"""A private single-node Kafka broker for fault tests, started with devstack's own code.

Its state and data live in a temporary DEVSTACK_HOME (the jar cache stays shared), so it can be
stopped and started again on the same ports without touching the shared devstack broker.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from devstack import kafka
from devstack.state import ServerState
from leadflow_common.kafka.admin import ensure_topics
from leadflow_common.topics import TopicSpec
from tests.support.devstack_home import in_devstack_home

T = TypeVar("T")


class PrivateKafka:
    """``start()``/``stop()`` are blocking; ``astart()``/``astop()`` run them off the event loop."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.state = ServerState()

    @property
    def bootstrap(self) -> str:
        return self.state.url

    def _in_home(self, fn: Callable[[], T]) -> T:
        return in_devstack_home(self.home, fn)

    def start(self) -> None:
        """Start, or restart on the same ports with the same data."""
        self.state = self._in_home(lambda: kafka.start(self.state))

    def stop(self) -> None:
        self._in_home(lambda: kafka.stop(self.state))

    def create_topics(self, specs: Iterable[TopicSpec] | None = None) -> list[str]:
        wanted = list(specs) if specs is not None else None
        return self._in_home(lambda: asyncio.run(ensure_topics(self.bootstrap, wanted)))

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)


@contextmanager
def private_kafka(home: Path, topics: Iterable[TopicSpec] | None = None) -> Iterator[PrivateKafka]:
    """A running private broker with ``topics`` created (all declared topics when None)."""
    broker = PrivateKafka(home)
    broker.start()
    try:
        broker.create_topics(topics)
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(home, ignore_errors=True)
