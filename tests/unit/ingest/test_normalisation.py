"""GHL bodies with null or oddly shaped optional fields are normalised, never refused (ghl.py)."""

from __future__ import annotations

import pytest

from leadflow_common.events.ghl import (
    AppointmentEvent,
    ContactEvent,
    OpportunityEvent,
    UnknownGhlEvent,
    parse_ghl_event,
)


def contact(**fields: object) -> ContactEvent:
    event = parse_ghl_event({"type": "ContactCreate", "id": "c1", **fields})
    assert isinstance(event, ContactEvent)
    return event


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("vip, web,, ", ["vip", "web"]),
        (None, []),
        (["a", 3, None, {"x": 1}, " "], ["a", "3"]),
        ({"not": "tags"}, []),
        (["ok"], ["ok"]),
    ],
)
def test_tags(tags: object, expected: list[str]) -> None:
    assert contact(tags=tags).tags == expected


def test_custom_fields_as_an_object_or_with_odd_items() -> None:
    fields = contact(customFields={"f1": "x", "f2": 3}).custom_fields
    assert [(f.id, f.value) for f in fields] == [("f1", "x"), ("f2", 3)]
    assert [f.id for f in contact(customFields=["x", {"id": 9, "value": None}]).custom_fields] == ["9"]
    assert contact(customFields=None).custom_fields == []
    assert contact(customFields="nope").custom_fields == []


def test_numbers_where_strings_belong_are_kept_as_text() -> None:
    event = contact(phone=5551234, postalCode=10001, webhookId=77)
    assert (event.phone, event.postal_code, event.webhook_id) == ("5551234", "10001", "77")


def test_unusable_values_are_read_as_absent_and_the_rest_is_kept() -> None:
    event = contact(firstName={"a": 1}, email=["x"], postalCode="78701", brandNew=True)
    assert (event.first_name, event.email, event.postal_code) == (None, None, "78701")
    assert event.model_dump()["brandNew"] is True


@pytest.mark.parametrize(
    ("value", "expected"), [("$1,250.50", 1250.5), ("250", 250.0), ("lots", None), (None, None)]
)
def test_monetary_value_as_text(value: object, expected: float | None) -> None:
    event = parse_ghl_event({"type": "OpportunityStatusUpdate", "monetaryValue": value, "contactId": "c1"})
    assert isinstance(event, OpportunityEvent)
    assert (event.monetary_value, event.entity_id) == (expected, "c1")


def test_nested_appointment_null_or_partly_malformed() -> None:
    empty = parse_ghl_event({"type": "AppointmentCreate", "appointment": None})
    assert isinstance(empty, AppointmentEvent) and empty.appointment.contact_id is None
    partial = parse_ghl_event(
        {"type": "AppointmentUpdate", "appointment": {"contactId": "c7", "startTime": {}}}
    )
    assert isinstance(partial, AppointmentEvent)
    assert (partial.entity_id, partial.appointment.start_time) == ("c7", None)


def test_unknown_type_with_odd_fields() -> None:
    event = parse_ghl_event({"type": "NoteCreate", "id": {"deep": 1}, "locationId": None})
    assert isinstance(event, UnknownGhlEvent) and event.id is None


def test_models_validated_directly_normalise_too() -> None:
    # The router validates payloads with ContactEvent itself; by field name as well as by alias.
    assert ContactEvent.model_validate({"type": "ContactCreate", "tags": "a,b"}).tags == ["a", "b"]
    assert ContactEvent.model_validate({"type": "ContactCreate", "custom_fields": 5}).custom_fields == []


@pytest.mark.parametrize("body", [{}, {"type": None}, {"type": ["ContactCreate"]}])
def test_type_is_still_required(body: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="type"):
        parse_ghl_event(body)
