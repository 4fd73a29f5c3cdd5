"""The memoised bucket clock gives exactly the UTC hour and local day of plain datetime arithmetic."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from analytics.domain.aggregate import BucketClock, hour_utc, local_day

ZONES = ("America/New_York", "America/St_Johns", "Asia/Kolkata", "Australia/Lord_Howe", "UTC")


def test_bucket_clock_matches_datetime_arithmetic_across_dst_and_half_hour_zones() -> None:
    rnd = random.Random(3)
    clock = BucketClock()
    # around the 2026 DST changes (March, April, October, November) and at random
    anchors = [datetime(2026, m, d, tzinfo=UTC) for m, d in ((3, 8), (4, 5), (10, 4), (11, 1))]
    for _ in range(5000):
        base = rnd.choice(anchors) if rnd.random() < 0.7 else datetime(2026, 1, 1, tzinfo=UTC)
        at = base + timedelta(
            seconds=rnd.randrange(-2 * 86400, 300 * 86400 if base.month == 1 else 2 * 86400)
        )
        zone = rnd.choice(ZONES)
        seconds = at.timestamp()
        index = int(seconds // 3600)
        assert clock.hour(index) == hour_utc(at)
        assert clock.local_day(at, seconds, index, zone) == local_day(at, zone), (at, zone)
