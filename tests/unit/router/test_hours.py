"""Business hours: open-ness, next opening and business-minute arithmetic across DST days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from router.domain.hours import (
    ALWAYS_OPEN,
    add_business_minutes,
    business_minutes_between,
    decode,
    encode,
    is_open,
    minutes_until_open,
    weekly_hours,
)

NY = "America/New_York"
TZ = ZoneInfo(NY)
DAILY_6_21 = weekly_hours({d: [("06:00", "21:00")] for d in range(7)}, [])


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


def test_no_hours_is_always_open_and_business_minutes_are_plain_minutes() -> None:
    start = datetime(2026, 3, 8, 6, 50, tzinfo=UTC)
    assert is_open(ALWAYS_OPEN, NY, start)
    assert add_business_minutes(ALWAYS_OPEN, NY, start, 15) == start + timedelta(minutes=15)
    assert decode(encode(ALWAYS_OPEN)) == ALWAYS_OPEN


def test_encoding_round_trips() -> None:
    hours = weekly_hours({0: [("06:00", "12:00"), ("13:00", "21:00")], 5: [("08:00", "18:00")]},
                         [date(2026, 12, 25)])  # fmt: skip
    assert decode(encode(hours)) == hours


def test_lead_at_2055_before_a_2100_close_runs_into_the_next_morning() -> None:
    assigned = local(2026, 6, 10, 20, 55)
    assert is_open(DAILY_6_21, NY, assigned)
    assert add_business_minutes(DAILY_6_21, NY, assigned, 15) == local(2026, 6, 11, 6, 10)
    assert minutes_until_open(DAILY_6_21, NY, local(2026, 6, 10, 21, 0)) == 9 * 60


def test_unlisted_weekday_and_closed_date_are_closed() -> None:
    hours = weekly_hours({0: [("09:00", "17:00")]}, [date(2026, 6, 15)])  # Mondays only; Jun 15 off
    assert not is_open(hours, NY, local(2026, 6, 9, 10, 0))  # a Tuesday
    assert not is_open(hours, NY, local(2026, 6, 15, 10, 0))
    assert is_open(hours, NY, local(2026, 6, 22, 10, 0))
    # Friday 16:50 → the next open Monday is the 22nd (the 15th is closed): 10 min into it
    assert add_business_minutes(hours, NY, local(2026, 6, 12, 16, 50), 10) == local(2026, 6, 22, 9, 10)


def test_spring_forward_day_has_one_business_hour_less() -> None:
    night = weekly_hours({6: [("01:00", "03:00")]}, [])  # Sunday 01:00-03:00; 02:00-03:00 never happens
    day = date(2026, 3, 8)
    assert business_minutes_between(night, NY, local(2026, 3, 8, 0, 0), local(2026, 3, 9, 0, 0)) == 60
    start = local(2026, 3, 8, 1, 50)  # EST, 06:50 UTC; the range ends at 03:00 EDT = 07:00 UTC
    assert day.weekday() == 6
    # 10 minutes that night, the other 5 the next Sunday at 01:00 EDT (05:00 UTC)
    due = add_business_minutes(night, NY, start, 15)
    assert due.astimezone(UTC) == datetime(2026, 3, 15, 5, 5, tzinfo=UTC)


def test_fall_back_day_has_one_business_hour_more() -> None:
    night = weekly_hours({6: [("01:00", "03:00")]}, [])
    assert business_minutes_between(night, NY, local(2026, 11, 1, 0, 0), local(2026, 11, 2, 0, 0)) == 180


def test_deadline_across_spring_forward_keeps_local_opening_time() -> None:
    assigned = local(2026, 3, 7, 20, 55)  # Saturday EST
    due = add_business_minutes(DAILY_6_21, NY, assigned, 15)
    assert due == local(2026, 3, 8, 6, 10)  # Sunday EDT
    assert due.astimezone(UTC) == datetime(2026, 3, 8, 10, 10, tzinfo=UTC)
    assert business_minutes_between(DAILY_6_21, NY, assigned, due) == 15


def test_deadline_across_fall_back() -> None:
    assigned = local(2026, 10, 31, 20, 50)  # Saturday EDT
    due = add_business_minutes(DAILY_6_21, NY, assigned, 20)
    assert due.astimezone(UTC) == datetime(2026, 11, 1, 11, 10, tzinfo=UTC)  # 06:10 EST
    wall_clock_minutes = (due - assigned.astimezone(UTC)).total_seconds() / 60
    assert wall_clock_minutes == 10 + 10 * 60 + 10  # the closed night is 10 h, not 9 h
    assert business_minutes_between(DAILY_6_21, NY, assigned, due) == 20


def test_never_open_location_gets_the_wall_clock_deadline() -> None:
    closed = weekly_hours({0: []}, [])
    start = local(2026, 6, 10, 12, 0)
    assert minutes_until_open(closed, NY, start) is None
    assert add_business_minutes(closed, NY, start, 15) == start + timedelta(minutes=15)
