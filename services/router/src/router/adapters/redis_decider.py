"""The routing decision as one Redis round trip (decide.lua, registered once with EVALSHA), then
the business-hours rule in Python over the ≤ k candidates it returned (a second, atomic round trip
in swap.lua only when it prefers another location than the script booked)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from leadflow_common.kafka.errors import TransientError
from router.adapters.keys import RedisKeys
from router.domain.capacity import DEFAULT_TIMEZONE, local_dates
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.hours import decode
from router.domain.open_rank import HoursRule, band, hours_note, prefer_open, with_open_state
from router.domain.rules import UNASSIGNED, Candidate, RouteOutcome, RoutingPolicy, unassigned_reason

SCRIPT = (Path(__file__).with_name("decide.lua")).read_text()
SWAP = (Path(__file__).with_name("swap.lua")).read_text()
RELEASE = (Path(__file__).with_name("release.lua")).read_text()
MAX_TIMEZONE_MISSES = 5


class DirectoryNotLoaded(TransientError):
    """The Redis side of the directory is missing (Redis lost): wait for the rebuild."""


@dataclass(frozen=True, slots=True)
class HoursPolicy:
    rule: HoursRule = HoursRule.PREFER_OPEN
    band_miles: float = 5.0
    sla_minutes: float = 15.0


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


def candidate_extras(reply: list[Any]) -> dict[str, tuple[str, str, str]]:
    """Per candidate id: (local day, encoded hours, timezone) as the script saw them."""
    if _text(reply[0]) == "replayed":
        return {}
    return {_text(c[0]): (_text(c[7]), _text(c[8]), _text(c[9])) for c in reply[5]}


class RedisDecider:
    def __init__(self, redis: Redis, keys: RedisKeys, policy: RoutingPolicy, reservation_ttl_s: int,
                 counter_ttl_s: int, hours: HoursPolicy | None = None) -> None:  # fmt: skip
        self._redis = redis
        self._keys = keys
        self._policy = policy
        self._hours = hours or HoursPolicy()
        self._reservation_ttl_s = reservation_ttl_s
        self._counter_ttl_s = counter_ttl_s
        self._script = redis.register_script(SCRIPT)
        self._swap = redis.register_script(SWAP)
        self._release = redis.register_script(RELEASE)
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

    def _args(self, reservation_id: str, geo: Geocode, ratio: float, now: datetime, book: bool,
              excluded: Collection[str]) -> list[str]:  # fmt: skip
        p = self._policy
        dates = self._dates(now)
        args = [
            self._keys.prefix, reservation_id, repr(geo.lon), repr(geo.lat),
            "1" if geo.method == GeocodeMethod.STATE_CENTROID else "0",
            ",".join(str(int(r)) for r in p.radii_miles), str(p.count), geo.state or "",
            str(p.state_count), repr(ratio), repr(p.tie_miles), "1" if book else "0",
            str(self._reservation_ttl_s), str(self._counter_ttl_s), ",".join(sorted(excluded)),
        ]  # fmt: skip
        for tz, day in dates.items():
            args += [tz, day]
        return args

    async def decide(self, lead_id: str, geo: Geocode, score: float, now: datetime, book: bool = True,
                     excluded: Collection[str] = ()) -> RouteOutcome:  # fmt: skip
        """Reserve a slot (``book``) or only look (preview). A replay returns the first booking.

        ``lead_id`` keys the reservation: an SLA re-route passes ``<lead>#sla<attempt>`` and the
        locations that already had the lead in ``excluded``."""
        if not geo.routable:
            return RouteOutcome(UNASSIGNED, None, None, None, (), unassigned_reason(False, []))
        ratio = self._policy.limit_ratio(score)
        for _ in range(MAX_TIMEZONE_MISSES):
            args = self._args(lead_id if book else "", geo, ratio, now, book, excluded)
            reply = await self._script(args=args)
            kind = _text(reply[0])
            if kind == "nodirectory":
                raise DirectoryNotLoaded("Redis location directory is not loaded")
            if kind == "needtz":
                self._timezones.add(_text(reply[1]))
                continue
            outcome = parse_reply(reply, geo.routable)
            if outcome.replayed or self._hours.rule == HoursRule.IGNORE:
                return outcome
            return await self._apply_hours(outcome, candidate_extras(reply), lead_id, ratio, now, book)
        raise DirectoryNotLoaded("location timezones keep changing")

    async def _apply_hours(self, outcome: RouteOutcome, extras: dict[str, tuple[str, str, str]],
                           lead_id: str, ratio: float, now: datetime, book: bool,
                           ) -> RouteOutcome:  # fmt: skip
        chosen = outcome.location_id
        if chosen is None:
            return outcome
        ids = {c.location_id for c in band(outcome.candidates, chosen, self._hours.band_miles)}
        hours = {loc: (decode(extras[loc][1]), extras[loc][2] or DEFAULT_TIMEZONE) for loc in ids}
        candidates = with_open_state(outcome.candidates, hours, now, self._hours.sla_minutes)
        outcome = replace(outcome, candidates=candidates)
        picked = prefer_open(candidates, chosen, self._hours.band_miles)
        note = hours_note(picked, chosen)
        if picked.location_id == chosen:
            return replace(outcome, hours_note=note)
        day = extras[picked.location_id][0]
        if book:
            stored = f"{picked.location_id}|{picked.distance_miles}|{day}|{outcome.rule}"
            reply = await self._swap(args=[self._keys.prefix, lead_id, chosen, picked.location_id, day,
                                           repr(ratio), self._reservation_ttl_s, self._counter_ttl_s,
                                           stored])  # fmt: skip
            if _text(reply[0]) != "moved":
                kept = hours_note(next(c for c in candidates if c.location_id == chosen), chosen)
                return replace(outcome, hours_note=f"{kept}; {picked.location_id} had no slot left")
        return replace(outcome, location_id=picked.location_id, distance_miles=picked.distance_miles,
                       capacity_date=day, hours_note=note)  # fmt: skip

    async def release(self, reservation_id: str, location_id: str, day: str) -> bool:
        """Give back ``location_id``'s slot of ``day`` once per reservation id (SLA re-route)."""
        args: list[str | int] = [self._keys.prefix, reservation_id, location_id, day, self._reservation_ttl_s]
        return int(await self._release(args=args)) == 1
