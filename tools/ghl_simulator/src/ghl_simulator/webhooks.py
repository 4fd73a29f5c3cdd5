"""Signed webhook delivery like GHL's: Ed25519 ``x-ghl-signature`` and/or RSA ``x-wh-signature`` over
the raw body, ``timestamp`` and ``webhookId`` in the body, retried only when the receiver answers 429."""

from __future__ import annotations

import asyncio
import base64
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx
import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

KEYS_DIR = Path(__file__).parent / "keys"
ED25519_PUBLIC_KEY = KEYS_DIR / "webhook-ed25519-public.pem"
RSA_PUBLIC_KEY = KEYS_DIR / "webhook-rsa-public.pem"
Scheme = Literal["ed25519", "rsa", "both", "none"]


@dataclass
class DeliveryResult:
    status: int
    attempts: int
    webhook_id: str
    statuses: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class WebhookSigner:
    def __init__(self, ed25519_key: Ed25519PrivateKey, rsa_key: RSAPrivateKey) -> None:
        self._ed = ed25519_key
        self._rsa = rsa_key

    @classmethod
    def from_dir(cls, keys_dir: Path = KEYS_DIR) -> WebhookSigner:
        ed = serialization.load_pem_private_key((keys_dir / "webhook-ed25519-private.pem").read_bytes(), None)
        rsa = serialization.load_pem_private_key((keys_dir / "webhook-rsa-private.pem").read_bytes(), None)
        assert isinstance(ed, Ed25519PrivateKey) and isinstance(rsa, RSAPrivateKey)
        return cls(ed, rsa)

    def headers(self, body: bytes, scheme: Scheme = "ed25519") -> dict[str, str]:
        out = {"content-type": "application/json"}
        if scheme in ("ed25519", "both"):
            out["x-ghl-signature"] = base64.b64encode(self._ed.sign(body)).decode()
        if scheme in ("rsa", "both"):
            sig = self._rsa.sign(body, padding.PKCS1v15(), hashes.SHA256())
            out["x-wh-signature"] = base64.b64encode(sig).decode()
        return out


def stamp(payload: dict[str, Any]) -> dict[str, Any]:
    """Add ``timestamp`` and ``webhookId`` when the caller did not set them."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"timestamp": now, "webhookId": str(uuid.uuid4()), **payload}


class WebhookSender:
    def __init__(
        self,
        signer: WebhookSigner,
        retry_interval_s: float = 600.0,
        max_retries: int = 6,
        timeout_s: float = 10.0,
    ) -> None:
        self.signer = signer
        self.retry_interval_s = retry_interval_s
        self.max_retries = max_retries
        self.timeout_s = timeout_s

    @classmethod
    def with_test_keys(cls, retry_interval_s: float = 600.0, max_retries: int = 6) -> WebhookSender:
        return cls(WebhookSigner.from_dir(), retry_interval_s, max_retries)

    async def deliver(self, url: str, payload: dict[str, Any], scheme: Scheme = "ed25519") -> DeliveryResult:
        """POST the signed body; only a 429 is retried (same bytes and webhookId); any other status is final.

        A transport error counts as status 0 and is final too, as GHL gives up on unreachable endpoints.
        """
        body_dict = stamp(payload)
        body = orjson.dumps(body_dict)
        headers = self.signer.headers(body, scheme)
        statuses: list[int] = []
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            for attempt in range(self.max_retries + 1):
                if attempt:
                    await asyncio.sleep(self.retry_interval_s)
                try:
                    status = (await client.post(url, content=body, headers=headers)).status_code
                except httpx.HTTPError:
                    status = 0
                statuses.append(status)
                if status != 429:
                    break
        return DeliveryResult(statuses[-1], len(statuses), str(body_dict["webhookId"]), statuses)
