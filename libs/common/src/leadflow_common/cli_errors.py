"""One line, not a traceback, when a CLI command cannot reach its infrastructure or finds its
schema missing: what is wrong and what to run. Every service CLI wraps its commands in
``infra_errors(service)``; ``serve`` also runs ``check_schema`` first (a lifespan failure inside
uvicorn would print a traceback of its own).

Anything not recognised here is a bug and keeps its traceback."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pydantic
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import text

from leadflow_common.db import make_engine
from leadflow_common.ghl.errors import GhlAuthError, GhlError

EXIT_CODE = 2

# Postgres SQLSTATEs (asyncpg puts them on its exceptions).
_SCHEMA_MISSING = {"42P01", "3F000"}  # undefined_table, invalid_schema_name
_SCHEMA_OLD = {"42703"}  # undefined_column: a migration is missing
_AUTH = {"28P01", "28000"}  # invalid_password, invalid_authorization_specification
_NO_DATABASE = {"3D000"}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _raised_in(exc: BaseException, package: str) -> bool:
    """A frame of ``package`` is in the traceback (asyncpg raises plain OSErrors)."""
    tb = exc.__traceback__
    while tb is not None:
        if f"/{package}/" in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def explain(exc: BaseException, service: str) -> str | None:
    """The line to print for ``exc``, or None when it is not an infrastructure problem."""
    migrate = f"run `uv run {service} migrate`"
    for cause in _chain(exc):
        sqlstate = getattr(cause, "sqlstate", None)
        if sqlstate in _SCHEMA_MISSING:
            return f"{service} schema not found: {migrate}"
        if sqlstate in _SCHEMA_OLD:
            return f"{service} schema is out of date: {migrate}"
        if sqlstate in _AUTH or sqlstate in _NO_DATABASE:
            return (
                f"Postgres refused the connection ({_one_line(cause)}): check {service.upper()}_DATABASE_URL"
            )
    for cause in _chain(exc):
        if isinstance(cause, pydantic.ValidationError):
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
                for e in cause.errors()
            )
            return f"{cause.title} is incomplete or invalid ({problems}): set it in the environment"
        if isinstance(cause, KafkaConnectionError | KafkaTimeoutError):
            return (
                f"cannot reach Kafka ({_one_line(cause)}): is it running? "
                "(`uv run devstack up`, KAFKA_BOOTSTRAP_SERVERS)"
            )
        if isinstance(cause, RedisConnectionError | RedisTimeoutError):
            return (
                f"cannot reach Redis ({_one_line(cause)}): is it running? (`uv run devstack up`, REDIS_URL)"
            )
        if isinstance(cause, GhlAuthError):
            return (
                f"GHL refused the credentials ({_one_line(cause)}): check GHL_AGENCY_TOKEN / GHL_COMPANY_ID"
            )
        if isinstance(cause, GhlError):
            return f"cannot reach GHL ({_one_line(cause)}): check GHL_BASE_URL"
        if isinstance(cause, OSError) and _raised_in(cause, "asyncpg"):
            return (
                f"cannot reach Postgres ({_one_line(cause)}): is it running? "
                f"(`uv run devstack up`, {service.upper()}_DATABASE_URL)"
            )
    return None


# Client libraries that log each failed connection attempt on their own (the one line says it all).
_CHATTY = ("aiokafka", "faststream", "asyncio")


@contextmanager
def infra_errors(service: str) -> Iterator[None]:
    """Turn a recognised infrastructure error into one line on stderr and exit code 2 (library
    connection logs are silenced meanwhile; restored when the block succeeds)."""
    loggers = [logging.getLogger(name) for name in _CHATTY]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    line: str | None = None
    try:
        yield
    except Exception as exc:
        line = explain(exc, service)
        if line is None:
            raise
    finally:
        if line is None:  # on a recognised error they stay silenced: a client that failed to start
            for logger, level in zip(loggers, levels, strict=True):  # logs "Unclosed ..." at exit
                logger.setLevel(level)
    if line is not None:
        print(f"{service}: {line}", file=sys.stderr)
        raise SystemExit(EXIT_CODE)


def _head(migrations_dir: Path) -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return ScriptDirectory.from_config(config).get_current_head()


async def check_schema(database_url: str, schema: str, service: str, migrations_dir: Path) -> None:
    """Raise SystemExit with one line unless ``schema`` is migrated to the code's head revision."""
    engine = make_engine(database_url, schema, pool_size=1)
    try:
        async with engine.connect() as conn:
            current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    finally:
        await engine.dispose()
    head = _head(migrations_dir)
    if current != head:
        print(
            f"{service}: {service} schema {schema} is at revision {current}, the code needs {head}: "
            f"run `uv run {service} migrate`",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_CODE)
