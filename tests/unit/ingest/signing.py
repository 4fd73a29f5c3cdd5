"""Test key pairs and GHL-style webhook bodies signed with them (shared by unit and integration tests)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa


@cache
def ed25519_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@cache
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def trusted_public_keys() -> list[str]:
    """Inline PEMs of the test keys, for IngestSettings.public_keys."""
    return [public_pem(ed25519_key()), public_pem(rsa_key())]


def sign_ed25519(body: bytes, key: ed25519.Ed25519PrivateKey | None = None) -> str:
    return base64.b64encode((key or ed25519_key()).sign(body)).decode()


def sign_rsa(body: bytes, key: rsa.RSAPrivateKey | None = None) -> str:
    signature = (key or rsa_key()).sign(body, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def contact_body(
    *, event_type: str = "ContactCreate", age: timedelta = timedelta(0), **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": event_type,
        "locationId": "loc-intake-1",
        "id": f"contact-{uuid.uuid4().hex[:10]}",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "postalCode": "10001",
        "tags": ["web"],
        "webhookId": str(uuid.uuid4()),
        "timestamp": (datetime.now(UTC) - age).isoformat().replace("+00:00", "Z"),
    }
    body.update(fields)
    return body


def signed_request(body: dict[str, Any] | bytes, scheme: str = "ed25519") -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"content-type": "application/json"}
    if scheme == "ed25519":
        headers["x-ghl-signature"] = sign_ed25519(raw)
    elif scheme == "rsa":
        headers["x-wh-signature"] = sign_rsa(raw)
    return raw, headers
