"""The GHL API v2 client the services use: every call rate limited in Redis, retried, typed."""

from __future__ import annotations

from leadflow_common.ghl.contacts_api import ContactsApi
from leadflow_common.ghl.locations_api import LocationsApi


class GhlClient(LocationsApi, ContactsApi):
    """``GhlClient(settings, redis)``; ``await client.aclose()`` when done.

    ``redis`` (redis.asyncio.Redis) holds the distributed limiter and the location-token cache, so
    every process and replica of every service shares one budget per (app, resource).
    """
