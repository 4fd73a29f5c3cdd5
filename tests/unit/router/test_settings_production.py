"""In production the router refuses a configuration that would route no lead."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from router.settings import RouterSettings

TOKEN = "a-real-production-token-0123456789"


@pytest.fixture(autouse=True)
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_ENV", "production")
    monkeypatch.setenv("ROUTER_API_TOKEN", TOKEN)
    monkeypatch.delenv("ROUTER_INTAKE_LOCATION_IDS", raising=False)
    monkeypatch.delenv("ROUTER_ACCEPT_ALL_LOCATIONS", raising=False)


def test_production_without_intake_ids_is_refused() -> None:
    with pytest.raises(ValidationError, match="ROUTER_INTAKE_LOCATION_IDS is required"):
        RouterSettings()


def test_production_with_intake_ids_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_INTAKE_LOCATION_IDS", '["intake1"]')
    settings = RouterSettings()
    assert settings.routes_location("intake1") and not settings.routes_location("franchise1")
