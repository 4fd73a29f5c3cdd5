"""``router routes``: the unassigned pool and reassignments from a shell, through the router's
HTTP API (same validation, auth and effects as the dashboard's calls)."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import httpx
import typer

routes_app = typer.Typer(help="decisions and the unassigned pool: list, reassign", no_args_is_help=True)
Url = Annotated[str, typer.Option(envvar="ROUTER_API_URL", help="the router's API")]
Token = Annotated[str | None, typer.Option(envvar="ROUTER_API_TOKEN", help="bearer token of the API")]


def _client(url: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=30.0)


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON body; a 4xx/5xx becomes one line per error (``field: message``) and exit 1."""
    if response.is_success:
        body: dict[str, Any] = response.json()
        return body
    detail = response.json().get("detail") if "json" in response.headers.get("content-type", "") else None
    if isinstance(detail, list):
        for error in detail:
            typer.echo(f"{response.status_code} {error.get('loc', ['?'])[-1]}: {error.get('msg')}", err=True)
    else:
        typer.echo(f"{response.status_code}: {detail or response.text}", err=True)
    raise typer.Exit(1)


@routes_app.command("list")
def list_routes(
    status: Annotated[str, typer.Option(help="unassigned | assigned | all")] = "unassigned",
    reason: Annotated[
        str | None, typer.Option(help="unassigned reason, e.g. all_nearby_locations_at_capacity")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="decided at or after (ISO 8601 with offset)")
    ] = None,
    until: Annotated[str | None, typer.Option("--to", help="decided before (ISO 8601 with offset)")] = None,
    state: Annotated[str | None, typer.Option(help="two-letter state")] = None,
    location: Annotated[str | None, typer.Option(help="assigned there; for the pool: near it")] = None,
    limit: Annotated[int, typer.Option(help="rows per page")] = 50,
    all_pages: Annotated[bool, typer.Option("--all", help="follow the cursor to the last page")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per row")] = False,
    url: Url = "http://127.0.0.1:8002",
    token: Token = None,
) -> None:
    """List decisions oldest first (default: the unassigned pool)."""
    params: dict[str, Any] = {"status": status, "reason": reason, "from": since, "to": until, "state": state,
                              "location_id": location, "limit": limit}  # fmt: skip
    params = {k: v for k, v in params.items() if v is not None}
    with _client(url, token) as client:
        page = _answer(client.get("/routes", params=params))
        typer.echo(f"{page['total']} matching", err=True)
        while True:
            for item in page["items"]:
                if as_json:
                    typer.echo(json.dumps(item, default=str))
                else:
                    where = item["location_id"] or f"pool ({item['reason']})"
                    typer.echo(f"{item['decided_at']}  {item['lead_id']}  {item['state'] or '--'}  {where}")
            if not (all_pages and page["next_cursor"]):
                break
            page = _answer(client.get("/routes", params=params | {"cursor": page["next_cursor"]}))
        if page["next_cursor"] and not all_pages:
            typer.echo(f"more: --all, or cursor {page['next_cursor']}", err=True)


@routes_app.command("reassign")
def reassign(
    lead_id: Annotated[str, typer.Argument(help="the lead (its intake contact id)")],
    to: Annotated[str, typer.Option("--to", help='a location id, or "auto" (route it again elsewhere)')],
    reason: Annotated[str, typer.Option(help="why (kept in the decision log)")],
    actor: Annotated[str | None, typer.Option(help="who (default: $USER)")] = None,
    url: Url = "http://127.0.0.1:8002",
    token: Token = None,
) -> None:
    """Move a lead (also out of the pool) to a location or "auto"; refused moves say why (exit 1)."""
    who = actor or os.environ.get("USER") or ""
    with _client(url, token) as client:
        body = {"location_id": to, "reason": reason, "actor": who or None}
        moved = _answer(client.post(f"/routes/{lead_id}/reassign", json=body))
    source = moved["from_location_id"] or "the pool"
    typer.echo(f"{lead_id}: {source} -> {moved['location_id']} ({moved['rule']}, by {moved['actor']})")
