"""``router policy``: the routing policy from a shell. show / history / set go through the router's
HTTP API (same validation, auth and audit as any other caller); diff replays leads under two
documents locally (a CSV of leads and one of locations), or asks the API to replay the last N
decisions against the live directory (``--last``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from router.cli_routes import Token, Url, _answer, _client
from router.domain.policy import RoutingPolicyDocument
from router.domain.policy_diff import ReplayLead, diff, format_diff

policy_app = typer.Typer(help="the routing policy: show, history, set, diff", no_args_is_help=True)
CURRENT = "current"


def read_policy(path: Path) -> RoutingPolicyDocument:
    """A policy file (a bare document, or ``{"policy": {...}}`` as ``show --json`` prints it);
    an invalid one prints ``field: message`` per error and exits 1."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        typer.echo(f"{path}: {exc}", err=True)
        raise typer.Exit(1) from exc
    if isinstance(raw, dict) and isinstance(raw.get("policy"), dict):
        raw = raw["policy"]
    try:
        return RoutingPolicyDocument.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}", err=True)
        raise typer.Exit(1) from exc


def _current(url: str, token: str | None) -> dict[str, Any]:
    with _client(url, token) as http:
        return _answer(http.get("/policy"))


def changed_fields(before: RoutingPolicyDocument, after: RoutingPolicyDocument) -> list[str]:
    a, b = before.model_dump(mode="json"), after.model_dump(mode="json")
    return [name for name in a if a[name] != b[name]]


@policy_app.command("show")
def show(url: Url = "http://127.0.0.1:8002", token: Token = None) -> None:
    """The current policy (version, hash, who, when) as JSON: edit it and ``set`` it back."""
    typer.echo(json.dumps(_current(url, token), indent=2))


@policy_app.command("history")
def history(
    limit: Annotated[int, typer.Option(help="versions shown, newest first")] = 20,
    url: Url = "http://127.0.0.1:8002",
    token: Token = None,
) -> None:
    """Stored versions, newest first."""
    with _client(url, token) as http:
        versions = _answer(http.get("/policy/versions", params={"limit": limit}))["versions"]
    typer.echo(f"{'version':>7}  {'hash':<16}  {'created_at':<32}  {'by':<24}  comment")
    for v in versions:
        typer.echo(f"{v['version']:>7}  {v['hash']:<16}  {v['created_at'] or '':<32}  "
                   f"{v['created_by'] or '':<24}  {v['comment'] or ''}")  # fmt: skip


@policy_app.command("set")
def set_policy(
    file: Annotated[Path, typer.Argument(exists=True, help="policy JSON")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and show what changes")] = False,
    expected_version: Annotated[
        int | None, typer.Option(help="refuse unless this is still the current version")
    ] = None,
    comment: Annotated[str | None, typer.Option(help="why (kept with the version)")] = None,
    actor: Annotated[str | None, typer.Option(envvar="LEADFLOW_ACTOR", help="who")] = None,
    url: Url = "http://127.0.0.1:8002",
    token: Token = None,
) -> None:
    """Replace the policy (every replica within ~2 s). ``--dry-run``: validate, list the changed
    fields against the current version, store nothing."""
    document = read_policy(file)
    if dry_run:
        current = _current(url, token)
        fields = changed_fields(RoutingPolicyDocument.model_validate(current["policy"]), document)
        typer.echo(f"valid; hash {document.content_hash()}; against version {current['version']} "
                   f"changes: {', '.join(fields) or 'nothing'}")  # fmt: skip
        return
    body: dict[str, Any] = {"policy": document.model_dump(mode="json"), "comment": comment}
    if expected_version is not None:
        body["expected_version"] = expected_version
    headers = {"X-Actor": actor} if actor else {}
    with _client(url, token) as http:
        stored = _answer(http.put("/policy", json=body, headers=headers))
    typer.echo(f"stored version {stored['version']} (hash {stored['hash']})")


def csv_leads(path: Path) -> list[ReplayLead]:
    from router.adapters.gazetteer import default_gazetteer
    from router.domain.geocoding import geocode, normalize_zip
    from router.simulate_csv import read_leads

    gazetteer = default_gazetteer()
    return [ReplayLead(lead.lead_id, day, geocode(lead, gazetteer), lead=lead,
                       zip5=normalize_zip(lead.postal_code)) for day, lead in read_leads(path)]  # fmt: skip


@policy_app.command("diff")
def diff_policies(
    before: Annotated[str, typer.Argument(help="policy JSON, or 'current' (the live one)")],
    after: Annotated[Path, typer.Argument(exists=True, help="policy JSON")],
    leads: Annotated[Path | None, typer.Option(exists=True, help="CSV of historic leads")] = None,
    locations: Annotated[
        Path | None, typer.Option(exists=True, help="CSV of locations (with --leads)")
    ] = None,
    last: Annotated[
        int | None, typer.Option(min=1, help="replay the last N decisions on the router (before: current)")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="location changes and moved leads listed")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
    url: Url = "http://127.0.0.1:8002",
    token: Token = None,
) -> None:
    """Replay leads under two policies and print the difference: assignment rate, distance
    p50/p90/p99, rules, per-location load (biggest changes) and the leads that change location."""
    new = read_policy(after)
    if last is not None:
        if before != CURRENT:
            typer.echo("--last compares with the current policy: pass 'current' as the first", err=True)
            raise typer.Exit(2)
        with _client(url, token) as http:
            body = {"policy": new.model_dump(mode="json"), "leads": last, "top": top}
            report = _answer(http.post("/policy/preview", json=body))
        label = f"v{report['current_version']}"
    else:
        if leads is None or locations is None:
            typer.echo("give --leads and --locations (CSV), or --last N", err=True)
            raise typer.Exit(2)
        from router.adapters.gazetteer import default_gazetteer
        from router.domain.directory import InMemoryDirectory
        from router.simulate_csv import read_locations

        if before == CURRENT:
            current = _current(url, token)
            old, label = RoutingPolicyDocument.model_validate(current["policy"]), f"v{current['version']}"
        else:
            old, label = read_policy(Path(before)), Path(before).name
        directory = InMemoryDirectory(read_locations(locations, default_gazetteer()))
        report = diff(csv_leads(leads), directory, old, new).as_json(top)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        typer.echo(format_diff(report, (label, after.name), top))
