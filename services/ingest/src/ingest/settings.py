"""Ingest settings (env prefix ``INGEST_``); Kafka and Redis addresses come from the shared variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from leadflow_common.settings import ServiceSettings

KEYS_DIR = Path(__file__).resolve().parents[2] / "config" / "keys"
DEFAULT_PUBLIC_KEYS = [
    str(KEYS_DIR / "ghl-webhook-ed25519.pem"),
    str(KEYS_DIR / "ghl-webhook-rsa-legacy.pem"),
]
MIN_DEDUP_TTL_S = 2 * 60 * 60


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
    timestamp_tolerance_s: float = Field(default=300.0, gt=0)
    require_timestamp: bool = Field(default=False, description="reject bodies without `timestamp`")
    dedup_ttl_s: int = Field(default=MIN_DEDUP_TTL_S, description="how long a published webhookId is kept")
    inflight_ttl_s: int = Field(default=30, gt=0, description="claim TTL while the produce is in flight")
    produce_timeout_s: float = Field(default=5.0, gt=0, description="deadline for the broker's ack")
    retry_after_s: int = Field(default=60, ge=0, description="Retry-After sent with a 429")
    readiness_requires_dependencies: bool = Field(
        default=False,
        description="true: /readyz fails while Kafka or Redis does not answer (see README)",
    )
    shutdown_drain_s: float = Field(default=20.0, ge=0, description="wait for in-flight requests at stop")

    @field_validator("dedup_ttl_s")
    @classmethod
    def _dedup_ttl_covers_retries(cls, value: int) -> int:
        if value < MIN_DEDUP_TTL_S:
            raise ValueError(f"dedup_ttl_s must be >= {MIN_DEDUP_TTL_S} (2 h)")
        return value

    @model_validator(mode="after")
    def _claim_outlives_the_produce(self) -> IngestSettings:
        # A claim expiring mid-produce would let a concurrent retry publish the same event twice.
        if self.inflight_ttl_s <= self.produce_timeout_s:
            raise ValueError("inflight_ttl_s must be longer than produce_timeout_s")
        return self
