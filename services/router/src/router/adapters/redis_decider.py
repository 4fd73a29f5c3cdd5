"""The routing decision as one Redis round trip (decide.lua, registered once with EVALSHA), then
the business-hours rule in Python over the ≤ k candidates it returned (a second, atomic round trip
in swap.lua only when it prefers another location than the script booked).

``decide_many`` runs a whole batch the same way: every decide.lua call of the batch in one
non-transactional pipeline, then every swap.lua call in a second one. Each script call stays atomic
on its own, so concurrent batches never over-book, and a replayed lead id returns its first booking.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from leadflow_common.kafka.errors import TransientError
from leadflow_common.redis import AnyRedis, ScriptCall, eval_many
from router.adapters.keys import RedisKeys
from router.domain.capacity import DEFAULT_TIMEZONE, local_dates
from router.domain.geocoding import Geocode, GeocodeMethod, normalize_zip
from router.domain.hours import decode
from router.domain.lead import Lead
from router.domain.open_rank import HoursRule, band, hours_note, prefer_open, with_open_state
from router.domain.policies import TiePolicy
from router.domain.returning import contact_keys
from router.domain.rules import UNASSIGNED, Candidate, RouteOutcome, RoutingPolicy, unassigned_reason

SCRIPT = (Path(__file__).with_name("decide.lua")).read_text()
SWAP = (Path(__file__).with_name("swap.lua")).read_text()
RELEASE = (Path(__file__).with_name("release.lua")).read_text()
MAX_TIMEZONE_MISSES = 5
NOTE_LENGTH = 300  # the decision log's note column


Extras = dict[str, tuple[str, str, str]]


class DirectoryNotLoaded(TransientError):
    """The Redis side of the directory is missing (Redis lost): wait for the rebuild."""


@dataclass(frozen=True, slots=True)
class HoursPolicy:
    rule: HoursRule = HoursRule.PREFER_OPEN
    band_miles: float = 5.0
    sla_minutes: float = 15.0


@dataclass(frozen=True, slots=True)
class DecideRequest:
    """One lead of a batch. ``excluded``: locations that already had it (SLA re-route);
    ``zip5``: its zip for the territory rule; ``contacts``: its contact keys for the returning
    rule (returning.contact_keys). Without them those two rules do not apply."""

    lead_id: str
    geo: Geocode
    score: float
    excluded: frozenset[str] = frozenset()
    zip5: str | None = None
    contacts: tuple[str, ...] = ()


def lead_request(lead: Lead, geo: Geocode, score: float) -> DecideRequest:
    """The request of a fresh lead: every rule applies (territory by its zip, returning by its
    e-mail and phone)."""
    return DecideRequest(lead.lead_id, geo, score, zip5=normalize_zip(lead.postal_code),
                         contacts=contact_keys(lead.email, lead.phone))  # fmt: skip


@dataclass(frozen=True, slots=True)
class HoursChoice:
    """What the business-hours rule made of the script's answer: ``outcome`` to answer when the
    choice stands; ``move_to`` (on ``move_day``) the location to move the booking to, and ``kept``
    the answer when swap.lua finds it full by then (``move_to`` None: keep the script's choice)."""

    outcome: RouteOutcome
    move_to: Candidate | None = None
    move_day: str = ""
    kept: RouteOutcome | None = None


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
    note = (_text(reply[6]) or None) if len(reply) > 6 else None
    policy = (_text(reply[7]) or None) if len(reply) > 7 else None
    if kind == "none":
        reason = unassigned_reason(routable, candidates)
        return RouteOutcome(UNASSIGNED, None, None, None, candidates, reason, route_note=note)
    if kind == "pool":  # the territory's owner cannot take it and the fallback is the pool
        return RouteOutcome(UNASSIGNED, None, None, None, candidates, _text(reply[1]), route_note=note)
    return RouteOutcome(_text(reply[1]), _text(reply[2]), float(_text(reply[3])), _text(reply[4]), candidates,
                        policy=policy, route_note=note)  # fmt: skip


def with_route_note(outcome: RouteOutcome) -> RouteOutcome:
    """The stored note: what the returning / territory / tie rules did, then the hours rule's."""
    if not outcome.route_note:
        return outcome
    note = "; ".join(n for n in (outcome.route_note, outcome.hours_note) if n)
    return replace(outcome, hours_note=note[:NOTE_LENGTH])


def candidate_extras(reply: list[Any]) -> Extras:
    """Per candidate id: (local day, encoded hours, timezone) as the script saw them."""
    if _text(reply[0]) == "replayed":
        return {}
    return {_text(c[0]): (_text(c[7]), _text(c[8]), _text(c[9])) for c in reply[5]}


def unroutable() -> RouteOutcome:
    return RouteOutcome(UNASSIGNED, None, None, None, (), unassigned_reason(False, []))


def choose_by_hours(outcome: RouteOutcome, extras: Extras, now: datetime, policy: HoursPolicy) -> HoursChoice:
    """The business-hours rule over the script's answer (pure): fill the open state of the band's
    candidates and name the location it prefers, if another than the one the script chose."""
    chosen = outcome.location_id
    if chosen is None or outcome.replayed or policy.rule == HoursRule.IGNORE:
        return HoursChoice(outcome)
    ids = {c.location_id for c in band(outcome.candidates, chosen, policy.band_miles)}
    hours = {loc: (decode(extras[loc][1]), extras[loc][2] or DEFAULT_TIMEZONE) for loc in ids}
    candidates = with_open_state(outcome.candidates, hours, now, policy.sla_minutes)
    outcome = replace(outcome, candidates=candidates)
    picked = prefer_open(candidates, chosen, policy.band_miles)
    note = hours_note(picked, chosen)
    if picked.location_id == chosen:
        return HoursChoice(replace(outcome, hours_note=note))
    day = extras[picked.location_id][0]
    moved = replace(outcome, location_id=picked.location_id, distance_miles=picked.distance_miles,
                    capacity_date=day, hours_note=note)  # fmt: skip
    kept = hours_note(next(c for c in candidates if c.location_id == chosen), chosen)
    return HoursChoice(
        moved, picked, day, replace(outcome, hours_note=f"{kept}; {picked.location_id} had no slot left")
    )


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """The routing parameters one batch is decided with (swapped whole by ``use_policy``: a batch
    takes one snapshot, so a reload between its pipelines never mixes two versions)."""

    policy: RoutingPolicy
    version: int | None  # the stored policy version (domain/policy.py); None: not versioned
    report_band: float
    window_s: int


class RedisDecider:
    def __init__(self, redis: AnyRedis, keys: RedisKeys, policy: RoutingPolicy, reservation_ttl_s: int,
                 counter_ttl_s: int, hours: HoursPolicy | None = None,
                 policy_version: int | None = None) -> None:  # fmt: skip
        self._redis = redis
        self._keys = keys
        self._hours = hours or HoursPolicy()
        self._reservation_ttl_s = reservation_ttl_s
        self._counter_ttl_s = counter_ttl_s
        self._script = redis.register_script(SCRIPT)
        self._swap = redis.register_script(SWAP)
        self._release = redis.register_script(RELEASE)
        self._active = self._prepare(policy, policy_version)
        self._timezones: set[str] = {DEFAULT_TIMEZONE, ""}
        self._dates_cache: dict[str, str] = {}
        self._dates_stamp: tuple[int, int] = (-1, -1)

    def _prepare(self, policy: RoutingPolicy, version: int | None) -> ActivePolicy:
        # the script reports the eligible candidates this close to the nearest one: the ones the
        # business-hours rule may re-rank (at least the tie window, which holds the chosen one)
        ignore = self._hours.rule == HoursRule.IGNORE
        report_band = policy.tie_miles if ignore else max(policy.tie_miles, self._hours.band_miles)
        if policy.tie_policy != TiePolicy.NEAREST:  # and the fair policies' band (the log shows it)
            report_band = max(report_band, policy.fair_band_miles)
        return ActivePolicy(policy, version, report_band, int(policy.returning_window_days * 86400))

    def use_policy(self, policy: RoutingPolicy, version: int | None) -> None:
        """Decide with ``policy`` from the next batch on (hot reload; one attribute swap)."""
        self._active = self._prepare(policy, version)

    @property
    def active(self) -> ActivePolicy:
        return self._active

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

    def _call(self, request: DecideRequest, now: datetime, book: bool, active: ActivePolicy) -> ScriptCall:
        p, k = active.policy, self._keys
        geo = request.geo
        lead_id = request.lead_id if book else ""
        keys = [k.ready, k.reservation(lead_id), k.geo, k.state_geo(geo.state or ""), k.territories,
                k.fair_passes]  # fmt: skip
        if active.window_s > 0:
            keys += [k.contact(c) for c in request.contacts]
        args = [
            k.base, lead_id, repr(geo.lon), repr(geo.lat),
            "1" if geo.method == GeocodeMethod.STATE_CENTROID else "0",
            ",".join(str(int(r)) for r in p.radii_miles), str(p.count), geo.state or "",
            str(p.state_count), repr(p.limit_ratio(request.score)), repr(p.tie_miles), "1" if book else "0",
            str(self._reservation_ttl_s), str(self._counter_ttl_s), ",".join(sorted(request.excluded)),
            str(p.report_candidates), repr(active.report_band), str(p.max_examined),
            request.zip5 or "", p.territory_fallback.value, p.tie_policy.value, repr(p.fair_band_miles),
            str(int(now.timestamp())), str(active.window_s),
        ]  # fmt: skip
        for tz, day in self._dates(now).items():
            args += [tz, day]
        return keys, args

    def _swap_call(self, request: DecideRequest, choice: HoursChoice, now: datetime,
                   active: ActivePolicy) -> ScriptCall:  # fmt: skip
        picked, booked, k = choice.move_to, choice.kept, self._keys
        assert picked is not None and booked is not None
        assert booked.location_id is not None and booked.capacity_date is not None
        stored = f"{picked.location_id}|{picked.distance_miles}|{choice.move_day}|{booked.rule}"
        keys = [
            k.reservation(request.lead_id),
            k.location(picked.location_id),
            k.counter(picked.location_id, choice.move_day),
            k.counter(booked.location_id, booked.capacity_date),
        ]
        if active.window_s > 0:  # the contact goes back to where it was moved, not where it was booked
            keys += [k.contact(c) for c in request.contacts]
        ratio = repr(active.policy.limit_ratio(request.score))
        ttls = [self._reservation_ttl_s, self._counter_ttl_s]
        contact_value = f"{picked.location_id}|{int(now.timestamp())}"
        return keys, [booked.location_id, booked.capacity_date, ratio, *ttls, stored, contact_value,
                      active.window_s]  # fmt: skip

    async def decide(self, lead_id: str, geo: Geocode, score: float, now: datetime, book: bool = True,
                     excluded: Collection[str] = (), zip5: str | None = None,
                     contacts: Sequence[str] = ()) -> RouteOutcome:  # fmt: skip
        """Reserve a slot (``book``) or only look (preview). A replay returns the first booking.

        ``lead_id`` keys the reservation: an SLA re-route passes ``<lead>#sla<attempt>`` and the
        locations that already had the lead in ``excluded``. ``zip5`` / ``contacts``: see
        DecideRequest (a fresh lead: ``lead_request``)."""
        request = DecideRequest(lead_id, geo, score, frozenset(excluded), zip5, tuple(contacts))
        return (await self._decide_all([request], now, book))[0]

    async def decide_many(self, requests: Sequence[DecideRequest], now: datetime) -> list[RouteOutcome]:
        """``decide(..., book=True)`` for every request, in request order, in two pipelines at most
        (the decisions, then the business-hours swaps) plus one per timezone the batch discovers."""
        return await self._decide_all(requests, now, book=True)

    async def _decide_all(self, requests: Sequence[DecideRequest], now: datetime,
                          book: bool) -> list[RouteOutcome]:  # fmt: skip
        active = self._active  # one policy version for the whole batch, whatever reloads meanwhile
        results: list[RouteOutcome | None] = [None] * len(requests)
        pending = []
        for i, request in enumerate(requests):
            if request.geo.routable:
                pending.append(i)
            else:
                results[i] = unroutable()  # no Redis call for an address that has no coordinates
        replies: dict[int, list[Any]] = {}
        for _ in range(MAX_TIMEZONE_MISSES):
            if not pending:
                break
            calls = [self._call(requests[i], now, book, active) for i in pending]
            retry = []
            for i, reply in zip(pending, await eval_many(self._redis, self._script, calls), strict=True):
                kind = _text(reply[0])
                if kind == "nodirectory":
                    raise DirectoryNotLoaded("Redis location directory is not loaded")
                if kind == "needtz":  # a location of a zone this process has not seen yet
                    self._timezones.add(_text(reply[1]))
                    retry.append(i)
                else:
                    replies[i] = reply
            pending = retry
        if pending:
            raise DirectoryNotLoaded("location timezones keep changing")
        choices = {i: choose_by_hours(parse_reply(reply, True), candidate_extras(reply), now, self._hours)
                   for i, reply in replies.items()}  # fmt: skip
        for i, choice in choices.items():
            results[i] = choice.outcome
        moves = [i for i, choice in choices.items() if choice.move_to is not None]
        if book and moves:
            swaps = [self._swap_call(requests[i], choices[i], now, active) for i in moves]
            for i, answer in zip(moves, await eval_many(self._redis, self._swap, swaps), strict=True):
                if _text(answer[0]) != "moved":  # the preferred location filled up meanwhile
                    results[i] = choices[i].kept
        assert all(r is not None for r in results)
        return [replace(with_route_note(r), policy_version=active.version)
                for r in cast(list[RouteOutcome], results)]  # fmt: skip

    async def release(self, reservation_id: str, location_id: str, day: str) -> bool:
        """Give back ``location_id``'s slot of ``day`` once per reservation id (SLA re-route)."""
        keys = [self._keys.released(reservation_id), self._keys.counter(location_id, day)]
        return int(await self._release(keys=keys, args=[self._reservation_ttl_s])) == 1
