from datetime import date

import pytest

from onboarding.domain.hours import HoursError, business_hours, describe_hours, parse_weekly_hours


def test_day_ranges_and_closed_days() -> None:
    weekly = parse_weekly_hours("Mon-Fri 06:00-21:00; Sat 08:00-18:00; Sun closed")
    assert sorted(weekly) == [0, 1, 2, 3, 4, 5, 6]
    assert weekly[4][0].opens == "06:00" and weekly[4][0].closes == "21:00"
    assert weekly[5][0].closes == "18:00"
    assert weekly[6] == []


def test_split_shifts_and_wrapping_day_range() -> None:
    weekly = parse_weekly_hours("sat-mon 6:00-12:00,14:00-20:30")
    assert sorted(weekly) == [0, 5, 6]
    assert [(r.opens, r.closes) for r in weekly[6]] == [("06:00", "12:00"), ("14:00", "20:30")]


@pytest.mark.parametrize(
    "text", ["Mon-Fri 9am-5pm", "Funday 06:00-10:00", "Mon 10:00-09:00", "Mon", "Tue 25:00-26:00"]
)
def test_invalid_hours(text: str) -> None:
    with pytest.raises(HoursError):
        parse_weekly_hours(text)


def test_closed_dates_are_sorted_and_unique() -> None:
    hours = business_hours("", "2027-12-25, 2027-01-01; 2027-12-25")
    assert hours is not None
    assert hours.closed_dates == [date(2027, 1, 1), date(2027, 12, 25)]


def test_no_hours_means_none_and_description() -> None:
    assert business_hours(" ", "") is None
    hours = business_hours("Mon-Sun 05:00-23:00", "")
    assert describe_hours(hours).startswith("Mon 05:00-23:00; Tue 05:00-23:00")
