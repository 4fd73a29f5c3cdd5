"""Drives one location's saga from its last recorded step to the end, with bounded retries."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from leadflow_common.logging import get_logger
from onboarding import metrics
from onboarding.domain.errors import CredentialsBlocked, StepError
from onboarding.domain.location import Location, StepRecord
from onboarding.domain.saga import (
    ADOPTED_STEPS,
    CREDENTIALS_WAIT_SINCE,
    RUNNABLE,
    STEPS,
    RetryPolicy,
    SagaStatus,
    Step,
    StepStatus,
    next_step,
    waiting_for_credentials,
)
from onboarding.saga import blocking
from onboarding.saga.compensation import compensate
from onboarding.saga.context import SagaContext
from onboarding.saga.fencing import FencedStore
from onboarding.saga.steps import STEP_FUNCTIONS, StepResult
from onboarding.saga.verification import verify_adoption, verify_and_finish

log = get_logger(__name__)


class SagaFailed(Exception):
    """A step ran out of attempts (or cannot succeed)."""

    def __init__(self, step: Step, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


async def run_saga(
    ctx: SagaContext, location_id: str, fenced: FencedStore | None = None
) -> SagaStatus | None:
    """Resume the saga of ``location_id``; returns its final status (None if it does not exist).

    With ``fenced`` (the runner's lease) every write is fenced: once another runner has claimed the
    saga, the next write raises LeaseLost and this run stops there."""
    if fenced is not None:
        ctx = dataclasses.replace(ctx, store=fenced)
    loc = await ctx.store.get(location_id)
    if loc is None or loc.status not in RUNNABLE:
        return loc.status if loc else None
    if loc.status is SagaStatus.PENDING:
        loc.status = SagaStatus.RUNNING
        await ctx.store.save(loc)
    await _publish_unsent_steps(ctx, loc)
    steps = ADOPTED_STEPS if loc.adopted else STEPS
    waiting = waiting_for_credentials(loc.last_error)
    try:
        while (step := next_step(loc.done_steps(), steps)) is not None:
            _still_held(ctx)
            try:
                if step is Step.VERIFY:
                    await _verify(ctx, loc)
                else:
                    await _run_step(ctx, loc, step)
            except CredentialsBlocked as blocked:  # not the step's fault: parked, not an attempt
                await blocking.park(ctx, loc, step, blocked)
                return loc.status
            if waiting:
                await blocking.restored(ctx, loc, step)
                waiting = False
            if step is Step.VERIFY:
                break
    except SagaFailed as failure:
        await _fail(ctx, loc, failure)
    if loc.status not in RUNNABLE:
        metrics.FINISHED.labels(loc.status.value).inc()
    return loc.status


def _still_held(ctx: SagaContext) -> None:
    """Stop before the next GHL call once the heartbeat has seen the lease taken."""
    if isinstance(ctx.store, FencedStore):
        ctx.store.check()


async def _publish_unsent_steps(ctx: SagaContext, loc: Location) -> None:
    """A crash between recording a step and publishing its event: publish it now."""
    for step in STEPS:
        record = loc.step(step)
        if record is not None and record.status is StepStatus.DONE and not record.published:
            await _announce(ctx, loc, step, record)


async def _announce(ctx: SagaContext, loc: Location, step: Step, record: StepRecord) -> None:
    await ctx.events.step_completed(loc, step)
    record.published = True
    await ctx.store.save_step(loc.location_id, step, record)


class _RetryStep(Exception):
    """A retryable step failure, already recorded; carries the persisted attempt number."""

    def __init__(self, attempt: int) -> None:
        super().__init__(attempt)
        self.attempt = attempt


def _policy_wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    # The delay follows the *persisted* attempt count (a resumed saga keeps backing off where the
    # crashed run stopped), not tenacity's per-run attempt number, so the wait reads it from the error.
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return policy.delay(exc.attempt) if isinstance(exc, _RetryStep) else 0.0

    return wait


async def _run_step(ctx: SagaContext, loc: Location, step: Step) -> None:
    policy = ctx.config.retry
    # Whether to retry is decided in the body from the persisted attempt count (``policy.exhausted``);
    # stop_after_attempt is the same bound counted per run, so it can never stop earlier than that.
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(_RetryStep),
        stop=stop_after_attempt(policy.max_attempts),
        wait=_policy_wait(policy),
        sleep=asyncio.sleep,
        reraise=True,
    )
    async for try_ in retrying:
        with try_:
            await _attempt_step(ctx, loc, step, policy)


async def _attempt_step(ctx: SagaContext, loc: Location, step: Step, policy: RetryPolicy) -> None:
    """One attempt: record success, or record the failure and raise _RetryStep or SagaFailed."""
    _still_held(ctx)
    previous = loc.step(step)
    attempt = (previous.attempts if previous else 0) + 1
    started = time.perf_counter()
    try:
        result: StepResult = await STEP_FUNCTIONS[step](ctx, loc)
    except CredentialsBlocked:
        raise  # neither recorded as a failure nor counted: run_saga parks the saga
    except StepError as exc:
        will_retry = exc.retryable and not policy.exhausted(attempt)
        await _record_failure(ctx, loc, step, attempt, exc, will_retry)
        if not will_retry:
            raise SagaFailed(step, str(exc) or type(exc).__name__) from exc
        raise _RetryStep(attempt) from exc
    metrics.STEP_SECONDS.labels(step.value).observe(time.perf_counter() - started)
    record = StepRecord(StepStatus.DONE, result, attempt)
    if loc.ghl_location_id and step is Step.SUB_ACCOUNT:
        await ctx.store.save(loc)
    await ctx.store.save_step(loc.location_id, step, record)
    loc.steps[step] = record
    await _announce(ctx, loc, step, record)
    log.info("step_completed", location_id=loc.location_id, step=step.value, attempt=attempt)


async def _record_failure(
    ctx: SagaContext, loc: Location, step: Step, attempt: int, exc: StepError, will_retry: bool
) -> None:
    current = loc.step(step)
    # an answer other than a refusal: the credentials work, a wait before this one is over
    ids = {k: v for k, v in current.ghl_ids.items() if k != CREDENTIALS_WAIT_SINCE} if current else {}
    status = current.status if current and current.status is StepStatus.REQUESTED else StepStatus.FAILED
    record = StepRecord(status, ids, attempt, f"{type(exc).__name__}: {exc}"[:500])
    await ctx.store.save_step(loc.location_id, step, record)
    loc.steps[step] = record
    metrics.STEP_FAILURES.labels(step.value).inc()
    log.warning("step_failed", location_id=loc.location_id, step=step.value, attempt=attempt, error=str(exc))
    await ctx.events.step_failed(loc, step, record.error or "", attempt, will_retry)


async def _verify(ctx: SagaContext, loc: Location) -> None:
    problems = await (verify_adoption(ctx, loc) if loc.adopted else verify_and_finish(ctx, loc))
    record = StepRecord(StepStatus.DONE, {"problems": problems}, 1)
    await ctx.store.save_step(loc.location_id, Step.VERIFY, record)
    loc.steps[Step.VERIFY] = record
    await _announce(ctx, loc, Step.VERIFY, record)


async def _fail(ctx: SagaContext, loc: Location, failure: SagaFailed) -> None:
    compensated, comp_error = await compensate(ctx, loc)
    reason = failure.reason if comp_error is None else f"{failure.reason} (compensation: {comp_error})"
    loc.status = SagaStatus.FAILED
    loc.failed_step = failure.step.value
    loc.last_error = reason
    await ctx.events.failed(loc, failure.step, reason, compensated)
    await ctx.store.save(loc)
    log.error("onboarding_failed", location_id=loc.location_id, step=failure.step.value, reason=reason)
