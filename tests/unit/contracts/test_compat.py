"""The compatibility checker flags each kind of breaking change and lets additive ones through."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from leadflow_system.contracts.compat import check


def schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def kinds(old: type[BaseModel], new: type[BaseModel]) -> list[tuple[str, str]]:
    return [(c.path, c.kind) for c in check(schema(old), schema(new))]


class Address(BaseModel):
    city: str
    zip: str | None = None


class Base(BaseModel):
    event_type: Literal["Thing"]
    lead_id: str
    score: float
    count: int
    note: str | None = None
    tags: list[str] = []
    address: Address
    at: datetime


def test_identical_schemas_are_compatible() -> None:
    assert check(schema(Base), schema(Base)) == []


def test_new_optional_field_and_documentation_are_compatible() -> None:
    class New(BaseModel):
        event_type: Literal["Thing"]
        lead_id: str = Field(description="now documented", title="Lead")
        score: float
        count: int
        note: str | None = "a new default"
        tags: list[str] = []
        address: Address
        at: datetime
        extra: str | None = None

    assert kinds(Base, New) == []


def test_removed_field() -> None:
    class New(BaseModel):
        event_type: Literal["Thing"]
        lead_id: str
        score: float
        count: int
        tags: list[str] = []
        address: Address
        at: datetime

    assert kinds(Base, New) == [("note", "removed")]


def test_renamed_field_is_a_removal_and_a_new_required_field() -> None:
    class New(BaseModel):
        event_type: Literal["Thing"]
        contact_id: str
        score: float
        count: int
        note: str | None = None
        tags: list[str] = []
        address: Address
        at: datetime

    assert kinds(Base, New) == [("lead_id", "removed"), ("contact_id", "required-added")]


def test_new_required_field() -> None:
    class New(Base):
        location_id: str

    assert kinds(Base, New) == [("location_id", "required-added")]


def test_optional_field_made_required() -> None:
    class New(Base):
        note: str

    assert ("note", "required-added") in kinds(Base, New)
    assert ("note", "narrowed") in kinds(Base, New)  # null is no longer accepted either


def test_number_narrowed_to_integer() -> None:
    class New(Base):
        score: int

    assert kinds(Base, New) == [("score", "narrowed")]


def test_integer_widened_to_number() -> None:
    class New(Base):
        count: float  # type: ignore[assignment]

    assert kinds(Base, New) == [("count", "widened")]


def test_nullable_made_non_nullable_is_narrowed() -> None:
    class New(Base):
        note: str = ""

    assert kinds(Base, New) == [("note", "narrowed")]


def test_widened_type_breaks_old_readers() -> None:
    class New(Base):
        count: int | None  # type: ignore[assignment]

    assert kinds(Base, New) == [("count", "widened")]


def test_required_field_made_optional_breaks_old_readers() -> None:
    class New(Base):
        lead_id: str = ""

    assert kinds(Base, New) == [("lead_id", "required-dropped")]


def test_changes_inside_nested_models_and_lists() -> None:
    class NewAddress(BaseModel):
        city: int
        zip: str | None = None

    class New(Base):
        address: NewAddress  # type: ignore[assignment]
        tags: list[int] = []  # type: ignore[assignment]

    assert sorted(kinds(Base, New)) == [
        ("address.city", "narrowed"),
        ("address.city", "widened"),
        ("tags[]", "narrowed"),
        ("tags[]", "widened"),
    ]


def test_nested_field_removed() -> None:
    class NewAddress(BaseModel):
        city: str

    class New(Base):
        address: NewAddress  # type: ignore[assignment]

    assert kinds(Base, New) == [("address.zip", "removed")]


class Status(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class Fewer(StrEnum):
    ACTIVE = "active"


class More(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class WithStatus(BaseModel):
    event_type: Literal["Thing"]
    status: Status
    capacity: int = Field(ge=0)


def test_enum_value_removed_is_narrowed_and_added_is_widened() -> None:
    class Narrow(WithStatus):
        status: Fewer  # type: ignore[assignment]

    class Wide(WithStatus):
        status: More  # type: ignore[assignment]

    assert kinds(WithStatus, Narrow) == [("status", "narrowed")]
    assert kinds(WithStatus, Wide) == [("status", "widened")]


def test_tighter_constraint_is_narrowed() -> None:
    class New(WithStatus):
        capacity: int = Field(gt=0)

    assert ("capacity", "narrowed") in kinds(WithStatus, New)


def test_new_event_types_are_free_because_readers_skip_unknown_types() -> None:
    class New(WithStatus):
        event_type: Literal["Thing", "OtherThing"]  # type: ignore[assignment]

    class Fewer(WithStatus):
        event_type: Literal["Other"]  # type: ignore[assignment]

    assert kinds(WithStatus, New) == []
    assert kinds(WithStatus, Fewer) == [("event_type", "narrowed")]


def test_closing_an_open_object_is_narrowed() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}}}
    new = {**old, "additionalProperties": False}
    assert [(c.path, c.kind) for c in check(old, new)] == [("", "narrowed")]


def test_messages_name_the_path_and_the_kind() -> None:
    class New(Base):
        location_id: str

    assert [str(c) for c in check(schema(Base), schema(New))] == [
        "location_id: required-added: new required property"
    ]
