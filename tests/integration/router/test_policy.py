"""The routing policy as data on real Kafka, Postgres and Redis: a version stored by another replica
is picked up by the poll and decides the next lead (its decision-log line carries the version),
optimistic concurrency and field-naming validation of ``PUT /policy``, and the preview replaying
the last decisions under a candidate document."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from leadflow_common.db import transaction
from leadflow_common.events.envelope import decode_envelope
from leadflow_common.topics import LEADS_ASSIGNED
from router.adapters import policy_store
from router.adapters.gazetteer import default_gazetteer
from router.cli import app as cli
from router.domain.directory import haversine_miles
from router.domain.policy import RoutingPolicyDocument
from router.policy_api import policy_api
from router.policy_reload import policy_of
from router.services import RouterServices
from tests.integration.router.harness import RunningRouter, eventually
from tests.support.kafka_io import read_all

LEAD_ZIP = "82601"  # Casper, WY: no other test module puts a location near it
OPS = {"X-Actor": "ops@franchise.example"}


def lead_id() -> str:
    return f"pol-{uuid.uuid4().hex[:10]}"


async def decided(router: RunningRouter, lead: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        route = await router.route_of(lead)
        return route if route["decisions"] else None

    return await eventually(probe, 20)


async def test_a_stored_policy_decides_the_next_lead_within_seconds(router: RunningRouter) -> None:
    place = default_gazetteer().by_postal_code(LEAD_ZIP)
    assert place is not None
    lat = place.lat + 0.29  # ~20 miles north of the lead
    assert 19 < haversine_miles(place.lat, place.lon, lat, place.lon) < 21
    await router.publish_location("POL-NORTH", "82601", lat, place.lon, 50, "WY")
    await router.wait_location("POL-NORTH", "active")
    assert router.services is not None
    reloader = policy_of(router.services)

    first = lead_id()
    await router.publish_contact(first, postalCode=LEAD_ZIP, email=f"{first}@x.co")
    route = await decided(router, first)
    assert (route["assignment"]["location_id"], route["assignment"]["rule"]) == ("POL-NORTH", "radius_25")
    assert route["decisions"][0]["policy_version"] == 0  # the settings' bootstrap document

    # another replica stores a policy whose nearest step is 10 miles: this one finds it by polling
    smaller = RoutingPolicyDocument(radii_miles=[10.0])
    async with transaction(router.services.sessions) as session:
        stored = await policy_store.store(
            session, smaller, "another-replica", "10 mi", reloader.current.version
        )
    started = asyncio.get_running_loop().time()

    async def swapped() -> bool | None:
        return True if reloader.current.version == stored.version else None

    await eventually(swapped, 10)
    waited = asyncio.get_running_loop().time() - started
    assert waited < 5, f"policy applied after {waited:.1f} s (poll every 1 s)"
    assert router.services.decider.active.policy.radii_miles == (10.0,)

    second = lead_id()
    await router.publish_contact(second, postalCode=LEAD_ZIP, email=f"{second}@x.co")
    route = await decided(router, second)
    # 20 miles is past every radius step now: the same-state step takes it
    assert (route["assignment"]["location_id"], route["assignment"]["rule"]) == ("POL-NORTH", "same_state")
    assert route["decisions"][0]["policy_version"] == stored.version
    records = await read_all(router.infra.kafka, LEADS_ASSIGNED.name, 1_000_000, timeout_s=3)
    (event,) = [decode_envelope(r.value) for r in records if r.key == second.encode()]
    assert (event.event_type, event.payload["policy_version"]) == ("LeadAssigned", stored.version)

    # what going back to 25/50/100 would do to these leads, before doing it
    wider = RoutingPolicyDocument().model_dump(mode="json")
    response = await router.http.post("/policy/preview", json={"policy": wider, "leads": 100})
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["current_version"] == stored.version
    assert preview["before"]["by_rule"].get("same_state", 0) >= 2
    assert preview["after"]["by_rule"].get("radius_25", 0) >= 2
    assert preview["after"]["assignment_rate"] == preview["before"]["assignment_rate"]

    # a move by hand records the version in force too
    await router.publish_location("POL-SOUTH", "82601", place.lat - 0.29, place.lon, 50, "WY")
    await router.wait_location("POL-SOUTH", "active")
    body = {"location_id": "POL-SOUTH", "reason": "closer to the customer's work", "actor": "ops"}
    moved = await router.http.post(f"/routes/{second}/reassign", json=body)
    assert moved.status_code == 200, moved.text
    lines = (await router.route_of(second))["decisions"]
    assert (lines[-1]["actor"], lines[-1]["policy_version"]) == ("ops", stored.version)


async def test_put_policy_checks_the_version_and_names_bad_fields(router: RunningRouter) -> None:
    current = (await router.http.get("/policy")).json()
    version = current["version"]

    bad = await router.http.put("/policy", headers=OPS, json={"policy": {"radii_miles": [50, 25]}})
    assert bad.status_code == 422, bad.text
    assert bad.json()["detail"][0]["loc"] == ["body", "policy", "radii_miles"]
    bad = await router.http.put("/policy", headers=OPS, json={"policy": {"capacity_threshold": 1.5}})
    assert bad.json()["detail"][0]["loc"][-1] == "capacity_threshold"
    bad = await router.http.put("/policy", headers=OPS, json={"policy": {"tie_policy": "coin_flip"}})
    assert bad.json()["detail"][0]["loc"][-1] == "tie_policy"
    nobody = await router.http.put("/policy", json={"policy": {}})
    assert nobody.status_code == 422 and nobody.json()["detail"][0]["loc"][-1] == "actor"

    document = RoutingPolicyDocument(radii_miles=[30.0, 60.0], capacity_threshold=0.8).model_dump(mode="json")
    ok = await router.http.put(
        "/policy", headers=OPS, json={"policy": document, "expected_version": version, "comment": "wider"}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == version + 1 and ok.json()["created_by"] == OPS["X-Actor"]
    assert router.services is not None and policy_of(router.services).current.version == version + 1
    metrics = (await router.http.get("/metrics")).text
    assert f"router_routing_policy_version {float(version + 1)}" in metrics

    stale = await router.http.put(
        "/policy", headers=OPS, json={"policy": document, "expected_version": version}
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["detail"][0]["loc"][-1] == "expected_version"

    shown = (await router.http.get("/policy")).json()
    assert (shown["version"], shown["active_version"]) == (version + 1, version + 1)
    assert shown["policy"]["radii_miles"] == [30.0, 60.0]
    versions = (await router.http.get("/policy/versions")).json()["versions"]
    assert [v["version"] for v in versions][:2] == [version + 1, version]
    assert versions[0]["comment"] == "wider" and versions[0]["hash"] == shown["hash"]


@contextlib.asynccontextmanager
async def served(svc: RouterServices) -> AsyncIterator[str]:
    """The policy API of the running router's services on a real port (the CLI speaks HTTP)."""
    web = FastAPI()
    web.state.services = svc
    web.include_router(policy_api)
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=0, lifespan="off", log_config=None))
    task = asyncio.create_task(server.serve())

    async def started() -> bool | None:
        return True if server.started else None

    try:
        await eventually(started, 10)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_the_cli_shows_sets_and_diffs_through_the_api(router: RunningRouter, tmp_path: Path) -> None:
    assert router.services is not None
    runner = CliRunner()

    async def run(*args: str) -> Any:
        return await asyncio.to_thread(runner.invoke, cli, ["policy", *args, "--url", url])

    async with served(router.services) as url:
        shown = await run("show")
        assert shown.exit_code == 0, shown.output
        version = json.loads(shown.output)["version"]
        path = tmp_path / "p.json"
        path.write_text(json.dumps(json.loads(shown.output) | {"policy": {"radii_miles": [15, 40]}}))

        dry = await run("set", str(path), "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert f"against version {version} changes: radii_miles" in dry.output
        assert policy_of(router.services).current.version == version  # nothing stored

        stored = await run(
            "set", str(path), "--expected-version", str(version), "--comment", "cli", "--actor", "me"
        )
        assert stored.exit_code == 0, stored.output
        assert f"stored version {version + 1}" in stored.output
        stale = await run("set", str(path), "--expected-version", str(version), "--actor", "me")
        assert stale.exit_code == 1 and "409 expected_version" in stale.output

        history = await run("history")
        assert history.exit_code == 0 and f"{version + 1}" in history.output and "cli" in history.output

        wide = tmp_path / "wide.json"
        wide.write_text(json.dumps({"radii_miles": [25, 50, 100]}))
        diffed = await run("diff", "current", str(wide), "--last", "50")
        assert diffed.exit_code == 0, diffed.output
        assert "assignment rate" in diffed.output and f"v{version + 1}" in diffed.output
