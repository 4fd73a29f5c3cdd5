"""Webhook delivery to a real local HTTP receiver: retried only on 429, same bytes every time."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ghl_simulator.webhooks import ED25519_PUBLIC_KEY
from tests.support.ghl import GhlSim

pytestmark = pytest.mark.integration


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.answers: list[int] = []
        self.received: list[tuple[bytes, dict[str, str]]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/webhooks/ghl"


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.received.append((body, {k.lower(): v for k, v in self.headers.items()}))
        status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=5)


async def test_only_429_is_retried_with_identical_signed_bytes(ghl_sim: GhlSim, receiver: Receiver) -> None:
    receiver.answers = [429, 429, 200]
    result = await ghl_sim.webhooks.deliver(receiver.url, {"type": "ContactCreate", "locationId": "L1"})
    assert (result.status, result.statuses) == (200, [429, 429, 200])
    bodies = {body for body, _ in receiver.received}
    assert len(bodies) == 1  # a retry is the same delivery: same webhookId, same signature
    body, headers = receiver.received[0]
    key = serialization.load_pem_public_key(ED25519_PUBLIC_KEY.read_bytes())
    assert isinstance(key, Ed25519PublicKey)
    key.verify(base64.b64decode(headers["x-ghl-signature"]), body)
    assert orjson.loads(body)["webhookId"] == result.webhook_id


async def test_5xx_is_final_like_ghl(ghl_sim: GhlSim, receiver: Receiver) -> None:
    receiver.answers = [500, 200]
    result = await ghl_sim.webhooks.deliver(receiver.url, {"type": "ContactCreate"}, scheme="rsa")
    assert (result.status, result.attempts) == (500, 1)
    assert "x-wh-signature" in receiver.received[0][1]


def test_simulator_admin_api_sends_webhooks(ghl_sim: GhlSim, receiver: Receiver) -> None:
    payload = {"type": "INSTALL", "appId": ghl_sim.sim_settings.app_id, "locationId": "L9"}
    answer = ghl_sim.admin.post(
        "/webhooks/send", json={"url": receiver.url, "payload": payload, "scheme": "both"}
    )
    assert answer.status_code == 200 and answer.json()["status"] == 200
    body, headers = receiver.received[0]
    assert {"x-ghl-signature", "x-wh-signature"} <= headers.keys()
    assert orjson.loads(body)["type"] == "INSTALL"
