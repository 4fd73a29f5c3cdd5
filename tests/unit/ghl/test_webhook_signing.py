"""Webhooks signed by the simulator verify with the published test public keys, over the raw bytes."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ghl_simulator.webhooks import ED25519_PUBLIC_KEY, RSA_PUBLIC_KEY, WebhookSigner, stamp

BODY = b'{"type":"ContactCreate","locationId":"L1","id":"c1"}'


def test_ed25519_signature_verifies_and_detects_tampering() -> None:
    headers = WebhookSigner.from_dir().headers(BODY, "ed25519")
    assert "x-wh-signature" not in headers
    key = serialization.load_pem_public_key(ED25519_PUBLIC_KEY.read_bytes())
    assert isinstance(key, Ed25519PublicKey)
    key.verify(base64.b64decode(headers["x-ghl-signature"]), BODY)
    with pytest.raises(InvalidSignature):
        key.verify(base64.b64decode(headers["x-ghl-signature"]), BODY + b" ")


def test_legacy_rsa_signature_is_pkcs1v15_sha256() -> None:
    headers = WebhookSigner.from_dir().headers(BODY, "both")
    assert "x-ghl-signature" in headers
    key = serialization.load_pem_public_key(RSA_PUBLIC_KEY.read_bytes())
    assert isinstance(key, RSAPublicKey)
    key.verify(base64.b64decode(headers["x-wh-signature"]), BODY, padding.PKCS1v15(), hashes.SHA256())


def test_stamp_adds_timestamp_and_webhook_id_unless_given() -> None:
    stamped = stamp({"type": "ContactCreate"})
    assert stamped["timestamp"].endswith("Z") and len(stamped["webhookId"]) == 36
    assert stamp({"webhookId": "fixed"})["webhookId"] == "fixed"
