"""Structured logging: JSON lines (or console in a terminal) through structlog.

Every line carries the current span's ``trace_id`` and ``span_id`` when there is one, so a log
line leads to its trace. Libraries logging through stdlib ``logging`` (aiokafka, uvicorn,
sqlalchemy, httpx...) are rendered by the same processors (structlog's ProcessorFormatter), so
one JSON format reaches the log pipeline; ``LOG_JSON=false`` switches both to the console form.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

# Libraries log at WARNING and above: their INFO (per-connection, per-request) is noise here.
LIBRARY_LEVEL = logging.WARNING


def add_trace_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """``trace_id``/``span_id`` of the current span, as the W3C/OTLP hex ids (sampled or not)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = f"{context.trace_id:032x}"
        event["span_id"] = f"{context.span_id:016x}"
    return event


def shared_processors() -> list[structlog.types.Processor]:
    """What structlog's own lines and stdlib records both go through before rendering."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
    ]


def renderer(json: bool) -> structlog.types.Processor:
    if json:
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())


def library_handler(json: bool) -> logging.Handler:
    """A stderr handler rendering stdlib records like structlog's lines (``logger`` = its name)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared_processors()],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer(json),
            ],
        )
    )
    return handler


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    structlog.configure(
        processors=[*shared_processors(), structlog.processors.format_exc_info, renderer(json)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    root = logging.getLogger()
    root.handlers[:] = [library_handler(json)]
    root.setLevel(LIBRARY_LEVEL)
    # uvicorn installs its own handlers unless started with log_config=None: route them here too.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
