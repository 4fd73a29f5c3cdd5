"""``ghl-simulator`` CLI: ``serve`` the simulator, ``send-webhook`` to deliver one signed webhook."""

from __future__ import annotations

import asyncio
from typing import Annotated

import orjson
import typer
import uvicorn

from ghl_simulator.app import create_app
from ghl_simulator.settings import SimSettings
from ghl_simulator.webhooks import ED25519_PUBLIC_KEY, RSA_PUBLIC_KEY, Scheme, WebhookSender
from leadflow_common.logging import configure_logging

app = typer.Typer(help="GoHighLevel API v2 simulator", no_args_is_help=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default GHLSIM_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default GHLSIM_PORT (8010)")] = None,
) -> None:
    """Serve the simulator over HTTP (settings from GHLSIM_* variables)."""
    settings = SimSettings()
    configure_logging("ghl-simulator", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@app.command("send-webhook")
def send_webhook(
    url: str,
    payload: Annotated[str, typer.Argument(help='JSON body, e.g. \'{"type":"ContactCreate",...}\'')],
    scheme: Annotated[str, typer.Option(help="ed25519 | rsa | both | none")] = "ed25519",
    retry_interval_s: float = 600.0,
    max_retries: int = 6,
) -> None:
    """Sign and deliver one webhook, retrying only on 429 like GHL."""
    sender = WebhookSender.with_test_keys(retry_interval_s, max_retries)
    chosen: Scheme = scheme  # type: ignore[assignment]
    result = asyncio.run(sender.deliver(url, orjson.loads(payload), scheme=chosen))
    typer.echo(orjson.dumps(result.as_dict()).decode())
    raise typer.Exit(0 if 200 <= result.status < 300 else 1)


@app.command("public-keys")
def public_keys() -> None:
    """Print where the test public keys are (configure ingest with them)."""
    typer.echo(f"ed25519: {ED25519_PUBLIC_KEY}\nrsa: {RSA_PUBLIC_KEY}")
