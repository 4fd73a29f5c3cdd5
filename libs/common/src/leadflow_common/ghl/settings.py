"""GHL API client settings (env prefix ``GHL_``); the limits default to GHL's documented ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GhlSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GHL_", extra="ignore")

    base_url: str = "https://services.leadconnectorhq.com"
    agency_token: str
    company_id: str
    app_id: str
    version: str = "2021-07-28"
    timeout_s: float = 10
    max_retries: int = 5
    rate_limit_max: int = 100
    rate_limit_interval_ms: int = 10_000
    daily_limit: int = 200_000
    rate_limit_guard_ms: int = Field(
        default=200, description="extra spacing per window so request arrival jitter never crosses the limit"
    )
    rate_limit_burst: int = Field(
        default=10, description="grants allowed back to back (at most max/10) before pacing at interval/max"
    )
    rate_limit_pause_ms: int | None = Field(
        default=None, description="how long a 429 pauses a resource (default: one interval)"
    )
    max_wait_s: float = Field(
        default=120.0, description="longest a call queues for a slot before GhlRateLimited"
    )
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 10.0
    redis_prefix: str = Field(default="ghl", description="prefix of the limiter and token-cache keys")
    max_connections: int = Field(default=100, description="HTTP connections to GHL per process")
    redis_concurrency: int = Field(default=16, description="limiter calls in flight to Redis per process")
    resource_concurrency: int = Field(
        default=20, ge=1, description="calls per resource reserved or in flight at once per process; "
        "the others queue in arrival order",
    )  # fmt: skip
