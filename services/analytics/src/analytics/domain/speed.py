"""Speed-to-lead: time from assignment to the first touch, kept as additive histogram counters.

Each first touch adds 1 to one bucket column (``stl_le_<n>m``: at most n minutes, above the previous
bound) so hours and days sum like every other counter and a rebuild gives the same numbers.
Percentiles interpolate linearly inside the bucket; the last bucket (> 1 day) reports its lower bound.
"""

from __future__ import annotations

from collections.abc import Mapping

BOUNDS_MIN: tuple[int, ...] = (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440)
BUCKETS: tuple[str, ...] = (*(f"stl_le_{b}m" for b in BOUNDS_MIN), f"stl_gt_{BOUNDS_MIN[-1]}m")
SLA_COUNTERS: tuple[str, ...] = (
    "touches",
    "touch_seconds",
    "touched_in_sla",
    "sla_breaches",
    "reassignments",
)


def bucket_of(seconds: float) -> str:
    minutes = seconds / 60
    for bound, name in zip(BOUNDS_MIN, BUCKETS, strict=False):
        if minutes <= bound:
            return name
    return BUCKETS[-1]


def touch_deltas(seconds: float, within_sla: bool) -> dict[str, float]:
    seconds = max(seconds, 0.0)
    return {"touches": 1.0, "touch_seconds": seconds, "touched_in_sla": 1.0 if within_sla else 0.0,
            bucket_of(seconds): 1.0}  # fmt: skip


def reassignment_deltas(reason: str, moved: bool) -> dict[str, float]:
    return {"sla_breaches": 1.0 if reason.startswith("sla") else 0.0, "reassignments": 1.0 if moved else 0.0}


def percentile_minutes(counters: Mapping[str, float], q: float) -> float | None:
    """The q-quantile (0 < q < 1) of speed-to-lead in minutes, or None without touches."""
    counts = [counters.get(name, 0.0) for name in BUCKETS]
    total = sum(counts)
    if total <= 0:
        return None
    rank, seen, lower = q * total, 0.0, 0.0
    for bound, count in zip((*BOUNDS_MIN, None), counts, strict=True):
        if count and seen + count >= rank:
            if bound is None:
                return lower
            return round(lower + (bound - lower) * (rank - seen) / count, 2)
        seen += count
        lower = float(bound) if bound is not None else lower
    return lower
