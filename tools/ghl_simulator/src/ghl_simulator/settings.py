"""Simulator settings (env prefix ``GHLSIM_``); defaults mirror GoHighLevel's documented limits."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_COMPANY_ID = "5DP4iH6HLkQsiKESj6rh"
DEFAULT_APP_ID = "64f1b2c3d4e5f6a7b8c9d0e1"
DEFAULT_AGENCY_TOKEN = "pit-sim-agency-4b7d1f0e-2c9a-4e61-9d3b-0a5f8c7e6d21"
DEFAULT_SNAPSHOT_ID = "sNapMaster0000000001"


class SimSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GHLSIM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8010
    company_id: str = DEFAULT_COMPANY_ID
    app_id: str = DEFAULT_APP_ID
    agency_token: str = DEFAULT_AGENCY_TOKEN
    version: str = Field(default="2021-07-28", description="the only accepted Version header")
    rate_limit_max: int = 100
    rate_limit_interval_ms: int = 10_000
    daily_limit: int = 200_000
    snapshot_id: str = DEFAULT_SNAPSHOT_ID
    snapshot_push_delay_s: float = Field(default=2.0, description="time until a snapshot push completes")
    location_token_ttl_s: int = 86_399
    auto_install_app: bool = Field(default=True, description="install the app on every new location")
    webhook_retry_interval_s: float = Field(
        default=600.0, ge=0, description="GHL retries a 429 ~10 min later (simulated seconds)"
    )
    webhook_max_retries: int = Field(default=6, ge=0)
    webhook_clock_speedup: float = Field(
        default=1.0, ge=1.0, description="compress the waits between retries (stamps are backdated)"
    )
    webhook_delivery_concurrency: int = Field(default=64, gt=0, description="sends in flight at once")
    webhook_delivery_history: int = Field(default=100_000, gt=0, description="deliveries kept for /admin")
    webhook_url: str | None = Field(
        default=None, description="the app's webhook URL: where contacts created by forms are announced"
    )
    request_log_size: int = 100_000
    log_level: str = "WARNING"
