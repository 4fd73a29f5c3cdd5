"""Re-driving dead-letter topics after a fix: ``<service> dlt list`` and ``<service> dlt replay``.

Each service CLI adds only the typer part; everything else is here (libs/common has no typer).

- ``list_dead_letters`` reads the DLTs of some topics (all of it, or since a time) and summarises
  them by original topic and error class. It commits nothing.
- ``replay_dead_letters`` reads each DLT from where the previous replay with the same content
  filter stopped (``progress_group``; ``from_beginning`` ignores it), selects the records the
  filter matches and re-publishes their original key, value and headers (minus the dead-letter
  ones, plus ``leadflow-replayed-from``) to the original topic, acks=all, then commits how far
  it read. A second run with the same filter therefore replays nothing again; a failed produce
  commits nothing, so the next run sends those records again (consumers dedupe by event id).
  ``dry_run`` reads the same records and reports them without producing or committing.

Reads are bounded: each partition up to its end offset when the run started (a replayed record
that fails again lands in the DLT after that point and waits for the next run), and by a
deadline, after which the run reports itself incomplete.

Compacted topics are refused unless allowed: an old value re-published there becomes the latest
value of its key (the router's directory would go back to a stale location profile).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from leadflow_common.kafka.admin import describe_topics
from leadflow_common.kafka.broker import producer_options
from leadflow_common.kafka.dlt_records import (
    DeadLetter,
    ReplayFilter,
    Summary,
    from_kafka_timestamp,
    progress_group,
    replay_headers,
    replay_value,
)
from leadflow_common.logging import get_logger
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import TopicSpec, namespaced

log = get_logger(__name__)

POLL_MS = 500
MAX_POLL_RECORDS = 500


class ReplayError(Exception):
    """Something the operator asked for that cannot be done; its message is the one line to print."""


def resolve_topics(consumed: Sequence[TopicSpec], names: Sequence[str] | None) -> list[TopicSpec]:
    """The service's consumed topics named by ``names`` (base names; all of them when empty)."""
    if not names:
        return list(consumed)
    known = {t.base_name: t for t in consumed}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ReplayError(f"unknown topic {', '.join(unknown)}: this service consumes {', '.join(known)}")
    return [known[n] for n in dict.fromkeys(names)]


def replayable(topics: Sequence[TopicSpec], allow_compacted: bool, named: bool) -> list[TopicSpec]:
    """Compacted topics are left out of the default set and refused when named, unless allowed."""
    compacted = [t.base_name for t in topics if t.compacted]
    if compacted and not allow_compacted and named:
        raise ReplayError(
            f"{', '.join(compacted)} is compacted: a replayed old value becomes its key's latest "
            "(re-publish the current state from its owner instead, or pass --allow-compacted)"
        )
    return [t for t in topics if allow_compacted or not t.compacted]


@dataclass
class ScanResult:
    """What one pass over the DLTs found."""

    selected: Summary
    scanned: int = 0
    complete: bool = True
    replayed: int = 0
    group: str | None = None
    dry_run: bool = True
    topics: list[str] = field(default_factory=list)


def _dead_letter(raw: Any) -> DeadLetter:
    headers = tuple((k, bytes(v) if v is not None else b"") for k, v in (raw.headers or ()))
    return DeadLetter(
        raw.topic, raw.partition, raw.offset, from_kafka_timestamp(raw.timestamp), raw.key, raw.value, headers
    )


def _consumer(settings: KafkaSettings, group: str | None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=namespaced(group) if group else None,
        client_id=f"{settings.client_id_prefix}-dlt-replay",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=settings.request_timeout_ms,
        max_poll_records=MAX_POLL_RECORDS,
        **settings.security_options(),
    )


async def _partitions(settings: KafkaSettings, topics: Sequence[TopicSpec]) -> list[TopicPartition]:
    found = await describe_topics(settings.bootstrap_servers, [t.dlt_name for t in topics], settings)
    missing = [t.dlt_name for t in topics if t.dlt_name not in found]
    if missing:
        raise ReplayError(
            f"dead-letter topic {', '.join(missing)} does not exist (`uv run devstack ensure-topics` "
            "creates every declared topic)"
        )
    return [TopicPartition(t.dlt_name, p) for t in topics for p in range(found[t.dlt_name].partitions)]


async def _starts(
    consumer: AIOKafkaConsumer, tps: list[TopicPartition], use_committed: bool, since: datetime | None
) -> dict[TopicPartition, int]:
    starts: dict[TopicPartition, int] = dict(await consumer.beginning_offsets(tps))
    if use_committed:
        for tp in tps:
            committed = await consumer.committed(tp)
            if committed is not None and committed > starts[tp]:
                starts[tp] = committed
    if since is not None:
        found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            at = found.get(tp)
            starts[tp] = max(starts[tp], at.offset if at is not None else ends[tp])
    return starts


OnChunk = Callable[[list[DeadLetter]], Awaitable[None]]


