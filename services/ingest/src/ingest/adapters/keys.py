"""Loading the configured public keys: each entry is a PEM file path or inline PEM text."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from ingest.domain.signature import SignatureVerifier


def _pem_bytes(entry: str) -> bytes:
    text = entry.strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    return Path(text).expanduser().read_bytes()


def load_verifier(entries: Iterable[str]) -> SignatureVerifier:
    """Raises ValueError for an unreadable key or a key type other than Ed25519/RSA."""
    ed25519: list[Ed25519PublicKey] = []
    rsa: list[RSAPublicKey] = []
    for entry in entries:
        try:
            key = load_pem_public_key(_pem_bytes(entry))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot load public key {entry[:60]!r}: {exc}") from exc
        if isinstance(key, Ed25519PublicKey):
            ed25519.append(key)
        elif isinstance(key, RSAPublicKey):
            rsa.append(key)
        else:
            raise ValueError(f"unsupported public key type {type(key).__name__} in {entry[:60]!r}")
    if not ed25519 and not rsa:
        raise ValueError("no public key configured while signature verification is on")
    return SignatureVerifier(tuple(ed25519), tuple(rsa))
