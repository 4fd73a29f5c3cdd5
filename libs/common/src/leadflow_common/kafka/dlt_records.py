"""Dead-letter records as an operator sees them: what failed, where it came from, whether a filter
selects it, and the record to re-publish. Pure (no I/O): the Kafka side is in replay.py.

A dead-lettered record (dead_letter.py) carries the original key, value and headers plus
``error.class``, ``error.message`` and ``original.topic/partition/offset``; a replay strips those
and marks the record with ``leadflow-replayed-from`` (docs/decisions/dead-letter-replay-and-pruning.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

REPLAYED_FROM = "leadflow-replayed-from"
ORIGINAL_TRACEPARENT = "original.traceparent"
DLT_HEADERS = frozenset(
    {
        "error.class",
        "error.message",
        "original.topic",
        "original.partition",
        "original.offset",
        ORIGINAL_TRACEPARENT,
    }
)
# FastStream adds these to every publish, the dead-letter write included: transport metadata of
# that write, not of the original record (its consumers never read them).
TRANSPORT_HEADERS = frozenset({"content-type", "correlation_id"})
DLT_SUFFIX = ".DLT"
UNKNOWN = "?"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record of a dead-letter topic."""

    dlt_topic: str
    partition: int
    offset: int
    timestamp: datetime  # when it was dead-lettered (the DLT record's own timestamp)
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v.decode("utf-8", "replace")
        return None

    @property
    def original_topic(self) -> str:
        topic = self.header("original.topic")
        if topic:
            return topic
        return self.dlt_topic.removesuffix(DLT_SUFFIX)

    @property
    def error_class(self) -> str:
        return self.header("error.class") or UNKNOWN

    @property
    def error_message(self) -> str:
        return self.header("error.message") or ""

    @property
    def origin(self) -> str:
        """``topic/partition/offset`` of the record that failed."""
        partition = self.header("original.partition") or UNKNOWN
        offset = self.header("original.offset") or UNKNOWN
        return f"{self.original_topic}/{partition}/{offset}"

    @property
    def position(self) -> str:
        return f"{self.dlt_topic}/{self.partition}/{self.offset}"

    @property
    def event_id(self) -> str | None:
        """The envelope's event id when the value is one (the consumers' dedup key)."""
        if not self.value:
            return None
        try:
            body = orjson.loads(self.value)
        except orjson.JSONDecodeError:
            return None
        event_id = body.get("event_id") if isinstance(body, dict) else None
        return str(event_id) if event_id is not None else None


def from_kafka_timestamp(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass(frozen=True, slots=True)
class ReplayFilter:
    """Which dead letters to select. Empty fields select everything."""

    error_class: str | None = None  # full name (builtins.ValueError) or its last part (ValueError)
    message_contains: str | None = None  # case-insensitive substring of error.message
    since: datetime | None = None  # dead-lettered at or after
    until: datetime | None = None  # dead-lettered at or before

    def selects_error(self, dead: DeadLetter) -> bool:
        if self.error_class is not None:
            name = dead.error_class
            if self.error_class not in (name, name.rsplit(".", 1)[-1]):
                return False
        if self.message_contains is not None:
            return self.message_contains.lower() in dead.error_message.lower()
        return True

    def too_old(self, dead: DeadLetter) -> bool:
        return self.since is not None and dead.timestamp < self.since

    def too_new(self, dead: DeadLetter) -> bool:
        return self.until is not None and dead.timestamp > self.until

    def progress_key(self) -> str:
        """Names the replay progress kept for this filter's content part. The time bounds are
        not in it: they only move where a run starts and stops (see replay.py)."""
        if self.error_class is None and self.message_contains is None:
            return "all"
        raw = orjson.dumps([self.error_class, self.message_contains])
        return hashlib.sha256(raw).hexdigest()[:12]


PROGRESS_GROUP_PREFIX = "leadflow-dlt-replay"


def progress_group(selection: ReplayFilter) -> str:
    """The consumer group whose committed offsets say how far replays with this filter got (one
    group for every DLT: offsets are per partition). Not a service's: a replay re-drives the
    original topic, which every consumer group of it reads again."""
    return f"{PROGRESS_GROUP_PREFIX}.{selection.progress_key()}"


def replay_headers(dead: DeadLetter) -> list[tuple[str, bytes]]:
    """The original headers, minus what the dead-letter write added, plus where it came from.
    The DLT record's ``traceparent`` is its publish span's when tracing exports: the original one
    is in ``original.traceparent`` (dead letters written before it existed keep the DLT's)."""
    dropped = DLT_HEADERS | TRANSPORT_HEADERS | {REPLAYED_FROM}
    original_trace = dead.header(ORIGINAL_TRACEPARENT)
    kept = [
        (k, original_trace.encode() if k == "traceparent" and original_trace else v)
        for k, v in dead.headers
        if k not in dropped
    ]
    return [*kept, (REPLAYED_FROM, dead.position.encode())]


def replay_value(dead: DeadLetter) -> bytes | None:
    """A tombstone is dead-lettered with an empty value (dead_letter.py): it goes back as one."""
    return dead.value if dead.value else None


@dataclass
class ErrorGroup:
    """Dead letters of one original topic and error class."""

    original_topic: str
    error_class: str
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    sample_message: str = ""

    def add(self, dead: DeadLetter) -> None:
        self.count += 1
        if self.first is None or dead.timestamp < self.first:
            self.first = dead.timestamp
        if self.last is None or dead.timestamp > self.last:
            self.last = dead.timestamp
        if not self.sample_message:
            self.sample_message = dead.error_message


@dataclass
class Summary:
    """Counts by (original topic, error class) and the first ``keep`` records, in read order."""

    keep: int = 10
    groups: dict[tuple[str, str], ErrorGroup] = field(default_factory=dict)
    first: list[DeadLetter] = field(default_factory=list)

    def add(self, dead: DeadLetter) -> None:
        key = (dead.original_topic, dead.error_class)
        if key not in self.groups:
            self.groups[key] = ErrorGroup(*key)
        self.groups[key].add(dead)
        if len(self.first) < self.keep:
            self.first.append(dead)

    def extend(self, records: Iterable[DeadLetter]) -> None:
        for record in records:
            self.add(record)

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups.values())

    def by_count(self) -> list[ErrorGroup]:
        return sorted(self.groups.values(), key=lambda g: (-g.count, g.original_topic, g.error_class))
