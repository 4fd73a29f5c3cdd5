"""The business-hours rule re-ranks only within the distance band of the step that fired."""

from __future__ import annotations

from datetime import UTC, datetime

from router.domain.hours import ALWAYS_OPEN, weekly_hours
from router.domain.open_rank import hours_note, prefer_open, with_open_state
from router.domain.rules import Candidate

NOW = datetime(2026, 6, 10, 1, 55, tzinfo=UTC)  # 20:55 in Chicago (CDT)
CHI = "America/Chicago"
CLOSES_21 = weekly_hours({d: [("06:00", "21:00")] for d in range(7)}, [])
OPENS_7 = weekly_hours({d: [("07:00", "22:00")] for d in range(7)}, [])


def cand(loc: str, miles: float, eligible: bool = True, step: str = "radius_25") -> Candidate:
    return Candidate(loc, miles, 0, 10, "active", eligible, step)


def ranked(*cands: Candidate) -> tuple[Candidate, ...]:
    hours = {"NEAR": (CLOSES_21, CHI), "LATE": (OPENS_7, CHI), "FAR": (ALWAYS_OPEN, CHI)}
    return with_open_state(cands, hours, NOW)


def test_closing_in_five_minutes_loses_to_one_staying_open() -> None:
    cands = ranked(cand("NEAR", 1.0), cand("LATE", 3.0))
    near = cands[0]
    assert near.open_now and near.opens_in_minutes == 0
    assert near.sla_due_in_minutes == 9 * 60 + 15  # 5 min tonight, 10 from 06:00
    picked = prefer_open(cands, "NEAR", 5.0)
    assert (picked.location_id, picked.sla_due_in_minutes) == ("LATE", 15)
    assert "preferred LATE (open now, SLA due in 15 min) over NEAR" in hours_note(picked, "NEAR")
    short_sla = with_open_state(cands, {"NEAR": (CLOSES_21, CHI), "LATE": (OPENS_7, CHI)}, NOW, 3.0)
    assert prefer_open(short_sla, "NEAR", 5.0).location_id == "NEAR"  # both can work it in time: kept


def test_open_now_wins_in_the_band() -> None:
    cands = ranked(cand("NEAR", 1.0), cand("LATE", 3.0))
    later = with_open_state(cands, {"NEAR": (CLOSES_21, CHI), "LATE": (OPENS_7, CHI)},
                            NOW.replace(hour=2, minute=5))  # fmt: skip  # 21:05: NEAR closed, LATE open
    picked = prefer_open(later, "NEAR", 5.0)
    assert picked.location_id == "LATE"
    assert "preferred LATE (open now" in hours_note(picked, "NEAR")


def test_band_and_step_limit_the_rule() -> None:
    at_2105 = NOW.replace(hour=2, minute=5)
    hours = {"NEAR": (CLOSES_21, CHI), "FAR": (ALWAYS_OPEN, CHI), "LATE": (OPENS_7, CHI)}
    cands = with_open_state((cand("NEAR", 1.0), cand("FAR", 9.0), cand("LATE", 2.0, step="radius_50")),
                            hours, at_2105)  # fmt: skip
    assert prefer_open(cands, "NEAR", 5.0).location_id == "NEAR"  # FAR outside the band, LATE another step
    assert prefer_open(cands, "NEAR", 10.0).location_id == "FAR"


def test_soonest_opening_wins_when_all_are_closed() -> None:
    at_0500 = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)  # 05:00 CDT
    hours = {"NEAR": (OPENS_7, CHI), "LATE": (CLOSES_21, CHI)}
    cands = with_open_state((cand("NEAR", 1.0), cand("LATE", 2.0)), hours, at_0500)
    picked = prefer_open(cands, "NEAR", 5.0)
    assert (picked.location_id, picked.opens_in_minutes) == ("LATE", 60)
    assert "opens in 60 min" in hours_note(picked, "NEAR")
