"""Testcontainers path: used only where a Docker engine answers (never on the dev machines here)."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from devstack.state import ServerState, StackState

_running: list[Any] = []  # containers live as long as this process (pytest session)


def docker_available() -> bool:
    docker = shutil.which("docker")
    if not docker:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def start_containers() -> StackState:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer
    from testcontainers.redis import RedisContainer

    kafka = KafkaContainer("apache/kafka:4.1.1").with_kraft()
    postgres = PostgresContainer(
        "postgres:16-alpine", username="postgres", password="postgres", dbname="leadflow"
    )
    redis = RedisContainer("redis:7-alpine")
    for container in (kafka, postgres, redis):
        container.start()
        _running.append(container)
    pg_port = int(postgres.get_exposed_port(5432))
    redis_port = int(redis.get_exposed_port(6379))
    return StackState(
        kafka=ServerState(url=kafka.get_bootstrap_server()),
        postgres=ServerState(
            port=pg_port, url=f"postgresql://postgres:postgres@127.0.0.1:{pg_port}/leadflow"
        ),
        redis=ServerState(port=redis_port, url=f"redis://127.0.0.1:{redis_port}/0"),
    )
