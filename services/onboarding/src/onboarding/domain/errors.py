"""What can go wrong in a saga step, as the saga sees it (the GHL adapter maps client errors here)."""

from __future__ import annotations


class StepError(Exception):
    """A step did not succeed; ``retryable`` says whether trying again may help."""

    retryable = True


class GhlUnavailable(StepError):
    """GHL answered 429/5xx or did not answer: try again later."""


class UnknownOutcome(StepError):
    """The request may or may not have been applied: look before doing it again."""


class RejectedByGhl(StepError):
    """GHL refused the request as invalid; the same request will fail again."""

    retryable = False


class CredentialsBlocked(StepError):
    """GHL refuses the credentials: the agency token (``agency``: rotated, revoked), or the
    sub-account's (the app uninstalled there, its token refused after a renewal). Not the step's
    fault and not final: the step is not counted as an attempt, the saga is parked and tries again
    until the calls work (never failed or compensated for it)."""

    def __init__(self, message: str, agency: bool) -> None:
        super().__init__(message)
        self.agency = agency

    @property
    def scope(self) -> str:
        return "agency" if self.agency else "location"


class SnapshotPushFailed(StepError):
    """GHL reports the snapshot push as failed."""


class SnapshotPushPending(StepError):
    """The push is still running after the polling budget."""


class NameTaken(RejectedByGhl):
    """A live sub-account that this saga did not create has the location's name: never take it over."""


class LeaseLost(Exception):
    """Another runner holds the saga now (the lease generation moved on): this runner stops at once.

    Not a StepError: it is never retried or compensated by the runner that lost the lease."""
