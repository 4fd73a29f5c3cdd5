"""GoHighLevel API v2 client: httpx, auth, Version header, distributed Redis rate limiter, retries."""

from leadflow_common.ghl.client import GhlClient
from leadflow_common.ghl.errors import (
    GhlAgencyAuthError,
    GhlAuthError,
    GhlCredentialsUnavailable,
    GhlError,
    GhlNotFound,
    GhlQuotaExhausted,
    GhlRateLimited,
    GhlServerError,
    GhlUnknownOutcome,
    GhlValidationError,
)
from leadflow_common.ghl.models import (
    CustomValue,
    GhlContact,
    GhlLocation,
    GhlUser,
    InstalledLocation,
    Opportunity,
    Pipeline,
    PipelineStage,
    SnapshotPushStatus,
    Workflow,
)
from leadflow_common.ghl.ratelimit import RedisRateLimiter
from leadflow_common.ghl.settings import GhlSettings

__all__ = [
    "CustomValue",
    "GhlAgencyAuthError",
    "GhlAuthError",
    "GhlClient",
    "GhlContact",
    "GhlCredentialsUnavailable",
    "GhlError",
    "GhlLocation",
    "GhlNotFound",
    "GhlQuotaExhausted",
    "GhlRateLimited",
    "GhlServerError",
    "GhlSettings",
    "GhlUnknownOutcome",
    "GhlUser",
    "GhlValidationError",
    "InstalledLocation",
    "Opportunity",
    "Pipeline",
    "PipelineStage",
    "RedisRateLimiter",
    "SnapshotPushStatus",
    "Workflow",
]
