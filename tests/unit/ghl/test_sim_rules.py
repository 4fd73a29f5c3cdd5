"""The simulator's pure rules: sliding-window limits, fault selection, resource mapping, snapshot pushes."""

from __future__ import annotations

from ghl_simulator.faults import Action, EndpointFault, FaultConfig, Faults
from ghl_simulator.gate import resource_of
from ghl_simulator.ratelimit import Limits, SlidingWindowLimiter
from ghl_simulator.settings import SimSettings
from ghl_simulator.sim import Principal
from ghl_simulator.state import SnapshotPush, World

AGENCY = Principal("comp1")


def test_sliding_window_admits_max_then_429s_until_the_oldest_leaves() -> None:
    limiter = SlidingWindowLimiter(Limits(max=3, interval_ms=1000, daily=100))
    assert [limiter.check("loc", now=t).allowed for t in (0.0, 0.1, 0.2, 0.5)] == [True, True, True, False]
    assert limiter.check("other", now=0.5).allowed  # limits are per resource
    assert not limiter.check("loc", now=0.99).allowed
    verdict = limiter.check("loc", now=1.01)
    assert verdict.allowed
    assert verdict.headers["x-ratelimit-remaining"] == "0"
    assert verdict.headers["x-ratelimit-max"] == "3"
    assert verdict.headers["x-ratelimit-interval-milliseconds"] == "1000"
    assert verdict.headers["x-ratelimit-daily-remaining"] == "96"


def test_daily_quota_is_enforced() -> None:
    limiter = SlidingWindowLimiter(Limits(max=100, interval_ms=10, daily=2))
    assert [limiter.check("loc", now=t).allowed for t in (0.0, 1.0, 2.0)] == [True, True, False]


def test_rejected_requests_consume_nothing() -> None:
    limiter = SlidingWindowLimiter(Limits(max=1, interval_ms=1000, daily=100))
    assert limiter.check("loc", now=0.0).allowed
    assert not any(limiter.check("loc", now=0.1 * i).allowed for i in range(1, 9))
    assert limiter.check("loc", now=1.0).allowed


def test_endpoint_faults_match_method_and_prefix_and_run_out() -> None:
    faults = Faults()
    faults.configure(FaultConfig(failing=[EndpointFault(method="POST", path_prefix="/locations/", count=1)]))
    assert faults.decide("GET", "/locations/abc") == (Action.PASS, 0)
    assert faults.decide("POST", "/locations/") == (Action.FAIL, 500)
    assert faults.decide("POST", "/locations/") == (Action.PASS, 0)
    faults.configure(FaultConfig(crash=[EndpointFault(path_prefix="/contacts")]))
    assert faults.decide("PUT", "/contacts/x")[0] is Action.CRASH


def test_storm_lasts_its_duration() -> None:
    faults = Faults()
    faults.configure(FaultConfig(storm_seconds=5))
    assert faults.in_storm(faults.storm_until - 1)
    assert not faults.in_storm(faults.storm_until + 0.01)


def test_resource_is_the_location_a_request_is_about_else_the_company() -> None:
    assert resource_of("/locations/L1/customValues", {}, AGENCY) == "L1"
    assert resource_of("/locations/search", {}, AGENCY) == "comp1"
    assert resource_of("/snapshots/snapshot-status/S/location/L2", {}, AGENCY) == "L2"
    assert resource_of("/workflows/", {"locationId": ["L3"]}, AGENCY) == "L3"
    assert resource_of("/contacts/upsert", {}, Principal("comp1", "L4")) == "L4"
    assert resource_of("/oauth/locationToken", {}, AGENCY) == "comp1"


def test_snapshot_push_completes_after_its_delay_and_brings_the_welcome_workflow() -> None:
    world = World(SimSettings())
    world.locations["L1"] = {"id": "L1", "name": "Fit"}
    push = SnapshotPush("P", world.settings.snapshot_id, "L1", started_at=100.0, delay_s=2.0)
    world.pushes[(push.snapshot_id, "L1")] = push
    assert [push.status(t) for t in (100.0, 101.5, 102.0)] == ["pending", "processing", "completed"]
    world.settle(now=101.0)
    assert "L1" not in world.workflows
    world.settle(now=102.5)
    assert "Welcome" in {w["name"] for w in world.workflows["L1"]}
    assert [p["name"] for p in world.pipelines["L1"]] == ["Lead Pipeline"]
    assert "location_name" in {cv["name"] for cv in world.custom_values["L1"].values()}
