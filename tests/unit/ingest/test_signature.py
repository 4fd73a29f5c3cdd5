"""Signature verification on raw bytes and loading of the configured keys."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from ingest.adapters.keys import load_verifier
from ingest.domain.errors import SignatureRejected
from ingest.settings import DEFAULT_PUBLIC_KEYS
from tests.unit.ingest.signing import sign_ed25519, sign_rsa, trusted_public_keys

BODY = b'{"type":"ContactCreate","id":"c1"}'


@pytest.fixture(scope="module")
def verifier():  # type: ignore[no-untyped-def]
    return load_verifier(trusted_public_keys())


def test_ed25519_signature_of_the_raw_body_is_accepted(verifier) -> None:  # type: ignore[no-untyped-def]
    assert verifier.verify(BODY, sign_ed25519(BODY), None) == "ed25519"


def test_legacy_rsa_signature_is_accepted_when_no_ed25519_header(verifier) -> None:  # type: ignore[no-untyped-def]
    assert verifier.verify(BODY, None, sign_rsa(BODY)) == "rsa"


def test_ed25519_header_is_decisive_no_fallback_to_rsa(verifier) -> None:  # type: ignore[no-untyped-def]
    wrong = sign_ed25519(BODY, ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(SignatureRejected) as err:
        verifier.verify(BODY, wrong, sign_rsa(BODY))
    assert err.value.reason == "invalid"


def test_reserialised_body_does_not_verify(verifier) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SignatureRejected):
        verifier.verify(b'{"type": "ContactCreate", "id": "c1"}', sign_ed25519(BODY), None)


@pytest.mark.parametrize(
    ("ed", "rsa_sig", "reason"),
    [
        (None, None, "missing"),
        ("", "", "missing"),
        ("not base64!", None, "malformed"),
        (None, "%%%", "malformed"),
    ],
)
def test_missing_or_malformed_signature(verifier, ed, rsa_sig, reason) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SignatureRejected) as err:
        verifier.verify(BODY, ed, rsa_sig)
    assert err.value.reason == reason


def test_rsa_signature_by_another_key_is_rejected(verifier) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SignatureRejected):
        verifier.verify(BODY + b" ", None, sign_rsa(BODY))


def test_default_keys_are_ghls_published_ones() -> None:
    verifier = load_verifier(DEFAULT_PUBLIC_KEYS)
    assert len(verifier.ed25519_keys) == 1
    assert len(verifier.rsa_keys) == 1


def test_bad_key_entries_are_refused_at_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="cannot load"):
        load_verifier([str(tmp_path / "absent.pem")])
    with pytest.raises(ValueError, match="no public key"):
        load_verifier([])
