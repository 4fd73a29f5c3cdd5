"""The routing decision as one Redis round trip (decide.lua, registered once with EVALSHA)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from leadflow_common.kafka.errors import TransientError
from router.adapters.keys import RedisKeys
from router.domain.capacity import DEFAULT_TIMEZONE, local_dates
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.rules import UNASSIGNED, Candidate, RouteOutcome, RoutingPolicy, unassigned_reason

SCRIPT = (Path(__file__).with_name("decide.lua")).read_text()
MAX_TIMEZONE_MISSES = 5


class DirectoryNotLoaded(TransientError):
    """The Redis side of the directory is missing (Redis lost): wait for the rebuild."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_candidates(raw: list[Any]) -> tuple[Candidate, ...]:
    return tuple(
        Candidate(
            location_id=_text(c[0]),
            distance_miles=float(_text(c[1])),
            reserved=int(c[2]),
            daily_capacity=int(c[3]),
            status=_text(c[4]),
            eligible=int(c[5]) == 1,
            step=_text(c[6]),
        )
        for c in raw
    )


def parse_reply(reply: list[Any], routable: bool) -> RouteOutcome:
    kind = _text(reply[0])
    if kind == "replayed":
        location_id, distance, day, rule = _text(reply[1]).split("|")
        return RouteOutcome(rule, location_id, float(distance), day, (), None, replayed=True)
    candidates = parse_candidates(reply[5])
    if kind == "none":
        return RouteOutcome(UNASSIGNED, None, None, None, candidates, unassigned_reason(routable, candidates))
    return RouteOutcome(_text(reply[1]), _text(reply[2]), float(_text(reply[3])), _text(reply[4]), candidates)


class RedisDecider:
    def __init__(self, redis: Redis, keys: RedisKeys, policy: RoutingPolicy, reservation_ttl_s: int,
                 counter_ttl_s: int) -> None:  # fmt: skip
        self._redis = redis
        self._keys = keys
        self._policy = policy
        self._reservation_ttl_s = reservation_ttl_s
        self._counter_ttl_s = counter_ttl_s
        self._script = redis.register_script(SCRIPT)
        self._timezones: set[str] = {DEFAULT_TIMEZONE, ""}
        self._dates_cache: dict[str, str] = {}
        self._dates_stamp: tuple[int, int] = (-1, -1)

    async def refresh_timezones(self) -> None:
        self._timezones |= {_text(t) for t in await self._redis.smembers(self._keys.timezones)}

    def _dates(self, now: datetime) -> dict[str, str]:
        """Local dates per timezone, recomputed at most once per second (and when zones change)."""
        stamp = (int(now.timestamp()), len(self._timezones))
        if stamp != self._dates_stamp:
            dates = local_dates(now, self._timezones - {""})
            dates[""] = dates[DEFAULT_TIMEZONE]
            self._dates_cache, self._dates_stamp = dates, stamp
        return self._dates_cache

    def _args(self, lead_id: str, geo: Geocode, ratio: float, now: datetime, book: bool) -> list[str]:
        p = self._policy
        dates = self._dates(now)
        args = [
            self._keys.prefix, lead_id, repr(geo.lon), repr(geo.lat),
            "1" if geo.method == GeocodeMethod.STATE_CENTROID else "0",
            ",".join(str(int(r)) for r in p.radii_miles), str(p.count), geo.state or "",
            str(p.state_count), repr(ratio), repr(p.tie_miles), "1" if book else "0",
            str(self._reservation_ttl_s), str(self._counter_ttl_s),
        ]  # fmt: skip
        for tz, day in dates.items():
            args += [tz, day]
        return args

    async def decide(
        self, lead_id: str, geo: Geocode, score: float, now: datetime, book: bool = True
    ) -> RouteOutcome:
        """Reserve a slot (``book``) or only look (preview). A replay returns the first booking."""
        if not geo.routable:
            return RouteOutcome(UNASSIGNED, None, None, None, (), unassigned_reason(False, []))
        ratio = self._policy.limit_ratio(score)
        for _ in range(MAX_TIMEZONE_MISSES):
            reply = await self._script(args=self._args(lead_id if book else "", geo, ratio, now, book))
            kind = _text(reply[0])
            if kind == "nodirectory":
                raise DirectoryNotLoaded("Redis location directory is not loaded")
            if kind == "needtz":
                self._timezones.add(_text(reply[1]))
                continue
            return parse_reply(reply, geo.routable)
        raise DirectoryNotLoaded("location timezones keep changing")
