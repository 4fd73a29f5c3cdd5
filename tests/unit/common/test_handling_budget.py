"""The batch budget (pure parts and the runner around a handler, no broker): a slow handler is cut
off at the budget as a transient failure, no retry is started that the budget cannot hold, a
``RetryLater`` is never retried in process, and a batch names exactly what must wait."""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from aiokafka import TopicPartition

from leadflow_common.kafka.batch_consumer import BatchResult
from leadflow_common.kafka.budget import Budget, PauseBackoff, PollSize, handling_budget_s
from leadflow_common.kafka.consumer import Outcome, RecordByRecord, ReliableRunner, WholeBatch
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.kafka.errors import RetryLater, TransientError
from leadflow_common.settings import KafkaSettings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def record(partition: int, offset: int) -> ConsumedRecord:
    return ConsumedRecord("t", partition, offset, b"k", b"{}", {})


def runner(retries: int = 3, backoff_s: float = 0.01) -> ReliableRunner:
    settings = KafkaSettings(transient_retries=retries, retry_backoff_s=backoff_s)
    return ReliableRunner(None, "g", settings)  # type: ignore[arg-type]  # no DLT write in these cases


def test_the_budget_is_a_share_of_the_poll_interval() -> None:
    assert handling_budget_s(300_000, 0.5) == 150.0
    assert handling_budget_s(4_000, 0.5) == 2.0
    assert handling_budget_s(10_000, 1.5) == 9.5  # never the whole interval


def test_budget_counts_down_and_refuses_a_wait_it_cannot_hold() -> None:
    clock = Clock()
    budget = Budget.start(2.0, clock)
    assert budget.remaining() == 2.0 and budget.fits(1.9) and not budget.fits(2.0)
    clock.now += 1.5
    assert budget.remaining() == 0.5 and not budget.expired
    clock.now += 1.0
    assert budget.remaining() == 0.0 and budget.expired


def test_pause_backoff_doubles_up_to_its_cap_and_resets_on_success() -> None:
    backoff: PauseBackoff[str] = PauseBackoff(1.0, 8.0, random.Random(7))
    pauses = [backoff.next("p0") for _ in range(6)]
    for n, pause in enumerate(pauses):
        ceiling = min(8.0, 2.0**n)
        assert ceiling / 2 <= pause <= ceiling
    assert backoff.failures("p0") == 6 and backoff.failures("p1") == 0
    backoff.reset("p0")
    assert backoff.next("p0") <= 1.0


def test_poll_size_halves_after_a_batch_over_budget_and_grows_back() -> None:
    size = PollSize(500)
    assert [size.over_budget() for _ in range(10)][-1] == 1
    assert size.fitted() == 2
    for _ in range(20):
        size.fitted()
    assert size.current == 500


async def test_a_slow_handler_is_cut_off_at_the_budget_as_a_transient_failure() -> None:
    calls = 0

    async def slow() -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(30)

    started = time.monotonic()
    verdict = await runner().run([record(0, 0)], slow, split=False, budget=Budget.start(0.3))
    assert time.monotonic() - started < 5  # bounded by the budget, not by the handler
    assert verdict.outcome is Outcome.RETRY_LATER and verdict.over_budget
    assert calls == 1  # no retry left time to run


async def test_transient_retries_stop_when_the_budget_is_spent() -> None:
    calls = 0

    async def failing() -> None:
        nonlocal calls
        calls += 1
        raise TransientError("down")

    # many retries allowed, but each backoff (up to 2 s here) must fit in the 0.5 s left
    verdict = await runner(retries=50, backoff_s=1.0).run(
        [record(0, 0)], failing, split=False, budget=Budget.start(0.5)
    )
    assert verdict.outcome is Outcome.RETRY_LATER
    assert calls < 50


async def test_retry_later_is_not_retried_in_process_and_carries_its_pause() -> None:
    calls = 0

    async def refused() -> None:
        nonlocal calls
        calls += 1
        raise RetryLater("credentials refused", after_s=7.0, records=[("t", 1, 5)])

    verdict = await runner().run([record(1, 5)], refused, split=True, budget=Budget.start(10))
    assert calls == 1
    assert verdict.outcome is Outcome.RETRY_LATER and verdict.after_s == 7.0
    assert verdict.waiting == frozenset({("t", 1, 5)})


