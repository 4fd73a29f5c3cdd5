"""devstack's wait for a broker that answers admin requests, against the real Kafka and a dead port."""

from __future__ import annotations

import time

import pytest

from devstack.errors import DevstackError
from devstack.kafka import wait_for_cluster
from devstack.procs import free_port
from tests.support.infra import Infra


async def test_returns_once_the_running_broker_answers(infra: Infra) -> None:
    started = time.monotonic()
    await wait_for_cluster(infra.kafka, 30)
    assert time.monotonic() - started < 10


async def test_gives_up_after_its_timeout_with_the_last_error() -> None:
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(DevstackError, match=f"Kafka at {dead} does not answer admin requests"):
        await wait_for_cluster(dead, 1.5)
    assert 1.5 <= time.monotonic() - started < 15
