"""How a failed GHL sync maps onto the consumer policy: transient (retry the batch), permanent
(dead-letter the lead) or a bug (retried, then dead-lettered by the engine)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from leadflow_common.ghl import (
    GhlAuthError,
    GhlNotFound,
    GhlRateLimited,
    GhlServerError,
    GhlUnknownOutcome,
    GhlValidationError,
)
from leadflow_common.kafka.errors import PermanentError, TransientError
from leadflow_common.logging import get_logger

log = get_logger(__name__)
RETRYABLE = (GhlRateLimited, GhlServerError, GhlUnknownOutcome, ConnectionError, TimeoutError)
REJECTED = (GhlNotFound, GhlValidationError, GhlAuthError)


@dataclass(frozen=True)
class FailedLead:
    lead_id: str
    error: Exception


def sync_error(lead_id: str, exc: Exception) -> Exception:
    """The typed error for one lead's failure (``exc`` itself when it is neither kind)."""
    if isinstance(exc, RETRYABLE):
        return TransientError(f"GHL sync of {lead_id} failed: {exc}")
    if isinstance(exc, REJECTED):
        return PermanentError(f"GHL rejected the sync of {lead_id}: {exc}")
    return exc


def raise_for_failures(failed: list[FailedLead], total: int) -> NoReturn:
    """After what succeeded is stored and confirmed: any transient failure retries the batch
    (the stored leads are skipped then); otherwise a bug surfaces as itself; only when every
    failure is a rejection is the batch permanent, which makes the engine split it record by
    record so just the rejected leads are dead-lettered."""
    errors = [(f, sync_error(f.lead_id, f.error)) for f in failed]
    for f in failed:
        log.warning("sync_failed", lead_id=f.lead_id, error=f"{type(f.error).__name__}: {f.error}"[:300])
    summary = f"{len(failed)} of {total} leads failed"
    transient = [(f, e) for f, e in errors if isinstance(e, TransientError)]
    if transient:
        raise TransientError(f"{summary}; first: {transient[0][1]}") from transient[0][0].error
    bugs = [f.error for f, e in errors if e is f.error]
    if bugs:
        raise bugs[0]
    raise PermanentError(f"{summary}, all rejected by GHL; first: {errors[0][1]}") from errors[0][0].error
