"""Onboarding settings (env prefix ONBOARDING_); infrastructure addresses come from the shared ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadflow_common.settings import ServiceSettings


class OnboardingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ONBOARDING_", extra="ignore")

    service_name: str = "onboarding"
    http_port: int = 8003
    db_schema: str = "onboarding"
    consumer_group: str = "onboarding"
    api_token: str = Field(
        default="", description="bearer token of the status API; unset = open (not in production)"
    )
    status_api_url: str | None = Field(default=None, description="CLI: ask this API instead of the DB")
    snapshot_id: str = Field(default="sNapMaster0000000001", description="the master snapshot to apply")
    default_timezone: str = "America/New_York"
    concurrency: int = Field(default=5, ge=1, description="sagas driven at once per replica")
    step_max_attempts: int = Field(default=5, ge=1)
    step_backoff_s: float = Field(default=1.0, description="first retry delay; doubles per attempt")
    step_backoff_max_s: float = 60.0
    push_poll_initial_s: float = 0.5
    push_poll_max_s: float = 5.0
    push_poll_budget_s: float = 300.0
    lease_s: float = Field(default=30.0, description="a crashed replica's sagas are resumed after this")
    scheduler_poll_s: float = 2.0
    lag_interval_s: float = 15.0
    # processed_events pruning: leadflow_common.pruning, docs/decisions/dead-letter-replay-and-pruning.md
    processed_events_retention_h: float | None = Field(
        default=None, gt=0, description="prune dedup rows older than this; unset: topics' retention + margin"
    )
    processed_events_retention_margin_h: float = Field(default=24.0, ge=0, description="above the topics'")
    processed_events_prune_interval_s: float = Field(default=3600.0, gt=0, description="between two runs")
    processed_events_prune_batch: int = Field(default=5000, ge=1, description="rows per DELETE statement")
