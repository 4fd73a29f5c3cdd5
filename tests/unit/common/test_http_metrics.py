"""HTTP request metrics: by route template (never the raw path), method and status; /metrics not counted."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, HTTPException
from prometheus_client import CollectorRegistry

from leadflow_common.http import UNMATCHED_ROUTE, Readiness, instrument_http, ops_router


def app_with_metrics(registry: CollectorRegistry) -> FastAPI:
    app = FastAPI()

    @app.get("/leads/{lead_id}")
    async def lead(lead_id: str) -> dict[str, str]:
        if lead_id == "missing":
            raise HTTPException(404, "no such lead")
        return {"lead_id": lead_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("handler failed")

    app.include_router(ops_router(Readiness({}), registry))
    instrument_http(app, registry)
    return app


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


async def test_requests_are_counted_and_timed_by_route_template() -> None:
    registry = CollectorRegistry()
    transport = httpx.ASGITransport(app=app_with_metrics(registry), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for lead_id in ("a", "b", "missing"):
            await client.get(f"/leads/{lead_id}")
        await client.get("/boom")
        await client.get("/no/such/path")
        await client.get("/healthz")
        metrics = await client.get("/metrics")

    route = "/leads/{lead_id}"
    assert sample(registry, "http_requests_total", route=route, method="GET", status="200") == 2
    assert sample(registry, "http_requests_total", route=route, method="GET", status="404") == 1
    assert sample(registry, "http_requests_total", route="/boom", method="GET", status="500") == 1
    assert sample(registry, "http_requests_total", route=UNMATCHED_ROUTE, method="GET", status="404") == 1
    assert sample(registry, "http_requests_total", route="/healthz", method="GET", status="200") == 1
    assert sample(registry, "http_request_duration_seconds_count", route=route, method="GET") == 3
    assert 'route="/leads/a"' not in metrics.text
    assert sample(registry, "http_requests_total", route="/metrics", method="GET", status="200") == 0


def test_apps_sharing_a_registry_share_the_metric_family() -> None:
    registry = CollectorRegistry()
    first = instrument_http(FastAPI(), registry)
    assert instrument_http(FastAPI(), registry) is first
