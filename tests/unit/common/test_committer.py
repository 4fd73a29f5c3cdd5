"""Offsets are committed after their records, in the background, and never left behind."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition

from leadflow_common.kafka.committer import OffsetCommitter

TP0, TP1 = TopicPartition("t", 0), TopicPartition("t", 1)


class _SlowConsumer:
    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await asyncio.sleep(0.05)  # a broker round trip
        self.commits.append(dict(offsets))


async def test_offsets_finished_during_a_commit_are_committed_without_a_next_record() -> None:
    consumer = _SlowConsumer()
    committer = OffsetCommitter(consumer, commit_every=1000, commit_interval_ms=20)
    committer.mark({TP0: 1}, 1)  # starts the timer
    await asyncio.sleep(0.03)  # the timer's commit is now in flight
    committer.mark({TP0: 2}, 1)  # finishes during that commit
    await asyncio.sleep(0.3)
    committed = {offset for commit in consumer.commits for offset in commit.values()}
    assert 2 in committed  # the last record's offset, without any further record arriving
    await committer.close()


async def test_mark_does_no_io_and_commit_interval_zero_commits_each_batch_soon() -> None:
    consumer = _SlowConsumer()
    committer = OffsetCommitter(consumer, commit_every=100, commit_interval_ms=0)
    committer.mark({TP1: 1}, 1)
    assert consumer.commits == []  # nothing awaited on the consumer's path
    await asyncio.sleep(0.1)
    assert consumer.commits == [{TP1: 1}]
    await committer.close()


async def test_offsets_never_move_backwards_and_close_flushes() -> None:
    consumer = _SlowConsumer()
    committer = OffsetCommitter(consumer, commit_every=1000, commit_interval_ms=10_000)
    committer.mark({TP0: 5, TP1: 3}, 2)
    committer.mark({TP0: 4}, 1)  # an older position (a rewound partition) never wins
    await committer.close()
    assert consumer.commits == [{TP0: 5, TP1: 3}]


async def test_revoked_partitions_are_forgotten() -> None:
    consumer = _SlowConsumer()
    committer = OffsetCommitter(consumer, commit_every=1000, commit_interval_ms=10_000)
    committer.mark({TP0: 5, TP1: 3}, 2)
    committer.forget({TP1})
    await committer.close()
    assert consumer.commits == [{TP0: 5}]
