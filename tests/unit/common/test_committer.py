"""Offsets are committed after their records, in batches, and never left behind."""

from __future__ import annotations

import asyncio

from leadflow_common.kafka.committer import OffsetCommitter


class _SlowConsumer:
    def __init__(self) -> None:
        self.commits: list[dict[object, int]] = []

    async def commit(self, offsets: dict[object, int]) -> None:
        await asyncio.sleep(0.05)  # a broker round trip
        self.commits.append(dict(offsets))


async def test_offsets_finished_during_a_commit_are_committed_without_a_next_record() -> None:
    consumer = _SlowConsumer()
    committer = OffsetCommitter(commit_every=1000, commit_interval_ms=20)
    await committer.processed(consumer, "t", 0, 0)  # starts the timer
    await asyncio.sleep(0.03)  # the timer's commit is now in flight
    await committer.processed(consumer, "t", 0, 1)  # finishes during that commit
    await asyncio.sleep(0.3)
    committed = {offset for commit in consumer.commits for offset in commit.values()}
    assert 2 in committed  # the last record's offset, without any further record arriving
    await committer.close()


async def test_commit_interval_zero_commits_every_record() -> None:
    consumer = _SlowConsumer()
    committer = OffsetCommitter(commit_every=100, commit_interval_ms=0)
    for offset in range(3):
        await committer.processed(consumer, "t", 1, offset)
    assert [list(c.values()) for c in consumer.commits] == [[1], [2], [3]]
