"""Typed GHL errors; callers branch on the class, never on status codes."""

from __future__ import annotations

import re


class GhlError(Exception):
    def __init__(self, message: str, status: int | None = None, endpoint: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint


class GhlAuthError(GhlError):
    """401/403: the token is wrong, expired, or lacks access to the resource."""


class GhlAgencyAuthError(GhlAuthError):
    """The agency token itself is refused: a 401 on any agency call (the token is rejected whatever
    it asks for), or a 403 on a company-wide one (search, create, the token exchange). A rotated or
    revoked agency token, not a wrong resource id; every agency call fails alike until it is fixed."""


class GhlCredentialsUnavailable(GhlAuthError):
    """A sub-account's calls are refused (401/403) even with a freshly exchanged token, or no token
    is to be had for it: the app was uninstalled there (the exchange answers 400 "not installed"),
    its access revoked, or the agency token rotated (``agency``). Not the request's fault and not
    final: the same request succeeds once the credentials work again (reinstall, new token), so it
    is waited on (paused, alerted), never dead-lettered or compensated."""

    def __init__(
        self,
        message: str,
        location_id: str,
        status: int | None = None,
        endpoint: str = "",
        agency: bool = False,
    ) -> None:
        super().__init__(message, status, endpoint)
        self.location_id = location_id
        self.agency = agency

    @classmethod
    def of(cls, location_id: str, exc: GhlError) -> GhlCredentialsUnavailable:
        text = f"credentials for sub-account {location_id} unavailable: {exc}"
        agency = isinstance(exc, GhlAgencyAuthError) or getattr(exc, "agency", False)
        return cls(text, location_id, exc.status, exc.endpoint, agency=agency)


# GHL's token exchange answers 400 when the app is not (or no longer) installed on the location;
# the wording is not documented, so any of these phrasings counts (a malformed request, a missing
# field or an unknown location says otherwise and stays a GhlValidationError / GhlNotFound).
_NOT_INSTALLED = re.compile(r"not\s+(?:been\s+)?installed|no\s+longer\s+installed|uninstalled", re.I)


def app_not_installed(exc: GhlError) -> bool:
    """Whether a 400 from the token exchange means "the app is not installed on this location"."""
    return exc.status == 400 and _NOT_INSTALLED.search(str(exc)) is not None


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
