"""Plumbing every GHL API area shares: HTTP client, limiter, transport, and token selection."""

from __future__ import annotations

from typing import Any

import httpx
from redis.asyncio import Redis

from leadflow_common.ghl.errors import (
    GhlAgencyAuthError,
    GhlAuthError,
    GhlCredentialsUnavailable,
    GhlValidationError,
    app_not_installed,
)
from leadflow_common.ghl.pools import PooledTransport
from leadflow_common.ghl.ratelimit import RedisRateLimiter
from leadflow_common.ghl.settings import GhlSettings
from leadflow_common.ghl.tokens import LocationTokens
from leadflow_common.ghl.transport import Call, Transport


class GhlClientBase:
    def __init__(self, settings: GhlSettings, redis: Redis, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._http = http or httpx.AsyncClient(
            base_url=settings.base_url,
            timeout=settings.timeout_s,
            headers={"Version": settings.version, "Accept": "application/json"},
            transport=PooledTransport(settings.max_connections),
        )
        self.limiter = RedisRateLimiter(redis, settings)
        self._transport = Transport(settings, self.limiter, self._http)
        self._tokens = LocationTokens(redis, settings, self._fetch_location_token)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _agency(
        self, method: str, path: str, endpoint: str, resource: str | None = None, **kw: Any
    ) -> Any:
        """A call with the agency token; rate-limited on ``resource`` (default: the company).

        A 401, or a 403 on a company-wide call, refuses the agency token itself: GhlAgencyAuthError.
        A 403 on one location's resource may be that id's fault (another agency's sub-account) and
        stays a plain GhlAuthError."""
        company_wide = resource is None or resource == self.settings.company_id
        call = Call(
            method, path, endpoint, resource or self.settings.company_id, self.settings.agency_token, **kw
        )
        try:
            return await self._transport.send(call)
        except GhlAuthError as exc:
            if exc.status == 401 or company_wide:
                raise GhlAgencyAuthError(str(exc), exc.status, exc.endpoint) from exc
            raise

    async def _location(self, location_id: str, method: str, path: str, endpoint: str, **kw: Any) -> Any:
        """A call with the location's token; a rejected (expired/revoked) token is renewed once.
        Refused again, or no token to be had (exchange refused, app not installed there):
        GhlCredentialsUnavailable for this location."""
        try:
            token = await self._tokens.get(location_id)
            try:
                return await self._transport.send(Call(method, path, endpoint, location_id, token, **kw))
            except GhlAuthError as exc:
                if exc.status != 401:
                    raise
                await self._tokens.invalidate(location_id)
                token = await self._tokens.get(location_id)
                return await self._transport.send(Call(method, path, endpoint, location_id, token, **kw))
        except GhlCredentialsUnavailable:
            raise
        except GhlAuthError as exc:
            raise GhlCredentialsUnavailable.of(location_id, exc) from exc

    async def _fetch_location_token(self, location_id: str) -> tuple[str, int]:
        form = {"companyId": self.settings.company_id, "locationId": location_id}
        try:
            data = await self._agency("POST", "/oauth/locationToken", "oauth.location_token", form=form)
        except GhlValidationError as exc:
            # uninstalled from the sub-account: no token until it is reinstalled, then the same
            # call works; any other 400/422 is a malformed request and stays a rejection
            if app_not_installed(exc):
                raise GhlCredentialsUnavailable.of(location_id, exc) from exc
            raise
        return str(data["access_token"]), int(data.get("expires_in", 86_399))

    async def location_token(self, location_id: str) -> str:
        return await self._tokens.get(location_id)
