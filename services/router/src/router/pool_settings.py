"""Settings of the unassigned pool (env prefix ``ROUTER_POOL_``; documented in the README)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PoolSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTER_POOL_", extra="ignore")

    redrive_enabled: bool = Field(
        default=True, description="route pool leads again when their reason goes away"
    )
    poll_interval_s: float = Field(
        default=5.0, gt=0, description="how often triggers are looked for and worked"
    )
    batch_size: int = Field(default=50, ge=1, le=1000, description="pool leads decided per trigger and batch")
    max_batches: int = Field(default=20, ge=1, description="batches per poll (the rest waits for the next)")
    triggers_per_batch: int = Field(default=5, ge=1, description="triggers locked per batch transaction")
    activation_lookback_s: float = Field(
        default=60.0, ge=0, description="directory changes this long before the start are triggers too"
    )
    tag_enabled: bool = Field(
        default=True, description="tag pool leads' source contacts in GHL (needs the sync)"
    )
    tag: str = Field(default="leadflow:unassigned", description="tag of a pool lead's source contact")
