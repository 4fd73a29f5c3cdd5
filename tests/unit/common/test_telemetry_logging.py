"""Log lines carry the current span's ids; library (stdlib) logs use the same JSON format."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider

from leadflow_common.logging import configure_logging, get_logger


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**saved)
    structlog.contextvars.clear_contextvars()
    root.handlers[:], root.level = handlers, level


def lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_structlog_and_library_lines_are_json_with_the_span_ids(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("svc", "INFO", json=True)
    tracer = TracerProvider(shutdown_on_exit=False).get_tracer("t")

    with tracer.start_as_current_span("work") as span:
        get_logger("leadflow.test").info("own_line", lead_id="c1")
        logging.getLogger("aiokafka.consumer").warning("library %s", "line")
    get_logger("leadflow.test").info("outside_a_span")

    own, library, outside = lines(capsys.readouterr().err)
    ids = span.get_span_context()
    for line in (own, library):
        assert line["trace_id"] == f"{ids.trace_id:032x}"
        assert line["span_id"] == f"{ids.span_id:016x}"
        assert line["service"] == "svc"
        assert "timestamp" in line
    assert own["event"] == "own_line" and own["level"] == "info" and own["lead_id"] == "c1"
    assert library["event"] == "library line" and library["level"] == "warning"
    assert library["logger"] == "aiokafka.consumer"
    assert "trace_id" not in outside


def test_library_info_is_dropped_and_log_json_false_renders_for_the_console(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("svc", "INFO", json=False)

    logging.getLogger("sqlalchemy.engine").info("per statement noise")
    logging.getLogger("uvicorn.error").error("bind failed")

    err = capsys.readouterr().err
    assert "per statement noise" not in err
    assert "bind failed" in err and "uvicorn.error" in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err.splitlines()[0])
