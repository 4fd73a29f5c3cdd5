"""The onboarding saga's shape: its ordered steps, where a saga resumes, and what verification needs."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum


class Step(StrEnum):
    LOCATION_RECORD = "location_record"
    SUB_ACCOUNT = "sub_account"
    SNAPSHOT = "snapshot"
    CUSTOM_VALUES = "custom_values"
    INTEGRATIONS = "integrations"
    VERIFY = "verify"


STEPS: tuple[Step, ...] = tuple(Step)
# An adopted sub-account exists already: the saga only records it and verifies it is reachable.
ADOPTED_STEPS: tuple[Step, ...] = (Step.LOCATION_RECORD, Step.VERIFY)


class StepStatus(StrEnum):
    REQUESTED = "requested"  # the GHL call was (perhaps) made; its outcome is not recorded yet
    DONE = "done"
    FAILED = "failed"
    COMPENSATED = "compensated"


class SagaStatus(StrEnum):
    PENDING = "pending"  # accepted, waiting for a runner slot
    RUNNING = "running"
    ACTIVE = "active"
    PAUSED = "paused"
    QUARANTINED = "quarantined"
    FAILED = "failed"
    OFFBOARDED = "offboarded"


RUNNABLE = frozenset({SagaStatus.PENDING, SagaStatus.RUNNING})


@dataclass(frozen=True, slots=True)
class Lease:
    """A runner's hold on one saga. ``token`` is the lease generation (incremented by every claim):
    each write of the runner is conditional on it, so a runner that lost its lease writes nothing."""

    location_id: str
    token: int


def next_step(done: set[Step], steps: tuple[Step, ...] = STEPS) -> Step | None:
    """The first step not yet done: a resumed saga continues exactly there."""
    for step in steps:
        if step not in done:
            return step
    return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter for one step."""

    max_attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.cap_s, self.base_s * (2 ** (attempt - 1)))
        return float(ceiling / 2 + random.uniform(0, ceiling / 2))

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


# A step parked on refused credentials: its record carries since when (epoch seconds) and the
# location's last_error starts with the prefix, so any replica resuming it knows it was waiting.
CREDENTIALS_WAIT_SINCE = "credentials_wait_since"
WAITING_FOR_CREDENTIALS = "waiting for GHL credentials"


@dataclass(frozen=True, slots=True)
class CredentialsWait:
    """How long a saga parked on refused credentials waits before trying again: as long as it has
    waited so far (so the waits double), at least ``first_s``, at most ``cap_s``, jittered down by
    up to a fifth so the sagas blocked by one agency token do not all retry in the same second."""

    first_s: float = 2.0
    cap_s: float = 300.0

    def delay(self, waited_s: float) -> float:
        ceiling = min(self.cap_s, max(self.first_s, waited_s))
        return float(ceiling * random.uniform(0.8, 1.0))


def waiting_for_credentials(last_error: str | None) -> bool:
    return last_error is not None and last_error.startswith(WAITING_FOR_CREDENTIALS)


@dataclass(frozen=True, slots=True)
class VerificationFacts:
    sub_account_exists: bool
    snapshot_status: str
    workflows: list[str] = field(default_factory=list)
    app_installed: bool = False
    pipelines: list[str] = field(default_factory=list)


WELCOME_WORKFLOW = "welcome"
LEAD_PIPELINE = "lead"


def verification_problems(facts: VerificationFacts) -> list[str]:
    """Reasons the location must not go live; empty when it may."""
    problems: list[str] = []
    if not facts.sub_account_exists:
        problems.append("sub-account not found in GHL")
    if facts.snapshot_status != "completed":
        problems.append(f"snapshot push is {facts.snapshot_status}, not completed")
    if not any(WELCOME_WORKFLOW in w.casefold() for w in facts.workflows):
        problems.append("Welcome workflow missing")
    if not facts.app_installed:
        problems.append("Marketplace app not installed on the location")
    if not any(LEAD_PIPELINE in p.casefold() for p in facts.pipelines):
        problems.append("Lead pipeline missing")
    return problems
