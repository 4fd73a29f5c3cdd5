"""Ingest settings (env prefix ``INGEST_``); Kafka and Redis addresses come from the shared variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from leadflow_common.settings import ServiceSettings

KEYS_DIR = Path(__file__).resolve().parents[2] / "config" / "keys"
DEFAULT_PUBLIC_KEYS = [
    str(KEYS_DIR / "ghl-webhook-ed25519.pem"),
    str(KEYS_DIR / "ghl-webhook-rsa-legacy.pem"),
]
# GHL retries a 429'd delivery up to 6 times about 10 minutes apart (plus jitter), same body.
RETRY_HORIZON_S = 75 * 60


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

    service_name: str = "ingest"
    http_port: int = 8001
    verify_signatures: bool = Field(
        default=True, description="false only for local demos: every request is then trusted"
    )
    public_keys: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PUBLIC_KEYS),
        description="Ed25519 and RSA public keys: PEM file paths or inline PEM text",
    )
    max_body_bytes: int = Field(default=256 * 1024, gt=0)
    timestamp_max_age_s: float = Field(
        default=RETRY_HORIZON_S, gt=0, description="oldest `timestamp` accepted: GHL's retry horizon"
    )
    timestamp_future_skew_s: float = Field(default=300.0, ge=0, description="clock skew allowed ahead")
    require_timestamp: bool = Field(default=False, description="reject bodies without `timestamp`")
    dedup_ttl_s: int = Field(
        default=3 * 60 * 60, description="how long a published webhookId is kept; outlives the window"
    )
    inflight_ttl_s: int = Field(default=30, gt=0, description="claim TTL while the produce is in flight")
    produce_timeout_s: float = Field(default=5.0, gt=0, description="deadline for the broker's ack")
    retry_after_s: int = Field(default=60, ge=0, description="Retry-After sent with a 429")
    readiness_requires_dependencies: bool = Field(
        default=False,
        description="true: /readyz fails while Kafka or Redis does not answer (see README)",
    )
    shutdown_drain_s: float = Field(default=20.0, ge=0, description="wait for in-flight requests at stop")

    @model_validator(mode="after")
    def _dedup_outlives_the_window(self) -> IngestSettings:
        # Inside the window only the id stops a replay: a key expiring while a copy could still
        # be accepted by its timestamp would let that copy be published again.
        window_s = self.timestamp_max_age_s + self.timestamp_future_skew_s
        if self.dedup_ttl_s <= window_s:
            raise ValueError(f"dedup_ttl_s must be longer than the timestamp window ({window_s:.0f}s)")
        return self

    @model_validator(mode="after")
    def _claim_outlives_the_produce(self) -> IngestSettings:
        # A claim expiring mid-produce would let a concurrent retry publish the same event twice.
        if self.inflight_ttl_s <= self.produce_timeout_s:
            raise ValueError("inflight_ttl_s must be longer than produce_timeout_s")
        return self