async def _scan(
    consumer: AIOKafkaConsumer,
    starts: dict[TopicPartition, int],
    selection: ReplayFilter,
    timeout_s: float,
    on_chunk: OnChunk,
) -> tuple[dict[TopicPartition, int], int, bool]:
    """Read each partition from its start to its end offset (or its first record newer than
    ``until``), handing each poll's selected records to ``on_chunk``; returns the positions
    reached, the records read and whether every partition was read to its end."""
    tps = list(starts)
    ends = await consumer.end_offsets(tps)
    positions = dict(starts)
    consumer.assign(tps)
    pending = {tp for tp in tps if starts[tp] < ends[tp]}
    for tp in tps:
        consumer.seek(tp, starts[tp])
    consumer.pause(*(set(tps) - pending))
    scanned = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while pending and loop.time() < deadline:
        polled = await consumer.getmany(*pending, timeout_ms=POLL_MS)
        chunk: list[DeadLetter] = []
        for tp, raws in polled.items():
            for raw in raws:
                if tp not in pending or raw.offset >= ends[tp]:
                    break
                dead = _dead_letter(raw)
                if selection.too_new(dead):  # the rest of the partition is newer still
                    pending.discard(tp)
                    break
                scanned += 1
                positions[tp] = raw.offset + 1
                if not selection.too_old(dead) and selection.selects_error(dead):
                    chunk.append(dead)
            if tp in pending and positions[tp] >= ends[tp]:
                pending.discard(tp)
            if tp not in pending:
                consumer.pause(tp)
        for tp in [tp for tp in pending if tp not in polled]:
            # offsets need not be contiguous (records removed, control markers): the position tells
            if await consumer.position(tp) >= ends[tp]:
                positions[tp] = ends[tp]
                pending.discard(tp)
                consumer.pause(tp)
        if chunk:
            await on_chunk(chunk)
    return positions, scanned, not pending


async def list_dead_letters(
    settings: KafkaSettings,
    topics: Sequence[TopicSpec],
    since: datetime | None = None,
    keep: int = 10,
    timeout_s: float = 60.0,
) -> ScanResult:
    """Every dead letter of ``topics`` (since ``since``), summarised by topic and error class."""
    consumer = _consumer(settings, None)
    await consumer.start()
    try:
        tps = await _partitions(settings, topics)
        summary = Summary(keep=keep)
        result = ScanResult(summary, topics=[t.base_name for t in topics])
        if not tps:
            return result

        async def collect(chunk: list[DeadLetter]) -> None:
            summary.extend(chunk)

        starts = await _starts(consumer, tps, use_committed=False, since=since)
        _, result.scanned, result.complete = await _scan(
            consumer, starts, ReplayFilter(since=since), timeout_s, collect
        )
        return result
    finally:
        await consumer.stop()


async def replay_dead_letters(
    settings: KafkaSettings,
    topics: Sequence[TopicSpec],
    selection: ReplayFilter,
    *,
    dry_run: bool,
    from_beginning: bool = False,
    keep: int = 10,
    timeout_s: float = 120.0,
) -> ScanResult:
    """Re-publish the selected dead letters of ``topics`` to their original topics (see the
    module docstring); ``dry_run`` only reports them."""
    group = progress_group(selection)
    consumer = _consumer(settings, group)
    producer: AIOKafkaProducer | None = None
    await consumer.start()
    try:
        tps = await _partitions(settings, topics)
        summary = Summary(keep=keep)
        result = ScanResult(summary, group=group, dry_run=dry_run, topics=[t.base_name for t in topics])
        if not tps:
            return result
        target = {t.dlt_name: t.name for t in topics}
        if not dry_run:
            client_id = f"{settings.client_id_prefix}-dlt-replay"
            producer = AIOKafkaProducer(**producer_options(settings, client_id))
            await producer.start()

        async def republish(chunk: list[DeadLetter]) -> None:
            summary.extend(chunk)
            if producer is None:
                return
            sent = [
                await producer.send(
                    target[d.dlt_topic], value=replay_value(d), key=d.key, headers=replay_headers(d)
                )
                for d in chunk
            ]
            await asyncio.gather(*sent)  # every ack before the progress moves past them
            result.replayed += len(sent)

        starts = await _starts(consumer, tps, use_committed=not from_beginning, since=selection.since)
        positions, result.scanned, result.complete = await _scan(
            consumer, starts, selection, timeout_s, republish
        )
        if not dry_run:
            # Only forward: a --from-beginning run cut short by the deadline must not move the
            # progress back before what earlier runs replayed.
            committed = {tp: await consumer.committed(tp) for tp in tps}
            moved = {tp: at for tp, at in positions.items() if at > (committed[tp] or 0) and at != starts[tp]}
            if moved:
                await consumer.commit(moved)
            log.info(
                "dead_letters_replayed",
                group=group,
                replayed=result.replayed,
                scanned=result.scanned,
                complete=result.complete,
                topics=result.topics,
            )
        return result
    finally:
        if producer is not None:
            await producer.stop()
        await consumer.stop()
