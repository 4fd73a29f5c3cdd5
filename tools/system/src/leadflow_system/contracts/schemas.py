"""One JSON Schema per event: the envelope with that event's payload, from the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from leadflow_system.contracts.catalog import EventContract, TopicContract, all_events

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def event_schema(topic: TopicContract, event: EventContract) -> dict[str, Any]:
    """What a consumer of ``topic`` validates a record value of this event against."""
    schema = event.envelope_model().model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"https://leadflow.example.com/contracts/{schema_path(topic, event).as_posix()}",
        "x-topic": topic.topic.base_name,
        "x-event-types": list(event.event_types),
        **schema,
    }


def schema_path(topic: TopicContract, event: EventContract) -> Path:
    """Relative to the contracts directory; the topic's versioned name is part of the path, so a
    breaking change goes to a new topic (``….v2``) and starts a new history."""
    return Path("schemas") / topic.topic.base_name / f"{event.name}.json"


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def all_schemas() -> dict[Path, dict[str, Any]]:
    return {schema_path(t, e): event_schema(t, e) for t, e in all_events()}
