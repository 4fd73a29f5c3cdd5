"""The import use case: validate a whole CSV against the known locations, then publish one command
per row (nothing at all when any row is invalid)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from leadflow_common.db import make_engine, make_sessionmaker
from leadflow_common.events.envelope import EventPayload
from leadflow_common.events.onboarding import AdoptLocation, OnboardLocation
from leadflow_common.ghl import GhlClient, GhlSettings
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.publisher import EventPublisher
from leadflow_common.redis import make_redis
from leadflow_common.topics import ONBOARDING_COMMANDS
from onboarding.adapters.store import PostgresSagaStore
from onboarding.csv_source import read_csv
from onboarding.domain.location import Location, location_key
from onboarding.domain.saga import SagaStatus
from onboarding.domain.validation import ValidationReport, ValidRow, known_from, validate_rows
from onboarding.settings import OnboardingSettings


async def list_locations(settings: OnboardingSettings, status: SagaStatus | None = None) -> list[Location]:
    engine = make_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        return await PostgresSagaStore(make_sessionmaker(engine)).list_locations(status, 10_000)
    finally:
        await engine.dispose()


async def live_sub_accounts(settings: OnboardingSettings, ghl: GhlSettings) -> list[tuple[str, str]]:
    """(name, id) of the agency's sub-accounts: one rate-limited search, not one per row."""
    redis = make_redis(settings.redis)
    client = GhlClient(ghl, redis)
    try:
        return [(loc.name, loc.id) for loc in await client.search_locations()]
    finally:
        await client.aclose()
        await redis.aclose()


async def validate_file(
    settings: OnboardingSettings, path: Path, adopt: bool, ghl: GhlSettings | None = None
) -> ValidationReport:
    """Duplicates are checked against every location the onboarding schema knows (not offboarded)
    and names against the live GHL sub-accounts."""
    csv_file = read_csv(path)
    engine = make_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        store = PostgresSagaStore(make_sessionmaker(engine))
        names, codes = await store.known()
        # every zip a live (not offboarded) location owns: a row claiming one is refused
        territories = [(z, loc.location_id) for loc in await store.list_locations(None, 100_000)
                       if loc.status != SagaStatus.OFFBOARDED for z in loc.draft.territory_zips]  # fmt: skip
    finally:
        await engine.dispose()
    live = await live_sub_accounts(settings, ghl or GhlSettings())
    known = known_from(names, codes, live, territories)
    return validate_rows(csv_file.headers, csv_file.rows, known, adopt=adopt)


def command_for(row: ValidRow) -> EventPayload:
    if row.ghl_location_id:
        return AdoptLocation(location=row.draft, ghl_location_id=row.ghl_location_id)
    return OnboardLocation(location=row.draft)


async def publish_commands(
    settings: OnboardingSettings,
    commands: list[tuple[str, EventPayload]],
    advance: Callable[[], None] = lambda: None,
    connected: Callable[[], None] = lambda: None,
) -> int:
    """Publish (key, command) pairs, each acknowledged by the broker; returns how many.
    ``connected`` is called once Kafka answered (the CLI shows its progress bar from then on)."""
    broker = make_broker(settings.kafka, f"{settings.service_name}-cli")
    try:
        await broker.start()
        connected()
        publisher = EventPublisher(broker, f"{settings.service_name}-cli")
        for key, command in commands:
            await publisher.publish_payload(ONBOARDING_COMMANDS, key, command)
            advance()
    finally:
        await broker.stop()
    return len(commands)


def keyed(rows: list[ValidRow]) -> list[tuple[str, EventPayload]]:
    return [(location_key(r.draft.franchise_code), command_for(r)) for r in rows]
