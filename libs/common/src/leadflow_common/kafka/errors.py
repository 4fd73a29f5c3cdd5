"""How a consumer decides between retrying a message and dead-lettering it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import orjson
from pydantic import ValidationError


class PermanentError(Exception):
    """The message can never be processed (bad contract, impossible data): dead-letter it."""


class TransientError(Exception):
    """A dependency is unavailable; the same message may succeed later: retry it."""


class RetryLater(TransientError):
    """Retrying now cannot help (credentials revoked, a dependency down for minutes): do not retry
    in process; rewind and pause the partitions for ``after_s`` (None: the consumer's backoff),
    keep polling, then read the records again. Never dead-lettered.

    ``records``: the records that must wait (as ``(topic, partition, offset)``); None means the
    whole batch. Their partitions are rewound to the first of them and paused; every other
    partition of the batch counts as applied."""

    def __init__(
        self,
        message: str,
        after_s: float | None = None,
        records: Iterable[tuple[str, int, int]] | None = None,
    ) -> None:
        super().__init__(message)
        self.after_s = after_s
        self.records = frozenset(records) if records is not None else None


def _transient_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [
        TransientError,
        ConnectionError,
        TimeoutError,
        asyncio.TimeoutError,
        OSError,
    ]
    try:
        import redis.exceptions as redis_exc

        types += [redis_exc.ConnectionError, redis_exc.TimeoutError, redis_exc.BusyLoadingError]
    except ImportError:  # pragma: no cover
        pass
    try:
        import asyncpg

        types += [asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError]
    except ImportError:  # pragma: no cover
        pass
    try:
        from sqlalchemy.exc import DBAPIError, OperationalError

        types += [OperationalError]
        _ = DBAPIError
    except ImportError:  # pragma: no cover
        pass
    try:
        from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError

        types += [KafkaConnectionError, KafkaTimeoutError]
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


TRANSIENT_ERRORS = _transient_types()
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    PermanentError,
    ValidationError,
    orjson.JSONDecodeError,
    UnicodeDecodeError,
    ValueError,
    KeyError,
    TypeError,
)


def is_transient(exc: BaseException) -> bool:
    """Connection and timeout failures are transient; anything else is treated as permanent
    after its bounded retries (a bug on one message must not block its partition forever)."""
    if isinstance(exc, PermanentError):
        return False
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    if getattr(exc, "connection_invalidated", False):
        return True  # SQLAlchemy saw the connection drop (a Postgres restart): the next one is new
    # SQLAlchemy wraps driver errors; look at the cause chain.
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_transient(cause)


def is_permanent(exc: BaseException) -> bool:
    return isinstance(exc, PERMANENT_ERRORS) and not is_transient(exc)
