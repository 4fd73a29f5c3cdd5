"""Typed GHL errors; callers branch on the class, never on status codes."""

from __future__ import annotations


class GhlError(Exception):
    def __init__(self, message: str, status: int | None = None, endpoint: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint


class GhlAuthError(GhlError):
    """401/403: the token is wrong, expired, or lacks access to the resource."""


class GhlCredentialsUnavailable(GhlAuthError):
    """A sub-account's calls are refused (401/403) even with a freshly exchanged token: the app was
    uninstalled there, its access revoked, or the agency token rotated. Not the request's fault and
    not final: the same request succeeds once the credentials work again, so it is waited on
    (paused, alerted), never dead-lettered or compensated."""

    def __init__(self, message: str, location_id: str, status: int | None = None, endpoint: str = "") -> None:
        super().__init__(message, status, endpoint)
        self.location_id = location_id

    @classmethod
    def of(cls, location_id: str, exc: GhlAuthError) -> GhlCredentialsUnavailable:
        text = f"credentials for sub-account {location_id} unavailable: {exc}"
        return cls(text, location_id, exc.status, exc.endpoint)


class GhlNotFound(GhlError):
    """404, or GHL's 400 "... not found"."""


class GhlValidationError(GhlError):
    """400/422: the request is wrong; retrying it cannot help."""


class GhlRateLimited(GhlError):
    """429 after every retry, the daily quota spent, or no slot within ``max_wait_s``."""


class GhlServerError(GhlError):
    """5xx, timeouts or transport errors after every retry."""


class GhlUnknownOutcome(GhlError):
    """A non-idempotent create may or may not have happened (timeout/5xx/dropped connection after sending).

    Look the resource up (e.g. ``search_locations``) before trying again.
    """


class GhlQuotaExhausted(GhlRateLimited):
    """The daily quota is spent, or no slot frees up within ``max_wait_s``: retrying now cannot help."""
