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
    # ...and fetched that way: the broker answers a fetch once this many bytes are there or the
    # wait is over, so at a low rate analytics takes a few batches a second instead of one per
    # record (each with its round trips and commit), leaving the CPU to the lead path
    fetch_min_bytes: int = Field(default=256 * 1024, ge=1, description="bytes a fetch waits for")
    fetch_max_wait_ms: int = Field(
        default=250, ge=0, le=5000, description="...or this long: the projection's added delay at a low rate"
    )
    prefetch: bool = Field(
        default=True,
        description="keep polling and decoding while a batch is written (kafka-batch-consumer.md)",
    )
    gc_gen0_threshold: int = Field(
        default=50_000,
        ge=0,
        description="cyclic GC young-generation threshold of a consuming process (0: Python's default)",
    )
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
    # the dashboard's pool and onboarding views ask these services on the operator's behalf (the
    # page only holds the analytics token); unset = those views say they are not configured
    router_url: str = Field(default="", description="router API base URL for the dashboard's pool view")
    router_api_token: SecretStr = Field(default=SecretStr(""), description="bearer token of the router API")
    onboarding_url: str = Field(
        default="", description="onboarding API base URL for the dashboard's onboarding view"
    )
    onboarding_api_token: SecretStr = Field(
        default=SecretStr(""), description="bearer token of the onboarding API"
    )
    lag_interval_s: float = 15.0
    page_size_max: int = 200
    # processed_events pruning: leadflow_common.pruning, docs/decisions/dead-letter-replay-and-pruning.md
    processed_events_retention_h: float | None = Field(
        default=None, gt=0, description="prune dedup rows older than this; unset: topics' retention + margin"
    )
    processed_events_retention_margin_h: float = Field(default=24.0, ge=0, description="above the topics'")
    processed_events_prune_interval_s: float = Field(default=3600.0, gt=0, description="between two runs")
    processed_events_prune_batch: int = Field(default=5000, ge=1, description="rows per DELETE statement")
