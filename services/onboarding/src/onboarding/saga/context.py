"""Everything a saga step needs: the ports and the saga's configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

from onboarding.domain.saga import CredentialsWait, RetryPolicy
from onboarding.ports import EventSink, GhlPort, SagaStore


@dataclass(frozen=True, slots=True)
class SagaConfig:
    snapshot_id: str
    default_timezone: str = "America/New_York"
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    push_poll_initial_s: float = 0.25
    push_poll_max_s: float = 5.0
    push_poll_budget_s: float = 120.0
    credentials_wait: CredentialsWait = field(default_factory=CredentialsWait)


@dataclass(frozen=True, slots=True)
class SagaContext:
    store: SagaStore
    ghl: GhlPort
    events: EventSink
    config: SagaConfig
