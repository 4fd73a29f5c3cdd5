"""Baselines served next to ingest in the same benchmark run: a raw ASGI app and a bare FastAPI route."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response

OK = b'{"status":"accepted"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(OK)).encode())]


async def raw_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the body and answers 200: the ceiling of uvicorn on this machine."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": OK})


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.post("/webhooks/ghl")
    async def receive(request: Request) -> Response:
        await request.body()
        return Response(OK, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
