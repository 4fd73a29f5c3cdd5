"""The tenacity-driven loops of the saga: step retries and the snapshot push-status poll."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from leadflow_common.events.onboarding import OnboardLocation
from onboarding.domain.errors import SnapshotPushPending
from onboarding.domain.location import StepRecord
from onboarding.domain.saga import RetryPolicy, SagaStatus, Step, StepStatus
from onboarding.handlers import handle_command
from onboarding.saga.context import SagaContext
from onboarding.saga.runner import run_saga
from onboarding.saga.steps import wait_for_push
from tests.unit.onboarding.fakes import FakeGhl, unavailable
from tests.unit.onboarding.test_saga import DRAFT, make_ctx

_real_sleep = asyncio.sleep


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every asyncio.sleep the code under test asks for (it still sleeps, so time advances)."""
    asked: list[float] = []

    async def recording_sleep(delay: float) -> None:
        asked.append(delay)
        await _real_sleep(delay)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    return asked


def _poll_ctx(statuses: list[str], budget_s: float) -> tuple[SagaContext, FakeGhl]:
    ctx, _, ghl, _ = make_ctx(FakeGhl(push_statuses=statuses))
    config = dataclasses.replace(
        ctx.config, push_poll_initial_s=0.1, push_poll_max_s=0.2, push_poll_budget_s=budget_s
    )
    return dataclasses.replace(ctx, config=config), ghl


async def test_push_poll_doubles_its_delay_up_to_the_cap_until_settled(sleeps: list[float]) -> None:
    ctx, ghl = _poll_ctx(["pending", "processing", "processing", "completed"], budget_s=10)
    assert await wait_for_push(ctx, "ghl1", "snap") == "completed"
    assert sleeps == [0.1, 0.2, 0.2]
    assert ghl.calls.count("snapshot_status") == 4


async def test_push_poll_returns_failed_at_once(sleeps: list[float]) -> None:
    ctx, _ = _poll_ctx(["failed"], budget_s=10)
    assert await wait_for_push(ctx, "ghl1", "snap") == "failed"
    assert sleeps == []


async def test_push_poll_gives_up_rather_than_sleep_past_its_budget(sleeps: list[float]) -> None:
    # Polls at ~0 s and ~0.1 s and ~0.3 s; sleeping 0.2 s more would end past the 0.45 s budget.
    ctx, ghl = _poll_ctx(["processing"], budget_s=0.45)
    with pytest.raises(SnapshotPushPending, match="still processing after 0s"):
        await wait_for_push(ctx, "ghl1", "snap")
    assert sleeps == [0.1, 0.2]
    assert ghl.calls.count("snapshot_status") == 3


async def test_resumed_step_keeps_its_persisted_attempt_count(sleeps: list[float]) -> None:
    ctx, store, _, events = make_ctx(FakeGhl(fail={"custom_value": unavailable(5)}))
    policy = RetryPolicy(max_attempts=5, base_s=0.004, cap_s=1.0)
    ctx = dataclasses.replace(ctx, config=dataclasses.replace(ctx.config, retry=policy))
    await handle_command(ctx, OnboardLocation(location=DRAFT), lambda: None)
    # A crashed earlier run used 3 attempts of custom_values (none of them by this process).
    await store.save_step("FIT-0001", Step.CUSTOM_VALUES, StepRecord(StepStatus.FAILED, {}, 3))

    assert await run_saga(ctx, "FIT-0001") is SagaStatus.FAILED
    failed = [p for k, _, p in events.events if k == "StepFailed"]
    assert failed == [("custom_values", 4, True), ("custom_values", 5, False)]
    step_waits = [s for s in sleeps if s > 0]
    # The one wait is the policy's delay after attempt 4 (ceiling 0.032 s, equal jitter).
    assert len(step_waits) == 1 and 0.016 <= step_waits[0] <= 0.032
