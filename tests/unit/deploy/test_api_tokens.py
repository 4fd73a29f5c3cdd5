"""API tokens: none shipped, required (and not a known dev value) when LEADFLOW_ENV=production,
checked when the settings are read, so a misconfigured service exits before it serves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from analytics.settings import AnalyticsSettings
from leadflow_common.api_tokens import KNOWN_DEV_TOKENS, api_token_problem
from leadflow_common.settings import ServiceSettings
from onboarding.settings import OnboardingSettings
from router.settings import RouterSettings

SETTINGS: dict[str, type[ServiceSettings]] = {
    "ROUTER_API_TOKEN": RouterSettings,
    "ONBOARDING_API_TOKEN": OnboardingSettings,
    "ANALYTICS_API_TOKEN": AnalyticsSettings,
}
GOOD = "Zq3-7yH0bLr8wXk2pN5s"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*SETTINGS, "LEADFLOW_ENV"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("variable", sorted(SETTINGS))
def test_no_token_is_shipped(variable: str) -> None:
    settings = SETTINGS[variable]()
    token = getattr(settings, "api_token")  # noqa: B009 (typed as the base class)
    value = token.get_secret_value() if hasattr(token, "get_secret_value") else token
    assert not value, f"{variable} has a default: {value!r}"
    assert settings.environment == "development"


@pytest.mark.parametrize("variable", sorted(SETTINGS))
@pytest.mark.parametrize(
    ("token", "why"),
    [
        (None, "is required"),
        ("changeme", "known development value"),
        ("dev-analytics-token", "known"),
        ("short-but-new", "shorter than 16"),
    ],
)
def test_production_refuses_a_missing_or_dev_token(
    monkeypatch: pytest.MonkeyPatch, variable: str, token: str | None, why: str
) -> None:
    monkeypatch.setenv("LEADFLOW_ENV", "production")
    if token is not None:
        monkeypatch.setenv(variable, token)
    with pytest.raises(ValidationError) as caught:
        SETTINGS[variable]()
    assert variable in str(caught.value) and why in str(caught.value)


@pytest.mark.parametrize("variable", sorted(SETTINGS))
def test_production_accepts_a_real_token(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv("LEADFLOW_ENV", "production")
    monkeypatch.setenv(variable, GOOD)
    monkeypatch.setenv("ROUTER_INTAKE_LOCATION_IDS", '["intake1"]')  # the router's other must-have
    assert SETTINGS[variable]().environment == "production"


def test_development_keeps_working_without_a_token() -> None:
    assert api_token_problem(None, production=False, variable="X_API_TOKEN") is None
    assert api_token_problem("changeme", production=False, variable="X_API_TOKEN") is None
    assert all(api_token_problem(t, production=True, variable="X") for t in KNOWN_DEV_TOKENS)


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_ENV", "prod")  # a typo must not silently mean development
    with pytest.raises(ValidationError):
        RouterSettings()


def test_the_router_refuses_to_serve_without_a_token_in_production() -> None:
    """The real entry point: exits non-zero before binding a port, naming the variable."""
    router = Path(sys.executable).parent / "router"
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["LEADFLOW_ENV"] = "production"
    result = subprocess.run(
        [str(router), "serve"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "ROUTER_API_TOKEN is required when LEADFLOW_ENV=production" in result.stderr