async def test_a_batch_waits_only_on_the_partitions_of_the_records_named() -> None:
    records = [record(0, 10), record(1, 20), record(0, 11), record(1, 21), record(2, 30)]

    async def handler(batch: list[tuple[ConsumedRecord, None]]) -> None:
        raise RetryLater("p1 blocked", records=[("t", 1, 21)])

    result: BatchResult = await WholeBatch(runner(), handler).apply(records, [None] * 5, Budget.start(10))
    assert result.rewinds == {_tp(1): 21}
    assert result.pauses == {_tp(1): None}  # None: the consumer's backoff
    assert result.next_offsets == {_tp(0): 12, _tp(1): 21, _tp(2): 31}  # never past what waits


async def test_a_batch_that_fails_transiently_waits_on_all_its_partitions() -> None:
    records = [record(0, 10), record(1, 20)]

    async def handler(batch: list[tuple[ConsumedRecord, None]]) -> None:
        raise TransientError("db down")

    result = await WholeBatch(runner(retries=0), handler).apply(records, [None, None], Budget.start(10))
    assert result.rewinds == {_tp(0): 10, _tp(1): 20}
    assert set(result.pauses) == {_tp(0), _tp(1)} and not result.next_offsets


async def test_record_by_record_stops_unpaused_when_time_is_up() -> None:
    clock = Clock()
    budget = Budget.start(1.0, clock)
    done: list[int] = []

    async def handler(batch: list[tuple[ConsumedRecord, None]]) -> None:
        done.append(batch[0][0].offset)
        clock.now += 0.6  # each record takes 0.6 s of the 1 s budget

    records = [record(0, i) for i in range(5)]
    result = await RecordByRecord(runner(), handler).apply(records, [None] * 5, budget)
    assert done == [0, 1]
    assert result.next_offsets == {_tp(0): 2} and result.rewinds == {_tp(0): 2}
    assert result.pauses == {} and result.over_budget  # nothing failed: read again at once


class DeadLetters:
    """Stands in for the broker's publish (a unit test: the DLT write itself is tested on Kafka)."""

    def __init__(self) -> None:
        self.topics: list[str] = []

    async def publish(self, value: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]) -> None:
        self.topics.append(topic)


async def test_a_permanent_error_is_dead_lettered_even_when_the_budget_is_spent() -> None:
    clock = Clock()
    budget = Budget.start(1.0, clock)
    dlt = DeadLetters()

    async def bad() -> None:
        clock.now += 5  # the budget runs out during the call, which then fails permanently
        raise ValueError("bad contract")

    settings = KafkaSettings(transient_retries=3, retry_backoff_s=0.01)
    verdict = await ReliableRunner(dlt, "g", settings).run(  # type: ignore[arg-type]
        [record(0, 0)], bad, split=False, budget=budget
    )
    assert verdict.outcome is Outcome.DONE and dlt.topics == ["t.DLT"]


async def test_a_bug_cut_short_by_the_budget_is_read_again_not_dead_lettered() -> None:
    clock = Clock()
    budget = Budget.start(1.0, clock)
    dlt = DeadLetters()

    async def buggy() -> None:
        clock.now += 5
        raise RuntimeError("a bug, or a dependency slow to answer")

    settings = KafkaSettings(transient_retries=3, retry_backoff_s=0.01)
    verdict = await ReliableRunner(dlt, "g", settings).run(  # type: ignore[arg-type]
        [record(0, 0)], buggy, split=False, budget=budget
    )
    assert verdict.outcome is Outcome.RETRY_LATER and verdict.over_budget and dlt.topics == []


@pytest.mark.parametrize("split", [True, False])
async def test_a_retry_later_is_never_dead_lettered(split: bool) -> None:
    async def refused() -> None:
        raise RetryLater("refused")

    verdict = await runner(retries=0).run([record(0, 0)], refused, split=split, budget=Budget.start(5))
    assert verdict.outcome is Outcome.RETRY_LATER


def _tp(partition: int) -> TopicPartition:
    return TopicPartition("t", partition)
