"""Analytics settings (env prefix ANALYTICS_)."""

from __future__ import annotations

import os
import socket

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from leadflow_common.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore")

    service_name: str = "analytics"
    http_port: int = 8004
    database_url: str = "postgresql+asyncpg://analytics:analytics@127.0.0.1:5432/leadflow"
    db_schema: str = "analytics"
    consumer_group: str = "analytics"
    consume: bool = Field(default=True, description="run the batch consumer inside the API process")
    # not on the latency path: big batches, so per-batch round trips and commits amortise
    batch_max_records: int = Field(default=2000, ge=1)
    replica_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}",
        description="names this process's projection_progress row",
    )
    session_timeout_ms: int = Field(default=10_000, ge=6_000, description="Kafka group session timeout")
    api_token: SecretStr = Field(
        default=SecretStr(""), description="bearer token of the APIs; unset = open (refused in production)"
    )
    redis_prefix: str = Field(
        default="analytics", description="prefix of every Redis key (tests: per session)"
    )
    cache_ttl_s: float = Field(default=5.0, ge=0, description="response cache TTL = bounded staleness")
    read_rollup: bool = Field(
        default=True,
        description="whole UTC days from location_utc_daily; false: hourly rows only (bench baseline)",
    )
    lag_interval_s: float = 15.0
    page_size_max: int = 200
