"""The onboarding.commands.v1 subscriber: decode, dispatch, commit after the state is durable."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from leadflow_common.events.envelope import Envelope, parse_payload
from leadflow_common.kafka.consumer import subscribe_records
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import ONBOARDING_COMMANDS
from onboarding.handlers import Wake, handle_command
from onboarding.saga.context import SagaContext


def subscribe_commands(
    broker: KafkaBroker, ctx: SagaContext, group: str, kafka: KafkaSettings, wake: Wake
) -> None:
    async def on_command(record: ConsumedRecord, envelope: Envelope | None) -> None:
        if envelope is None:
            return  # a tombstone carries no command
        await handle_command(ctx, parse_payload(envelope), wake)

    subscribe_records(broker, ONBOARDING_COMMANDS, group, on_command, kafka)
