"""How a failed GHL sync maps onto the consumer policy: credentials refused (the failed leads wait:
their partitions are paused, never dead-lettered), transient (retry the batch), permanent
(dead-letter the lead) or a bug (retried, then dead-lettered by the engine)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NoReturn

from leadflow_common.ghl import (
    GhlAuthError,
    GhlCredentialsUnavailable,
    GhlNotFound,
    GhlRateLimited,
    GhlServerError,
    GhlUnknownOutcome,
    GhlValidationError,
)
from leadflow_common.kafka.errors import PermanentError, RetryLater, TransientError
from leadflow_common.logging import get_logger

log = get_logger(__name__)
RETRYABLE = (GhlRateLimited, GhlServerError, GhlUnknownOutcome, ConnectionError, TimeoutError)
REJECTED = (GhlNotFound, GhlValidationError, GhlAuthError)  # an auth error on no sub-account


class CredentialsUnavailable(RetryLater):
    """GHL refuses the credentials of ``location_ids`` (revoked, rotated, uninstalled): the leads
    that failed wait until they work again. ``records``: the failed leads' records (None: all)."""

    def __init__(
        self,
        location_ids: Iterable[str],
        message: str,
        records: Iterable[tuple[str, int, int]] | None = None,
        after_s: float | None = None,
    ) -> None:
        self.location_ids = tuple(sorted(set(location_ids)))
        where = ", ".join(self.location_ids)
        super().__init__(f"GHL credentials unavailable for {where}: {message}", after_s, records)


@dataclass(frozen=True)
class FailedLead:
    lead_id: str
    error: Exception


def sync_error(lead_id: str, exc: Exception) -> Exception:
    """The typed error for one lead's failure (``exc`` itself when it is neither kind)."""
    if isinstance(exc, GhlCredentialsUnavailable):
        return CredentialsUnavailable([exc.location_id], f"sync of {lead_id}: {exc}")
    if isinstance(exc, RETRYABLE):
        return TransientError(f"GHL sync of {lead_id} failed: {exc}")
    if isinstance(exc, REJECTED):
        return PermanentError(f"GHL rejected the sync of {lead_id}: {exc}")
    return exc


def blocked_locations(failed: Iterable[FailedLead]) -> dict[str, list[FailedLead]]:
    """The failures whose sub-account refused the credentials, by GHL location id."""
    out: dict[str, list[FailedLead]] = {}
    for f in failed:
        if isinstance(f.error, GhlCredentialsUnavailable):
            out.setdefault(f.error.location_id, []).append(f)
    return out


def raise_for_failures(
    failed: list[FailedLead],
    total: int,
    waiting: Iterable[tuple[str, int, int]] | None = None,
    retry_after_s: float | None = None,
) -> NoReturn:
    """After what succeeded is stored and confirmed: a refused credential makes the failed
    leads (``waiting``: their records) wait, paused for ``retry_after_s``, whatever else failed
    with them (a rejected lead on a paused partition is dead-lettered on a later pass, once it
    fails alone); any transient failure retries the batch (the stored leads are skipped then);
    otherwise a bug surfaces as itself; only when every failure is a rejection is the batch
    permanent, which makes the engine split it record by record so just the rejected leads are
    dead-lettered."""
    errors = [(f, sync_error(f.lead_id, f.error)) for f in failed]
    for f in failed:
        log.warning("sync_failed", lead_id=f.lead_id, error=f"{type(f.error).__name__}: {f.error}"[:300])
    summary = f"{len(failed)} of {total} leads failed"
    blocked = blocked_locations(failed)
    if blocked:
        first = next(iter(blocked.values()))[0]
        message = f"{summary}; first: {first.error}"
        raise CredentialsUnavailable(blocked, message, waiting, retry_after_s) from first.error
    transient = [(f, e) for f, e in errors if isinstance(e, TransientError)]
    if transient:
        raise TransientError(f"{summary}; first: {transient[0][1]}") from transient[0][0].error
    bugs = [f.error for f, e in errors if e is f.error]
    if bugs:
        raise bugs[0]
    raise PermanentError(f"{summary}, all rejected by GHL; first: {errors[0][1]}") from errors[0][0].error
