"""The routing policy document: validation naming the field, defaults equal to the settings, the
content hash, the decider's policy swap, and the diff report's arithmetic and table."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from redis.asyncio import Redis
from typer.testing import CliRunner

from router.adapters.keys import RedisKeys
from router.adapters.redis_decider import DecideRequest, RedisDecider
from router.cli import app
from router.domain.directory import DirectoryEntry, InMemoryDirectory
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.policies import TerritoryFallback, TiePolicy
from router.domain.policy import RoutingPolicyDocument, WeightsDocument
from router.domain.policy_diff import ReplayLead, diff, format_diff
from router.domain.rules import RoutingPolicy
from router.settings import RouterSettings

MILE_LAT = 1 / 69.05  # degrees of latitude per mile (near enough for these distances)


def error_field(**document: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        RoutingPolicyDocument.model_validate(document)
    (error,) = caught.value.errors()
    return ".".join(str(p) for p in error["loc"])


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"radii_miles": [50, 25]}, "radii_miles"),
        ({"radii_miles": [25, 25]}, "radii_miles"),
        ({"radii_miles": [0, 25]}, "radii_miles"),
        ({"radii_miles": [12.5]}, "radii_miles"),
        ({"radii_miles": []}, "radii_miles"),
        ({"capacity_threshold": 0}, "capacity_threshold"),
        ({"capacity_threshold": 1.01}, "capacity_threshold"),
        ({"tie_policy": "coin_flip"}, "tie_policy"),
        ({"territory_fallback": "anywhere"}, "territory_fallback"),
        ({"candidate_count": 0}, "candidate_count"),
        ({"fair_band_miles": -1}, "fair_band_miles"),
        ({"weights": {"source_points": {"website": -5}}}, "weights.source_points"),
        ({"weights": {"field_points": {"shoe_size": 5}}}, "weights.field_points"),
        ({"weights": {"unknown_source_points": -1}}, "weights.unknown_source_points"),
        ({"radius": [25]}, "radius"),  # a misspelt field is refused, not ignored
    ],
)
def test_validation_names_the_field(document: dict[str, Any], field: str) -> None:
    assert error_field(**document) == field


def test_the_messages_say_what_is_wrong() -> None:
    with pytest.raises(ValidationError, match="strictly increasing"):
        RoutingPolicyDocument(radii_miles=[50.0, 25.0])
    with pytest.raises(ValidationError, match="whole number of miles"):
        RoutingPolicyDocument(radii_miles=[12.5])


def test_defaults_are_the_settings_defaults() -> None:
    settings = RouterSettings()
    document = settings.policy_document()
    assert document == RoutingPolicyDocument()
    assert document.routing_policy() == settings.routing_policy() == RoutingPolicy()
    assert document.score_weights() == settings.score_weights()


def test_the_bootstrap_document_follows_the_settings() -> None:
    settings = RouterSettings(
        radii_miles=[10.0, 30.0], capacity_threshold=0.75, tie_policy=TiePolicy.ROUND_ROBIN,
        territory_fallback=TerritoryFallback.POOL, returning_enabled=True, returning_window_days=30.0,
        source_points={"referral": 50.0}, tag_points={"hot": 5.0}, unknown_source_points=2.0,
    )  # fmt: skip
    document = settings.policy_document()
    assert document.routing_policy() == settings.routing_policy()
    assert document.routing_policy().returning_window_days == 30.0
    assert document.score_weights() == settings.score_weights()
    assert document.weights.source_points == {"referral": 50.0}


def test_returning_off_means_a_zero_window() -> None:
    assert RoutingPolicyDocument(returning_window_days=30.0).routing_policy().returning_window_days == 0.0


def test_content_hash_is_what_the_document_says() -> None:
    a = RoutingPolicyDocument(weights=WeightsDocument(tag_points={"hot": 20.0, "vip": 15.0}))
    b = RoutingPolicyDocument(weights=WeightsDocument(tag_points={"vip": 15.0, "hot": 20.0}))
    assert a.content_hash() == b.content_hash()  # key order does not matter
    assert RoutingPolicyDocument(capacity_threshold=0.8).content_hash() != a.content_hash()


def test_the_decider_swaps_its_parameters_and_version() -> None:
    redis = Redis.from_url("redis://127.0.0.1:1")  # never contacted: only the call is built
    decider = RedisDecider(redis, RedisKeys("t"), RoutingPolicy(), 60, 60)
    request = DecideRequest("lead", Geocode(GeocodeMethod.POSTAL_CODE, 40.0, -105.0, "CO"), 50.0)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert decider.active.version is None
    _, args = decider._call(request, now, True, decider.active)
    assert (args[5], args[9], args[20]) == ("25,50,100", "0.9", "nearest")
    document = RoutingPolicyDocument(
        radii_miles=[10.0, 20.0], capacity_threshold=0.5, tie_policy="round_robin"
    )
    decider.use_policy(document.routing_policy(), 7)
    _, args = decider._call(request, now, True, decider.active)
    assert (args[5], args[9], args[20], decider.active.version) == ("10,20", "0.5", "round_robin", 7)


# The diff: a lead spot at (40, -105); NEAR is 5 miles north with capacity 2 (threshold 0.9: a
# booking while fewer than 1.8 are reserved, so 2; at 0.5 only 1), FAR 20 miles south, plenty.
def lead(n: int, day: str = "2026-12-01") -> ReplayLead:
    return ReplayLead(f"L{n}", day, Geocode(GeocodeMethod.POSTAL_CODE, 40.0, -105.0, "CO"), score=50.0)


def directory() -> InMemoryDirectory:
    return InMemoryDirectory([
        DirectoryEntry("NEAR", 40.0 + 5 * MILE_LAT, -105.0, 2, "active", "CO"),
        DirectoryEntry("FAR", 40.0 - 20 * MILE_LAT, -105.0, 100, "active", "CO"),
    ])  # fmt: skip


def test_diff_report_math() -> None:
    leads = [lead(n) for n in range(4)]
    before = RoutingPolicyDocument()  # 25 mi first: NEAR twice, then FAR
    after = RoutingPolicyDocument(radii_miles=[10.0], state_candidate_count=1)  # FAR is same_state
    d = diff(leads, directory(), before, after)
    assert d.before.report.by_location == {"NEAR": 2, "FAR": 2}
    assert d.before.report.by_rule == {"radius_25": 4}
    assert d.after.report.by_rule == {"radius_10": 2, "same_state": 2}
    assert d.before.assignment_rate == d.after.assignment_rate == 1.0
    assert d.moved == []  # same places, other rules
    assert d.load_changes() == []

    tighter = RoutingPolicyDocument(radii_miles=[10.0], capacity_threshold=0.5)  # NEAR takes 1
    d = diff(leads, directory(), before, tighter)
    assert d.after.report.by_location == {"NEAR": 1, "FAR": 3}
    assert [(c.location_id, c.before, c.after, c.delta) for c in d.load_changes()] == [
        ("FAR", 2, 3, 1), ("NEAR", 2, 1, -1)
    ]  # fmt: skip
    assert [(m.lead_id, m.before, m.after) for m in d.moved] == [("L1", "NEAR", "FAR")]
    p50, p90 = d.after.report.distance_percentile(50), d.before.report.distance_percentile(90)
    assert p50 is not None and 19.5 < p50 < 20.5 and p90 is not None and 19.5 < p90 < 20.5


def test_diff_counts_the_pool_and_restarts_counters_each_day() -> None:
    leads = [lead(0), lead(1), lead(2), lead(3, "2026-12-02")]
    only_near = RoutingPolicyDocument(radii_miles=[10.0], state_candidate_count=1)
    no_state = InMemoryDirectory([DirectoryEntry("NEAR", 40.0 + 5 * MILE_LAT, -105.0, 2, "active", None)])
    d = diff(leads, no_state, RoutingPolicyDocument(), only_near)
    # day one: two bookings then the pool; day two starts empty
    assert d.after.report.by_location == {"NEAR": 3}
    assert d.after.assigned == 3 and d.after.assignment_rate == 0.75
    assert d.after.report.unassigned_reasons == {"all_nearby_locations_at_capacity": 1}
    table = format_diff(d, ("a", "b"))
    assert "assignment rate" in table and "75.0%" in table and "+0.0 pp" in table
    assert "leads that change location: 0" in table


def test_diff_table_lists_the_changes() -> None:
    leads = [lead(n) for n in range(4)]
    d = diff(leads, directory(), RoutingPolicyDocument(), RoutingPolicyDocument(capacity_threshold=0.5))
    table = format_diff(d, ("current", "candidate"))
    lines = table.splitlines()
    assert any(line.startswith("distance p50 mi") for line in lines)
    assert any(line.startswith("FAR") and "+1" in line for line in lines)
    assert any(line.startswith("NEAR") and "-1" in line for line in lines)
    assert "leads that change location: 1" in table
    assert any(line.startswith("L1") and "NEAR" in line and "FAR" in line for line in lines)


def test_cli_diff_replays_a_csv_under_two_files(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(
        "lead_id,postal_code,date\n" + "".join(f"c{n},80202,2026-12-01\n" for n in range(4))
    )
    (tmp_path / "locations.csv").write_text(
        "location_id,lat,lon,daily_capacity,state\nDEN,39.7530,-104.9990,3,CO\nBOU,40.0150,-105.2705,50,CO\n"
    )
    (tmp_path / "a.json").write_text(json.dumps({"radii_miles": [25, 50]}))
    (tmp_path / "b.json").write_text(
        json.dumps({"policy": {"radii_miles": [25, 50], "capacity_threshold": 0.5}})
    )
    result = CliRunner().invoke(app, [
        "policy", "diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"),
        "--leads", str(tmp_path / "leads.csv"), "--locations", str(tmp_path / "locations.csv"), "--json",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["before"]["assigned"] == report["after"]["assigned"] == 4
    assert {c["location_id"]: c["delta"] for c in report["load_changes"]} == {"DEN": -1, "BOU": 1}
    assert report["moved"] == 1


def test_cli_set_refuses_an_invalid_file_before_calling_the_api(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"radii_miles": [50, 25], "capacity_threshold": 2}))
    result = CliRunner().invoke(app, ["policy", "set", str(path), "--url", "http://127.0.0.1:1"])
    assert result.exit_code == 1
    assert "radii_miles: Value error, radius steps must be strictly increasing" in result.output
    assert "capacity_threshold:" in result.output


def test_dry_run_lists_the_changed_fields() -> None:
    from router.cli_policy import changed_fields

    now = RoutingPolicyDocument()
    new = RoutingPolicyDocument(radii_miles=[10.0, 20.0], weights=WeightsDocument(tag_points={"hot": 1.0}))
    assert changed_fields(now, new) == ["radii_miles", "weights"]
    assert changed_fields(now, RoutingPolicyDocument()) == []


def test_simulate_takes_a_policy_file(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("lead_id,postal_code\n" + "".join(f"c{n},80202\n" for n in range(3)))
    (tmp_path / "locations.csv").write_text(
        "location_id,lat,lon,daily_capacity,state\nDEN,39.7530,-104.9990,1,CO\n"
    )
    (tmp_path / "p.json").write_text(json.dumps({"capacity_threshold": 1.0}))
    result = CliRunner().invoke(app, [
        "simulate", str(tmp_path / "leads.csv"), str(tmp_path / "locations.csv"),
        "--policy", str(tmp_path / "p.json"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "unassigned: 2 (66.7%)" in result.output  # capacity 1 at threshold 1.0: one lead placed


@pytest.mark.parametrize("location_id", ["LOC-1", None])
def test_decision_events_carry_the_policy_version(location_id: str | None) -> None:
    import orjson

    from router.handlers.events import decision_event, decision_payload
    from tests.unit.router.test_decision_events import row

    stored = row(location_id) | {"policy_version": 4}
    _, payload = decision_event(stored, [])
    model = decision_payload(stored, [])
    assert payload["policy_version"] == 4 == model.model_dump(mode="json")["policy_version"]
    dumped = orjson.loads(orjson.dumps(payload, option=orjson.OPT_UTC_Z))
    assert dumped == orjson.loads(orjson.dumps(model.model_dump(mode="json"), option=orjson.OPT_UTC_Z))
    # a stored decision republished (no version at hand) says nothing rather than a wrong one
    assert decision_event(row(location_id), [])[1]["policy_version"] is None
