"""Whether an API bearer token may guard a service in its environment (pure: no I/O).

Outside production an unset token leaves the internal API open (local devstack, tests). With
``LEADFLOW_ENV=production`` a service refuses to start without a token, or with one that was ever
shipped as a default or typed in an example, or one too short to be random."""

from __future__ import annotations

from pydantic import SecretStr

KNOWN_DEV_TOKENS = frozenset(
    {
        "dev-analytics-token",
        "dev-onboarding-token",
        "dev-router-token",
        "local-dev-token",
        "test-token",
        "changeme",
        "change-me",
        "secret",
        "token",
        "password",
    }
)
MIN_PRODUCTION_TOKEN_CHARS = 16


def api_token_problem(token: str | SecretStr | None, *, production: bool, variable: str) -> str | None:
    """One line saying why ``token`` (set by ``variable``) may not guard the API, or None."""
    if not production:
        return None
    value = token.get_secret_value() if isinstance(token, SecretStr) else token
    if not value:
        return f"{variable} is required when LEADFLOW_ENV=production (the bearer token of the API)"
    if value.strip().lower() in KNOWN_DEV_TOKENS:
        return f"{variable} is a known development value, refused when LEADFLOW_ENV=production"
    if len(value) < MIN_PRODUCTION_TOKEN_CHARS:
        return f"{variable} is shorter than {MIN_PRODUCTION_TOKEN_CHARS} characters (LEADFLOW_ENV=production)"
    return None
