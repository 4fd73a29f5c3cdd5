"""The topic registry: every topic the platform uses, with its key, partitions and retention.

Names may carry a namespace prefix (``KAFKA_TOPIC_NAMESPACE``) so that test runs and demos can
share one broker without reading each other's events.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic as declared by the platform (the base name, without namespace)."""

    base_name: str
    key: str
    partitions: int
    compacted: bool = False
    retention_ms: int = 400 * DAY_MS
    has_dlt: bool = True

    @property
    def name(self) -> str:
        return namespaced(self.base_name)

    @property
    def dlt_name(self) -> str:
        return dlt_name(self.name)

    def config(self) -> dict[str, str]:
        """Broker-side topic configuration."""
        if self.compacted:
            return {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
        return {"cleanup.policy": "delete", "retention.ms": str(self.retention_ms)}


def topic_namespace() -> str:
    return os.environ.get("KAFKA_TOPIC_NAMESPACE", "")


def namespaced(base_name: str) -> str:
    ns = topic_namespace()
    return f"{ns}.{base_name}" if ns else base_name


def dlt_name(topic_name: str) -> str:
    return f"{topic_name}.DLT"


HOT_PARTITIONS = int(os.environ.get("KAFKA_HOT_TOPIC_PARTITIONS", "12"))
DLT_RETENTION_MS = 30 * DAY_MS

GHL_EVENTS = TopicSpec("ghl.events.v1", key="GHL contact id, else entity/event id", partitions=HOT_PARTITIONS)
LEADS_ASSIGNED = TopicSpec("leads.assigned.v1", key="lead (source contact) id", partitions=HOT_PARTITIONS)
ONBOARDING_COMMANDS = TopicSpec(
    "onboarding.commands.v1", key="franchise location key (franchise code)", partitions=6
)
ONBOARDING_EVENTS = TopicSpec("onboarding.events.v1", key="franchise location key", partitions=6)
LOCATIONS = TopicSpec("locations.v1", key="location id", partitions=6, compacted=True)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    GHL_EVENTS,
    LEADS_ASSIGNED,
    ONBOARDING_COMMANDS,
    ONBOARDING_EVENTS,
    LOCATIONS,
)


def dlt_specs() -> tuple[TopicSpec, ...]:
    """One dead-letter topic per declared topic, same partitions, 30-day retention."""
    return tuple(
        TopicSpec(
            dlt_name(t.base_name),
            key=t.key,
            partitions=t.partitions,
            retention_ms=DLT_RETENTION_MS,
            has_dlt=False,
        )
        for t in ALL_TOPICS
        if t.has_dlt
    )


def all_topic_specs() -> tuple[TopicSpec, ...]:
    return ALL_TOPICS + dlt_specs()
