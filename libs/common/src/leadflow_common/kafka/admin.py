"""Topic administration: create every declared topic (and its DLT) idempotently."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from leadflow_common.topics import TopicSpec, all_topic_specs


async def ensure_topics(
    bootstrap_servers: str, specs: Iterable[TopicSpec] | None = None, replication_factor: int = 1
) -> list[str]:
    """Create the missing topics; returns the names it created. Existing topics are left alone."""
    wanted = list(specs if specs is not None else all_topic_specs())
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=15_000)
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
                        topic_configs=s.config(),
                    )
                    for s in missing
                ]
            )
        return [s.name for s in missing]
    finally:
        await admin.close()


async def describe_cluster(bootstrap_servers: str) -> dict[str, object]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5_000)
    await admin.start()
    try:
        return dict(await admin.describe_cluster())
    finally:
        await admin.close()
