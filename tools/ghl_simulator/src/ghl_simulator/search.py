"""GHL's advanced contact search (``POST /contacts/search``) over the simulator's contacts, pure.

What the platform relies on, as GHL documents it: ``filters`` (AND by default, ``group`` AND/OR
nesting; operators eq, not_eq, contains, not_contains, exists, not_exists and range with
gte/lte/gt/lt), ``sort`` by a field and direction, ``page`` + ``pageLimit`` (at most 500 a page and
10,000 records in all) or ``searchAfter`` (the cursor every returned contact carries, for deeper
reads; never together with ``page``), and ``total`` of the matches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

Json = dict[str, Any]
MAX_PAGE_LIMIT = 500
MAX_PAGED_RECORDS = 10_000
DATE_FIELDS = frozenset({"dateAdded", "dateUpdated", "dateOfBirth", "lastActivity"})


class SearchError(ValueError):
    """A request GHL refuses (answered 422)."""


@dataclass(frozen=True)
class SearchRequest:
    filters: list[Json]
    sort: list[Json]
    page_limit: int
    page: int | None = None
    search_after: list[Any] | None = None

    def check(self) -> None:
        if not 1 <= self.page_limit <= MAX_PAGE_LIMIT:
            raise SearchError(f"pageLimit must not be greater than {MAX_PAGE_LIMIT}")
        if self.page is not None and self.search_after is not None:
            raise SearchError("page and searchAfter cannot be used together")
        if self.page is not None and (self.page < 1 or self.page * self.page_limit > MAX_PAGED_RECORDS):
            raise SearchError(f"page x pageLimit is limited to {MAX_PAGED_RECORDS}; use searchAfter")


def epoch_ms(value: Any) -> int | None:
    """A date as GHL sorts it (epoch milliseconds); None when absent or unreadable."""
    if isinstance(value, int | float):
        return int(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp() * 1000)


def _comparable(field: str, value: Any) -> Any:
    return epoch_ms(value) if field in DATE_FIELDS else value


def _range(field: str, actual: Any, bounds: Json) -> bool:
    value = _comparable(field, actual)
    if value is None:
        return False
    checks: dict[str, Callable[[Any, Any], bool]] = {
        "gte": lambda a, b: a >= b,
        "gt": lambda a, b: a > b,
        "lte": lambda a, b: a <= b,
        "lt": lambda a, b: a < b,
    }
    unknown = set(bounds) - set(checks)
    if unknown or not bounds:
        raise SearchError(f"range supports gte, gt, lte, lt (got {sorted(bounds)})")
    return all(checks[op](value, _comparable(field, bound)) for op, bound in bounds.items())


def matches(contact: Json, spec: Json) -> bool:
    """One filter or a ``{"group": "AND"|"OR", "filters": [...]}`` group."""
    if "group" in spec:
        inner = [matches(contact, f) for f in spec.get("filters", [])]
        return any(inner) if str(spec["group"]).upper() == "OR" else all(inner)
    field, op, value = spec.get("field"), spec.get("operator"), spec.get("value")
    if not isinstance(field, str):
        raise SearchError("filters.field must be a string")
    actual = contact.get(field)
    if op == "eq":
        return bool(actual == value or (isinstance(actual, list) and value in actual))
    if op == "not_eq":
        return not (actual == value or (isinstance(actual, list) and value in actual))
    if op in ("contains", "not_contains"):
        found = isinstance(actual, str) and str(value).lower() in actual.lower()
        return found if op == "contains" else not found
    if op == "exists":
        return actual not in (None, "", [])
    if op == "not_exists":
        return actual in (None, "", [])
    if op == "range":
        if not isinstance(value, dict):
            raise SearchError("a range filter's value is an object of gte/gt/lte/lt")
        return _range(field, actual, value)
    raise SearchError(f"unsupported operator {op!r}")


def sort_key(contact: Json, sort: list[Json]) -> list[Any]:
    """The contact's ``searchAfter`` cursor: its sort values (dates in ms), then its id."""
    return [_comparable(s["field"], contact.get(s["field"])) for s in sort] + [contact["id"]]


def _value_of(field: str, contact: Json) -> Any:
    return _comparable(field, contact.get(field))


def _ordered(contacts: list[Json], sort: list[Json]) -> list[Json]:
    # Stable sorts from the last key to the first; missing values go last, like Elasticsearch's.
    ordered = sorted(contacts, key=lambda c: c["id"])
    for spec in reversed(sort):
        field, desc = spec["field"], str(spec.get("direction", "asc")).lower() == "desc"
        present = [c for c in ordered if _comparable(field, c.get(field)) is not None]
        missing = [c for c in ordered if _comparable(field, c.get(field)) is None]
        present.sort(key=partial(_value_of, field), reverse=desc)
        ordered = present + missing
    return ordered


def _after(contact: Json, cursor: list[Any], sort: list[Json]) -> bool:
    """Whether ``contact`` comes strictly after ``cursor`` in the sort order."""
    key = sort_key(contact, sort)
    directions = [str(s.get("direction", "asc")).lower() for s in sort] + ["asc"]
    for mine, theirs, direction in zip(key, cursor, directions, strict=False):
        if mine == theirs:
            continue
        if mine is None or theirs is None:
            return theirs is not None  # missing sorts last
        return bool(mine < theirs if direction == "desc" else mine > theirs)
    return False


def search(contacts: list[Json], request: SearchRequest) -> tuple[list[Json], int]:
    """(this page's contacts, each with its ``searchAfter``; total matches)."""
    request.check()
    sort = request.sort or [{"field": "dateAdded", "direction": "desc"}]
    hits = _ordered([c for c in contacts if all(matches(c, f) for f in request.filters)], sort)
    if request.search_after is not None:
        start = [c for c in hits if _after(c, request.search_after, sort)]
        page = start[: request.page_limit]
    else:
        offset = ((request.page or 1) - 1) * request.page_limit
        page = hits[offset : offset + request.page_limit]
    return [{**c, "searchAfter": sort_key(c, sort)} for c in page], len(hits)
