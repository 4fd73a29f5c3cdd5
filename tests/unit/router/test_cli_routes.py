"""``router routes list|reassign`` against a stand-in of the router's HTTP API (httpx MockTransport):
the requests it makes, the pages it follows and how refusals are reported."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from router import cli_routes
from router.cli import app

ROW = {"lead_id": "c-1", "decided_at": "2026-12-01T10:00:00Z", "state": "ND", "location_id": None,
       "reason": "all_nearby_locations_at_capacity"}  # fmt: skip


def serve(monkeypatch: pytest.MonkeyPatch, answer: Any) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, body = answer(request)
        return httpx.Response(status, json=body)

    def client(url: str, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=url, headers=headers, transport=httpx.MockTransport(handler))

    monkeypatch.setattr(cli_routes, "_client", client)
    return seen


def test_list_follows_the_cursor_with_all(monkeypatch: pytest.MonkeyPatch) -> None:
    def answer(request: httpx.Request) -> tuple[int, dict[str, Any]]:
        more = "cursor" not in request.url.params
        return 200, {"items": [ROW | {"lead_id": "c-1" if more else "c-2"}], "total": 2, "limit": 1,
                     "next_cursor": "abc" if more else None}  # fmt: skip

    seen = serve(monkeypatch, answer)
    result = CliRunner().invoke(
        app, ["routes", "list", "--state", "ND", "--limit", "1", "--all", "--token", "t"]
    )
    assert result.exit_code == 0, result.output
    assert "c-1" in result.stdout and "c-2" in result.stdout and "pool (all_nearby" in result.stdout
    assert [r.url.params.get("cursor") for r in seen] == [None, "abc"]
    assert seen[0].url.params["status"] == "unassigned" and seen[0].url.params["state"] == "ND"
    assert seen[0].headers["authorization"] == "Bearer t"


def test_reassign_posts_who_and_why_and_reports_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    refusal = {
        "detail": [{"loc": ["body", "location_id"], "msg": "location full: X has 1 of 1", "type": "x"}]
    }
    seen = serve(monkeypatch, lambda request: (409, refusal))
    args = ["routes", "reassign", "c-1", "--to", "FIT-2", "--reason", "customer asked", "--actor", "ana"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "409 location_id: location full" in result.stderr
    assert seen[0].url.path == "/routes/c-1/reassign"
    assert json.loads(seen[0].content) == {"location_id": "FIT-2", "reason": "customer asked", "actor": "ana"}

    moved = {"from_location_id": None, "location_id": "FIT-2", "rule": "manual", "actor": "ana"}
    serve(monkeypatch, lambda request: (200, moved))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0 and "c-1: the pool -> FIT-2 (manual, by ana)" in result.stdout
