"""The committed contracts (contracts/) are what the models generate, and no change breaks them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from leadflow_common.events.envelope import EventPayload
from leadflow_common.topics import ALL_TOPICS
from leadflow_system.contracts import documents
from leadflow_system.contracts.asyncapi import asyncapi_document
from leadflow_system.contracts.catalog import REQUIRED_HEADERS, TOPICS
from leadflow_system.contracts.compat import check
from leadflow_system.contracts.schemas import all_schemas

REPO = Path(__file__).resolve().parents[3]
CONTRACTS = REPO / "contracts"
REGENERATE = "run `uv run leadflow-contracts generate` and commit contracts/"


def test_committed_documents_are_up_to_date() -> None:
    problems = documents.stale(CONTRACTS, documents.generated())
    assert not problems, f"{REGENERATE}:\n" + "\n".join(problems)


def test_models_stay_compatible_with_every_committed_schema() -> None:
    """Against the working tree's files and every version of them in git history."""
    found = documents.breaking(CONTRACTS)
    assert not found, "breaking changes (bump the topic version instead):\n" + "\n".join(map(str, found))


def test_a_breaking_model_change_is_caught_against_the_committed_file(tmp_path: Path) -> None:
    relative = Path("schemas/leads.assigned.v1/LeadSynced.json")
    committed = json.loads((CONTRACTS / relative).read_text())
    changed: dict[str, Any] = json.loads(json.dumps(all_schemas()[relative]))
    payload = changed["$defs"]["LeadSynced"]
    del payload["properties"]["location_contact_id"]
    payload["required"].remove("location_contact_id")
    assert [str(c) for c in check(committed, changed)] == [
        "payload.location_contact_id: removed: property removed or renamed"
    ]


def test_retiring_a_whole_topic_is_not_breaking_but_dropping_one_event_is(tmp_path: Path) -> None:
    """Outside git (no history), against the working tree only."""
    fresh = documents.generated()
    documents.write(tmp_path, fresh)
    retired = tmp_path / "schemas/leads.v0/LeadSynced.json"
    retired.parent.mkdir(parents=True)
    retired.write_text((tmp_path / "schemas/leads.assigned.v1/LeadSynced.json").read_text())
    dropped = tmp_path / "schemas/leads.assigned.v1/LeadVanished.json"
    dropped.write_text(retired.read_text())
    found = [str(b) for b in documents.breaking(tmp_path, use_history=False)]
    vanished = Path("schemas/leads.assigned.v1/LeadVanished.json")
    assert found == [f"{vanished} (vs working tree): event removed from the topic"]
    assert documents.stale(tmp_path, fresh) == [
        f"{Path('schemas/leads.assigned.v1/LeadVanished.json')}: no longer generated",
        f"{Path('schemas/leads.v0/LeadSynced.json')}: no longer generated",
    ]


def test_every_topic_and_every_registered_event_is_described() -> None:
    assert {t.topic.base_name for t in TOPICS} == {t.base_name for t in ALL_TOPICS}
    described = {e.name for t in TOPICS for e in t.events}
    registered = {cls.EVENT_TYPE for cls in _subclasses(EventPayload) if cls.EVENT_TYPE}
    assert registered <= described
    assert len(described) == len(all_schemas())


def _subclasses(cls: type[EventPayload]) -> list[type[EventPayload]]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


def test_consumer_groups_are_the_services_own() -> None:
    from analytics.settings import AnalyticsSettings
    from onboarding.settings import OnboardingSettings
    from router.pool_wiring import POOL_TAGS_GROUP
    from router.settings import DIRECTORY_GROUP, ROUTING_GROUP, SYNC_GROUP

    analytics = AnalyticsSettings.model_fields["consumer_group"].default
    onboarding = OnboardingSettings.model_fields["consumer_group"].default
    groups = {g for t in TOPICS for g in t.consumer_groups}
    assert groups == {analytics, onboarding, ROUTING_GROUP, DIRECTORY_GROUP, SYNC_GROUP, POOL_TAGS_GROUP}


def test_asyncapi_describes_channels_keys_headers_and_payloads() -> None:
    committed = yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text())
    assert committed == json.loads(json.dumps(asyncapi_document()))
    assert committed["asyncapi"] == "3.0.0"
    assert list(committed["channels"]) == [t.topic.base_name for t in TOPICS]
    schemas = committed["components"]["schemas"]
    for topic in TOPICS:
        channel = committed["channels"][topic.topic.base_name]
        assert channel["bindings"]["kafka"]["partitions"] == topic.topic.partitions
        (message_ref,) = channel["messages"].values()
        message = committed["components"]["messages"][message_ref["$ref"].rsplit("/", 1)[-1]]
        assert message["bindings"]["kafka"]["key"]["description"] == topic.topic.key
        headers = message["headers"]
        assert set(REQUIRED_HEADERS) <= set(headers["required"])
        assert {"ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time", "traceparent"} <= set(
            headers["properties"]
        )
        payload = schemas[message["payload"]["$ref"].rsplit("/", 1)[-1]]
        refs = [b["$ref"] for b in payload.get("oneOf", [])] or [message["payload"]["$ref"]]
        envelopes = {r.rsplit("/", 1)[-1] for r in refs}
        assert {f"{e.name}Envelope" for e in topic.events} <= envelopes | {payload.get("title", "")}, (
            topic.topic.base_name
        )
        operations = {
            k: o
            for k, o in committed["operations"].items()
            if o["channel"]["$ref"].endswith(f"/{topic.topic.base_name}")
        }
        receivers = {
            o["bindings"]["kafka"]["groupId"]["const"]
            for o in operations.values()
            if o["action"] == "receive"
        }
        assert receivers == set(topic.consumer_groups)
        assert [o["action"] for o in operations.values()].count("send") == 1


def test_headers_document_what_the_publisher_writes() -> None:
    from leadflow_common.events.envelope import Envelope
    from leadflow_common.kafka.publisher import envelope_headers

    written = envelope_headers(Envelope(event_type="LeadSynced", source="router", payload={}))
    described = yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text())
    message = next(iter(described["components"]["messages"].values()))
    assert set(written) <= set(message["headers"]["properties"])
    assert set(message["headers"]["required"]) <= set(written)
    assert written["ce_source"] == "leadflow/router"
