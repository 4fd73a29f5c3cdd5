"""The pure parts of the Redis decider: reading decide.lua's reply and the business-hours choice."""

from __future__ import annotations

from datetime import UTC, datetime

from router.adapters.redis_decider import (
    HoursPolicy,
    candidate_extras,
    choose_by_hours,
    parse_reply,
    unroutable,
)
from router.domain.hours import encode, weekly_hours
from router.domain.open_rank import HoursRule

NOW = datetime(2026, 6, 10, 1, 55, tzinfo=UTC)  # 20:55 in Chicago
CHI = "America/Chicago"
CLOSES_21 = encode(weekly_hours({d: [("06:00", "21:00")] for d in range(7)}, []))


def reply(*candidates: list[str | int]) -> list[object]:
    """A ``booked`` reply on the first candidate, as redis-py hands it (bytes)."""
    first = candidates[0]
    cands = [[str(v).encode() if isinstance(v, str) else v for v in c] for c in candidates]
    return [b"booked", b"radius_25", str(first[0]).encode(), str(first[1]).encode(), b"2026-06-09", cands]


def cand(loc: str, miles: float, used: int, hours: str = "", ok: int = 1) -> list[str | int]:
    return [loc, str(miles), used, 10, "active", ok, "radius_25", "2026-06-09", hours, CHI]


def test_parse_reply_and_extras() -> None:
    raw = reply(cand("NEAR", 0.5, 2, CLOSES_21), cand("FULL", 0.7, 9, ok=0))
    outcome = parse_reply(raw, True)
    assert (outcome.rule, outcome.location_id, outcome.distance_miles, outcome.capacity_date) == (
        "radius_25", "NEAR", 0.5, "2026-06-09"
    )  # fmt: skip
    assert [(c.location_id, c.reserved, c.eligible) for c in outcome.candidates] == [
        ("NEAR", 2, True), ("FULL", 9, False)
    ]  # fmt: skip
    assert candidate_extras(raw)["NEAR"] == ("2026-06-09", CLOSES_21, CHI)
    replayed = parse_reply([b"replayed", b"NEAR|0.5|2026-06-09|radius_25"], True)
    assert replayed.replayed and replayed.location_id == "NEAR" and candidate_extras([b"replayed", b""]) == {}
    assert unroutable().reason == "unroutable_address"


def test_hours_choice_moves_to_the_open_location_and_knows_the_fallback() -> None:
    raw = reply(cand("NEAR", 0.5, 0, CLOSES_21), cand("OPEN", 2.0, 0))
    choice = choose_by_hours(parse_reply(raw, True), candidate_extras(raw), NOW, HoursPolicy())
    assert choice.move_to is not None and choice.move_to.location_id == "OPEN"
    assert (choice.outcome.location_id, choice.outcome.distance_miles, choice.move_day) == (
        "OPEN",
        2.0,
        "2026-06-09",
    )
    assert "preferred OPEN" in (choice.outcome.hours_note or "")
    assert choice.kept is not None and choice.kept.location_id == "NEAR"
    assert (choice.kept.hours_note or "").endswith("OPEN had no slot left")


def test_hours_choice_keeps_the_script_choice() -> None:
    raw = reply(cand("NEAR", 0.5, 0), cand("FAR", 9.0, 0))  # both always open: ties keep the script's
    choice = choose_by_hours(parse_reply(raw, True), candidate_extras(raw), NOW, HoursPolicy())
    assert choice.move_to is None and choice.outcome.location_id == "NEAR"
    assert choice.outcome.hours_note == "hours: NEAR kept (open now, SLA due in 15 min)"
    ignore = choose_by_hours(
        parse_reply(raw, True), candidate_extras(raw), NOW, HoursPolicy(HoursRule.IGNORE)
    )
    assert ignore.move_to is None and ignore.outcome.hours_note is None
    none = [b"none", b"unassigned", b"", b"", b"", [cand("FULL", 1.0, 10, ok=0)]]
    assert (
        choose_by_hours(parse_reply(none, True), candidate_extras(none), NOW, HoursPolicy()).move_to is None
    )
