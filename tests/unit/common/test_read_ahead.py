"""The read-ahead buffer of BatchConsumer(prefetch=True): what a rewind and a rebalance drop, what
is sought again, and how the poller and the batches wait for each other (no Kafka here; the
integration tests in tests/integration/common/test_batch_consumer.py run the engine both ways)."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from leadflow_common.kafka.batch_consumer import Polled, ReadAhead
from leadflow_common.kafka.dead_letter import ConsumedRecord

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


def poll(*offsets: tuple[int, int]) -> Polled:
    records = [ConsumedRecord("t", p, o, b"k", b"{}", {}) for p, o in offsets]
    return records, [f"{p}:{o}" for p, o in offsets]


def buffered(ahead: ReadAhead) -> list[tuple[int, int]]:
    return [(r.partition, r.offset) for r in ahead.records]


async def idle() -> asyncio.Task[None]:
    return asyncio.create_task(asyncio.sleep(3600))


async def test_a_batch_takes_everything_buffered_in_poll_order_up_to_its_limit() -> None:
    ahead, poller = ReadAhead(), await idle()
    ahead.poll_started()
    ahead.poll_returned(poll((0, 0), (1, 0), (0, 1)))
    ahead.poll_started()
    ahead.poll_returned(poll((1, 1)))
    taken = await ahead.take(3, poller)
    assert taken is not None
    assert [(r.partition, r.offset) for r in taken[0]] == [(0, 0), (1, 0), (0, 1)]
    assert taken[1] == ["0:0", "1:0", "0:1"]  # prepared values stay with their records
    assert buffered(ahead) == [(1, 1)]
    poller.cancel()


async def test_a_rewind_drops_the_partitions_buffered_records_and_the_poll_in_flight_returns() -> None:
    ahead = ReadAhead()
    ahead.poll_started()
    ahead.poll_returned(poll((0, 5), (1, 5), (0, 6)))
    ahead.poll_started()  # a poll is in flight when the batch rewinds partition 0 to offset 3
    ahead.rewound({P0: 3})
    assert buffered(ahead) == [(1, 5)]
    # that poll may have read partition 0 from its old position: dropped, and sought again
    seek_again = ahead.poll_returned(poll((0, 7), (1, 6)))
    assert seek_again == {P0: 3}
    assert buffered(ahead) == [(1, 5), (1, 6)]
    assert ahead.dropped == 3
    ahead.poll_started()  # a poll started after the rewind reads from the rewound position
    assert ahead.poll_returned(poll((0, 3))) == {}
    assert buffered(ahead) == [(1, 5), (1, 6), (0, 3)]


async def test_a_rewind_with_no_poll_in_flight_asks_for_no_seek() -> None:
    ahead = ReadAhead()
    ahead.poll_started()
    ahead.poll_returned(poll((0, 1)))
    ahead.rewound({P1: 0})
    ahead.poll_started()
    assert ahead.poll_returned(poll((1, 0))) == {}
    assert buffered(ahead) == [(0, 1), (1, 0)]


async def test_a_rebalance_clears_the_buffer_and_the_stale_marks() -> None:
    ahead = ReadAhead()
    ahead.poll_started()
    ahead.poll_returned(poll((0, 1), (1, 1)))
    ahead.poll_started()
    ahead.rewound({P0: 0})
    ahead.clear()
    assert buffered(ahead) == []
    assert ahead.poll_returned(poll((0, 0))) == {}  # read under the new assignment: kept
    assert buffered(ahead) == [(0, 0)]


async def test_the_poller_waits_for_room_and_a_batch_for_records() -> None:
    ahead, poller = ReadAhead(), await idle()
    ahead.poll_started()
    ahead.poll_returned(poll((0, 0), (0, 1)))
    room = asyncio.create_task(ahead.room(2))
    await asyncio.sleep(0)
    assert not room.done()  # full
    await ahead.take(1, poller)
    assert await asyncio.wait_for(room, 1) == 1
    await ahead.take(5, poller)
    waiting = asyncio.create_task(ahead.take(5, poller))
    await asyncio.sleep(0)
    assert not waiting.done()  # empty
    ahead.poll_started()
    ahead.poll_returned(poll((1, 0)))
    taken = await asyncio.wait_for(waiting, 1)
    assert taken is not None and [r.offset for r in taken[0]] == [0]
    poller.cancel()


async def test_a_batch_waiting_for_records_ends_with_the_poller_and_raises_its_error() -> None:
    ahead = ReadAhead()

    async def stopped() -> None:
        await asyncio.sleep(0.01)

    assert await ahead.take(5, asyncio.create_task(stopped())) is None

    async def broken() -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("poll failed")

    with pytest.raises(RuntimeError, match="poll failed"):
        await ahead.take(5, asyncio.create_task(broken()))
