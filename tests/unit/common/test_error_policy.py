"""Which failures are retried and which are dead-lettered."""

from __future__ import annotations

import pytest
import redis.exceptions
from pydantic import BaseModel, ValidationError

from leadflow_common.kafka.consumer import backoff_delay
from leadflow_common.kafka.errors import PermanentError, TransientError, is_permanent, is_transient


class _M(BaseModel):
    x: int


def _validation_error() -> ValidationError:
    try:
        _M.model_validate({"x": "nope"})
    except ValidationError as exc:
        return exc
    raise AssertionError


@pytest.mark.parametrize(
    "exc",
    [
        TransientError("x"),
        ConnectionRefusedError(),
        TimeoutError(),
        redis.exceptions.ConnectionError(),
    ],
)
def test_dependency_failures_are_transient(exc: BaseException) -> None:
    assert is_transient(exc)
    assert not is_permanent(exc)


@pytest.mark.parametrize("exc", [PermanentError("x"), ValueError("bad"), _validation_error(), KeyError("k")])
def test_contract_failures_are_permanent(exc: BaseException) -> None:
    assert is_permanent(exc)
    assert not is_transient(exc)


def test_wrapped_driver_error_is_classified_by_its_cause() -> None:
    try:
        try:
            raise ConnectionResetError("db gone")
        except ConnectionResetError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


def test_a_connection_sqlalchemy_saw_drop_is_transient_whatever_the_driver_raised() -> None:
    """Without pre-ping (the routing batch's pool), the first statement after a Postgres restart
    fails on the dead connection; asyncpg's error for it is no connection error class."""
    from sqlalchemy.exc import DBAPIError

    class AdminShutdown(Exception):  # like asyncpg.AdminShutdownError: a server error, not an OSError
        pass

    dropped = DBAPIError("SELECT 1", {}, AdminShutdown("terminating connection"), connection_invalidated=True)
    assert is_transient(dropped)
    assert not is_transient(DBAPIError("SELECT 1", {}, AdminShutdown("a bug"), connection_invalidated=False))


def test_backoff_is_bounded_and_grows() -> None:
    for attempt in range(10):
        assert 0 <= backoff_delay(attempt, 0.1, cap_s=2.0) <= 2.0
