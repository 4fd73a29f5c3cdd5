"""A poison message on every topic ends in that topic's DLT with the error headers, and each
consumer keeps going: the good message right after each poison one is processed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from leadflow_common.events.envelope import Envelope, encode_envelope
from leadflow_common.events.onboarding import OnboardLocation
from leadflow_common.topics import (
    GHL_EVENTS,
    LEADS_ASSIGNED,
    LOCATIONS,
    ONBOARDING_COMMANDS,
    ONBOARDING_EVENTS,
    namespaced,
)
from leadflow_system.rig import (
    end_offsets,
    produce_records,
    profile_record,
    profiles_from_csv,
    read_decisions,
    rig_system,
    webhook_record,
)
from leadflow_system.seed import contacts_of, seed
from leadflow_system.system import API_TOKEN, LocalSystem
from onboarding.csv_source import read_csv
from onboarding.domain.validation import validate_rows
from tests.support.fault_checks import LOCATIONS_CSV, analytics_totals, lead_bodies, wait_for
from tests.support.infra import Infra, drop_schema
from tests.support.kafka_io import read_all

HEADERS = {"error.class", "error.message", "original.topic", "original.partition", "original.offset"}
# Consumer groups reading each topic: each dead-letters the poison once.
READERS = {
    GHL_EVENTS: ("router", "analytics"),
    LEADS_ASSIGNED: ("router-sync", "analytics"),
    ONBOARDING_COMMANDS: ("onboarding",),
    ONBOARDING_EVENTS: ("analytics",),
    LOCATIONS: ("router-directory", "analytics"),
}
POISONS = [b"\xff\xfe{ not json", b'{"event_type": "LeadAssigned", "payload": 7}', b"[]"]


@pytest.fixture(scope="module")
def rig(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    with rig_system(
        infra.env,
        tmp_path_factory.mktemp("poison-logs"),
        f"{infra.namespace}.poison",
        profiles_from_csv(LOCATIONS_CSV, 8),
        services=("router", "onboarding", "analytics"),
    ) as system:
        try:
            yield system
        finally:
            for service in ("router", "onboarding", "analytics"):
                drop_schema(infra, system.schema(service))


async def test_poison_on_every_topic(rig: LocalSystem, infra: Infra) -> None:
    poisons: dict[str, bytes] = {}
    for index, spec in enumerate(READERS):
        poisons[spec.name] = POISONS[index % len(POISONS)]
        await produce_records(infra.kafka, spec.name, [(f"poison-{index}", poisons[spec.name])])

    # The good messages after them: a new location, an onboarding command, a lead.
    new_location = profiles_from_csv(LOCATIONS_CSV, 9)[-1]
    seed(rig.url("ghl-simulator"), locations=[{"id": new_location.ghl_location_id, "name": "late"}])
    await produce_records(infra.kafka, LOCATIONS.name, [profile_record(new_location)])
    sample = read_csv(LOCATIONS_CSV)
    draft = validate_rows(sample.headers, sample.rows).valid[-1].draft
    draft = draft.model_copy(update={"franchise_code": "POISON-OK", "name": "After the poison"})
    command = Envelope.wrap(OnboardLocation(location=draft), source="tests")
    await produce_records(infra.kafka, ONBOARDING_COMMANDS.name, [("POISON-OK", encode_envelope(command))])
    lead = lead_bodies(1, seed=51)
    seed(rig.url("ghl-simulator"), contacts=contacts_of(lead))
    await produce_records(infra.kafka, GHL_EVENTS.name, [webhook_record(lead[0])])

    for spec, groups in READERS.items():
        dead = await read_all(infra.kafka, spec.dlt_name, len(groups), timeout_s=60)
        assert len(dead) == len(groups), f"{spec.name}: {len(dead)} DLT records for {groups}"
        for record in dead:
            headers = {k: v.decode() for k, v in record.headers}
            assert set(headers) >= HEADERS, headers
            assert headers["original.topic"] == spec.name
            assert record.value == poisons[spec.name]

    # Each consumer went on: the lead decided, synced and counted (leads.assigned.v1 after the
    # poison), the location routable, the command onboarded (its events reach analytics).
    async def lead_done() -> bool:
        got = await read_decisions(infra.kafka, LEADS_ASSIGNED.name, 1, timeout_s=3, settle_s=0)
        return got.decided == 1 and (got.synced == {lead[0]["id"]} or not got.assigned())

    await wait_for(lead_done, 60, "the lead decided (and synced) after the poison")
    await wait_for(lambda: _counted(rig), 60, "analytics counted the lead")
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with httpx.AsyncClient(timeout=10) as client:

        async def routable() -> bool:
            url = f"{rig.url('router')}/locations/{new_location.location_id}/capacity"
            return (await client.get(url, headers=headers)).status_code == 200

        async def onboarded() -> bool:
            body = (await client.get(f"{rig.url('onboarding')}/onboarding/POISON-OK", headers=headers)).json()
            return body.get("status") == "active"

        await wait_for(routable, 60, "the location after the poison in the router's directory")
        await wait_for(onboarded, 90, "the command after the poison onboarded")
    lag = await _lag(infra.kafka)
    for _ in range(60):
        if not any(lag.values()):
            break
        await asyncio.sleep(1)
        lag = await _lag(infra.kafka)
    assert not any(lag.values()), f"consumer groups behind their topics: {lag}"


async def _counted(rig: LocalSystem) -> bool:
    totals = await analytics_totals(rig)
    return totals["leads"] + totals["unassigned"] == 1


async def _lag(bootstrap: str) -> dict[str, int]:
    """Per group and topic it reads: end offsets minus committed offsets."""
    ends = await end_offsets(bootstrap, [spec.name for spec in READERS])
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        lag: dict[str, int] = {}
        for spec, groups in READERS.items():
            for group in groups:
                offsets = await admin.list_consumer_group_offsets(namespaced(group))
                committed = sum(m.offset for tp, m in offsets.items() if tp.topic == spec.name)
                lag[f"{group}@{spec.base_name}"] = ends[spec.name] - committed
        return lag
    finally:
        await admin.close()
