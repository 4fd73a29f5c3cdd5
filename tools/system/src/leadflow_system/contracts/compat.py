"""Is a new JSON Schema of an event backward and forward compatible with the committed one?

Pure functions over two JSON Schema documents (as pydantic writes them: ``$defs`` + ``$ref``,
``anyOf`` for unions, ``const``/``enum`` for literals). The policy (docs/decisions/0005):

- readers of the *new* schema must accept every record the old schema allowed, because topics
  keep 400 days of history that consumers replay: no narrowed type, no new required property;
- readers of the *old* schema must accept every record the new producer writes, because
  producers and consumers deploy independently: no removed (or renamed) property, no property
  that stops being required, no widened type, except new values of the envelope's
  ``event_type``, which every reader skips by contract (``UnknownEventType``).

The only free changes are new optional properties and documentation (titles, descriptions,
defaults, examples). Anything else needs a new topic version (``….v2``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["removed", "required-added", "required-dropped", "narrowed", "widened"]
Schema = dict[str, Any]

# Keywords that restrict the values of a type; changing them changes what is accepted.
CONSTRAINTS = (
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "multipleOf",
)
# Paths whose value set may grow: readers skip unknown event types by contract.
OPEN_VALUES = frozenset({"event_type"})


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    kind: Kind
    detail: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.kind}: {self.detail}"


@dataclass(frozen=True, slots=True)
class _Alternative:
    """One branch of a (possibly union) schema: a JSON type, its allowed values if it is a literal."""

    type: str
    node: Schema
    values: frozenset[Any] | None


class _Document:
    def __init__(self, root: Schema) -> None:
        self.root = root

    def resolve(self, node: Schema) -> Schema:
        seen = 0
        while "$ref" in node:
            pointer = node["$ref"]
            if not pointer.startswith("#/"):
                raise ValueError(f"only local $ref supported, got {pointer}")
            target: Any = self.root
            for part in pointer[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
            if seen > 64:
                raise ValueError(f"$ref loop at {pointer}")
        return node

    def alternatives(self, node: Schema) -> list[_Alternative]:
        node = self.resolve(node)
        for union in ("anyOf", "oneOf"):
            if union in node:
                return [alt for branch in node[union] for alt in self.alternatives(branch)]
        if "allOf" in node and len(node["allOf"]) == 1:
            return self.alternatives(node["allOf"][0])
        values: frozenset[Any] | None = None
        if "const" in node:
            values = frozenset([_hashable(node["const"])])
        elif "enum" in node:
            values = frozenset(_hashable(v) for v in node["enum"])
        types = node.get("type")
        if types is None:
            types = sorted({_json_type(v) for v in values}) if values is not None else ["any"]
        if isinstance(types, str):
            types = [types]
        return [_Alternative(t, node, values) for t in types]


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else repr(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def _covers(wide: str, narrow: str) -> bool:
    return wide in (narrow, "any") or (wide == "number" and narrow == "integer")


def check(old: Schema, new: Schema) -> list[Change]:
    """Every breaking difference between the committed (``old``) and the new schema; empty if none."""
    return list(_Comparison(_Document(old), _Document(new)).compare(old, new, ""))


class _Comparison:
    def __init__(self, old: _Document, new: _Document) -> None:
        self.old = old
        self.new = new

    def compare(self, old_node: Schema, new_node: Schema, path: str) -> Iterable[Change]:
        old_alts = self.old.alternatives(old_node)
        new_alts = self.new.alternatives(new_node)
        for old_alt in old_alts:
            matches = [n for n in new_alts if _covers(n.type, old_alt.type)]
            if not matches:
                yield Change(path, "narrowed", f"type {old_alt.type} is no longer accepted")
                continue
            yield from self._compare_alternative(old_alt, _best(matches, old_alt.type), path)
        for new_alt in new_alts:
            if not any(_covers(o.type, new_alt.type) for o in old_alts):
                yield Change(path, "widened", f"type {new_alt.type} is new: old readers reject it")

    def _compare_alternative(self, old: _Alternative, new: _Alternative, path: str) -> Iterable[Change]:
        # integer → number is reported once, by the new side's loop in compare()
        yield from self._compare_values(old, new, path)
        yield from _compare_constraints(old.node, new.node, path)
        if old.type == "object" and new.type == "object":
            yield from self._compare_objects(old.node, new.node, path)
        if old.type == "array" and new.type == "array":
            old_items, new_items = old.node.get("items", {}), new.node.get("items", {})
            yield from self.compare(old_items, new_items, f"{path}[]")

    def _compare_values(self, old: _Alternative, new: _Alternative, path: str) -> Iterable[Change]:
        if old.values is None and new.values is None:
            return
        if new.values is not None and (old.values is None or not old.values <= new.values):
            lost = "any value" if old.values is None else sorted(map(str, old.values - new.values))
            yield Change(path, "narrowed", f"values no longer accepted: {lost}")
        if old.values is not None and (new.values is None or not new.values <= old.values):
            if path in OPEN_VALUES:
                return
            added = "any value" if new.values is None else sorted(map(str, new.values - old.values))
            yield Change(path, "widened", f"values old readers reject: {added}")

    def _compare_objects(self, old: Schema, new: Schema, path: str) -> Iterable[Change]:
        old_props: dict[str, Schema] = old.get("properties", {})
        new_props: dict[str, Schema] = new.get("properties", {})
        old_required = set(old.get("required", []))
        new_required = set(new.get("required", []))
        prefix = f"{path}." if path else ""
        for name, old_prop in old_props.items():
            if name not in new_props:
                yield Change(f"{prefix}{name}", "removed", "property removed or renamed")
                continue
            yield from self.compare(old_prop, new_props[name], f"{prefix}{name}")
        for name in sorted(new_required - old_required):
            what = "new required property" if name not in old_props else "property became required"
            yield Change(f"{prefix}{name}", "required-added", what)
        for name in sorted((old_required - new_required) & new_props.keys()):
            yield Change(f"{prefix}{name}", "required-dropped", "property became optional")
        if old.get("additionalProperties", True) is not False and new.get("additionalProperties") is False:
            yield Change(path, "narrowed", "additional properties are no longer accepted")
        yield from self._compare_maps(old, new, path)

    def _compare_maps(self, old: Schema, new: Schema, path: str) -> Iterable[Change]:
        """dict[K, V] fields: pydantic writes the value schema as ``additionalProperties``."""
        old_values, new_values = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_values, dict) and isinstance(new_values, dict):
            yield from self.compare(old_values, new_values, f"{path}{{}}")


def _best(matches: list[_Alternative], wanted: str) -> _Alternative:
    exact = [m for m in matches if m.type == wanted]
    return (exact or matches)[0]


def _compare_constraints(old: Schema, new: Schema, path: str) -> Iterable[Change]:
    for keyword in CONSTRAINTS:
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            continue
        if after is not None:
            yield Change(path, "narrowed", f"{keyword} {before!r} → {after!r}")
        else:
            yield Change(path, "widened", f"{keyword} {before!r} dropped: old readers may reject")
