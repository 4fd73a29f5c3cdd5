"""Topic administration: create every declared topic (and its DLT) idempotently, with the same
TLS/SASL settings as every other client (``KAFKA_SECURITY_PROTOCOL``, ``KAFKA_SASL_*``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from leadflow_common.logging import get_logger
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import TopicSpec, all_topic_specs

log = get_logger(__name__)
# With three or more replicas an acknowledged write (acks=all) is on at least two of them.
DURABLE_REPLICAS, MIN_INSYNC = 3, "2"


def topic_config(spec: TopicSpec, replication_factor: int) -> dict[str, str]:
    config = dict(spec.config())
    if replication_factor >= DURABLE_REPLICAS:
        config["min.insync.replicas"] = MIN_INSYNC
    return config


def _admin(bootstrap_servers: str, timeout_ms: int, settings: KafkaSettings | None) -> AIOKafkaAdminClient:
    security = (settings or KafkaSettings()).security_options()
    return AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=timeout_ms, **security)


async def ensure_topics(
    bootstrap_servers: str,
    specs: Iterable[TopicSpec] | None = None,
    replication_factor: int = 1,
    settings: KafkaSettings | None = None,
) -> list[str]:
    """Create the missing topics; returns the names it created. With ``replication_factor`` ≥ 3,
    existing topics get ``min.insync.replicas=2`` too (their whole declared config is written: the
    broker's AlterConfigs replaces a topic's dynamic configs)."""
    wanted = list(specs if specs is not None else all_topic_specs())
    admin = _admin(bootstrap_servers, 15_000, settings)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in wanted if s.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        name=s.name,
                        num_partitions=s.partitions,
                        replication_factor=replication_factor,
                        topic_configs=topic_config(s, replication_factor),
                    )
                    for s in missing
                ]
            )
        present = [s for s in wanted if s.name in existing]
        if present and replication_factor >= DURABLE_REPLICAS:
            await admin.alter_configs(
                [
                    ConfigResource(
                        ConfigResourceType.TOPIC, s.name, configs=topic_config(s, replication_factor)
                    )
                    for s in present
                ]
            )
            log.info("topics_min_insync_set", topics=len(present), min_insync_replicas=MIN_INSYNC)
        return [s.name for s in missing]
    finally:
        await admin.close()


async def describe_cluster(
    bootstrap_servers: str, settings: KafkaSettings | None = None
) -> dict[str, object]:
    admin = _admin(bootstrap_servers, 5_000, settings)
    await admin.start()
    try:
        return dict(await admin.describe_cluster())
    finally:
        await admin.close()


UNKNOWN_TOPIC = 3  # UNKNOWN_TOPIC_OR_PARTITION


@dataclass(frozen=True, slots=True)
class TopicDescription:
    """A topic as the broker has it: its partition count and its effective configuration."""

    name: str
    partitions: int
    config: dict[str, str]

    @property
    def retention_ms(self) -> int | None:
        """How long the broker keeps records (``retention.ms``; -1: for ever → None)."""
        value = int(self.config.get("retention.ms", "-1"))
        return None if value < 0 else value

    @property
    def compacted(self) -> bool:
        return "compact" in self.config.get("cleanup.policy", "delete")


async def describe_topics(
    bootstrap_servers: str, names: Iterable[str], settings: KafkaSettings | None = None
) -> dict[str, TopicDescription]:
    """The named topics that exist, with partitions and configuration (missing ones are left out)."""
    wanted = list(dict.fromkeys(names))
    admin = _admin(bootstrap_servers, 10_000, settings)
    await admin.start()
    try:
        described = await admin.describe_topics(wanted)
        # a topic created a moment ago answers LEADER_NOT_AVAILABLE for a while: it exists all the same
        found = {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] != UNKNOWN_TOPIC}
        if not found:
            return {}
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, configs=None) for name in found]
        )
        configs: dict[str, dict[str, str]] = {}
        for response in responses:
            for resource in response.to_object()["resources"]:
                entries = resource["config_entries"]
                configs[resource["resource_name"]] = {e["config_names"]: e["config_value"] for e in entries}
        return {name: TopicDescription(name, n, configs.get(name, {})) for name, n in found.items()}
    finally:
        await admin.close()
