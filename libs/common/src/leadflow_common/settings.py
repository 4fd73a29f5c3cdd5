"""Settings shared by every service, grouped by concern.

Infrastructure addresses use the unprefixed variables the devstack prints
(``KAFKA_BOOTSTRAP_SERVERS``, ``REDIS_URL``); each service subclasses ``ServiceSettings`` with its
own env prefix (``ROUTER_``...) for everything else, including its ``<PREFIX>DATABASE_URL``.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadflow_common.api_tokens import api_token_problem


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    topic_namespace: str = ""
    request_timeout_ms: int = 10_000
    delivery_timeout_s: float = 5.0
    transient_retries: int = Field(default=4, description="in-process retries before a nack")
    retry_backoff_s: float = 0.2
    commit_every: int = Field(default=100, description="commit offsets at least every N handled records")
    commit_interval_ms: int = Field(default=200, description="...or this often; 0 commits every batch")
    batch_max_records: int = Field(default=500, ge=1, description="records per poll of a consumer")
    poll_timeout_ms: int = Field(default=500, ge=1, description="longest wait of an empty poll")
    max_poll_interval_ms: int = Field(default=300_000, description="a consumer silent this long leaves")
    handling_budget_share: float = Field(
        default=0.5, gt=0, lt=1, description="share of max_poll_interval_ms one batch may take (retries too)"
    )
    pause_max_s: float = Field(
        default=5.0, gt=0, description="longest pause of a partition after a transient failure (backoff cap)"
    )
    client_id_prefix: str = "leadflow"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = Field(default=None, description="CA bundle for SSL / SASL_SSL")

    def security_options(self) -> dict[str, Any]:
        """aiokafka client options for TLS and SASL (nothing for PLAINTEXT)."""
        options: dict[str, Any] = {}
        if self.security_protocol == "PLAINTEXT":
            return options
        options["security_protocol"] = self.security_protocol
        if self.security_protocol in ("SSL", "SASL_SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(cafile=self.ssl_cafile)
        if self.security_protocol.startswith("SASL"):
            if not (self.sasl_mechanism and self.sasl_username and self.sasl_password):
                missing = "KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
                raise ValueError(f"{self.security_protocol} needs {missing}")
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return options


class RedisSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REDIS_", extra="ignore")

    url: str = "redis://127.0.0.1:6379/0"
    socket_timeout_s: float = 2.0


class TelemetrySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OTEL_", extra="ignore")

    service_name: str | None = None
    exporter: str = Field(default="none", description="none | console")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(default=True, validation_alias="LOG_JSON")


class ServiceSettings(BaseSettings):
    """Base of each service's settings; subclasses set ``env_prefix``."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "leadflow"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    database_url: str = "postgresql+asyncpg://leadflow:leadflow@127.0.0.1:5432/leadflow"
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    environment: Literal["development", "production"] = Field(
        default="development",
        validation_alias="LEADFLOW_ENV",
        description="production: the API token is required and may not be a known dev value",
    )

    @model_validator(mode="after")
    def _api_token_fits_the_environment(self) -> Self:
        # Services with an internal API declare ``api_token``; the check runs when the settings
        # are read, i.e. before anything starts (a ValidationError: one line from the CLI).
        if "api_token" in type(self).model_fields:
            variable = f"{self.model_config.get('env_prefix', '')}API_TOKEN".upper()
            token = getattr(self, "api_token")  # noqa: B009 (declared by the subclass, not here)
            problem = api_token_problem(token, production=self.environment == "production", variable=variable)
            if problem is not None:
                raise ValueError(problem)
        return self
