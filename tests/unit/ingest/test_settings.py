"""Settings: defaults that work locally, unsafe combinations refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ingest.settings import IngestSettings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_PUBLIC_KEYS", '["/a.pem"]')
    settings = IngestSettings()
    assert (settings.http_port, settings.max_body_bytes) == (8001, 262144)
    assert (settings.timestamp_max_age_s, settings.timestamp_future_skew_s) == (75 * 60, 300)
    assert settings.dedup_ttl_s == 3 * 60 * 60
    assert settings.verify_signatures
    assert settings.public_keys == ["/a.pem"]


@pytest.mark.parametrize(
    "fields",
    [
        {"dedup_ttl_s": 3600},  # shorter than the 75 min + 5 min window
        {"timestamp_max_age_s": 3 * 3600},  # window longer than the default dedup TTL
        {"inflight_ttl_s": 5, "produce_timeout_s": 5.0},
        {"max_body_bytes": 0},
    ],
)
def test_unsafe_settings_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        IngestSettings(**fields)  # type: ignore[arg-type]


def test_a_longer_horizon_is_accepted_with_a_longer_dedup_ttl() -> None:
    settings = IngestSettings(timestamp_max_age_s=3 * 3600, dedup_ttl_s=4 * 3600)
    assert settings.dedup_ttl_s > settings.timestamp_max_age_s + settings.timestamp_future_skew_s
