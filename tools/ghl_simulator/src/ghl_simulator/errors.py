"""Error bodies shaped like GHL's (NestJS style: statusCode, message, error) and the exception for them."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ghl_simulator.ids import trace_id


class GhlHttpError(Exception):
    def __init__(self, status: int, message: str | list[str]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_body(status: int, message: str | list[str]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "message": message,
        "error": HTTPStatus(status).phrase,
        "traceId": trace_id(),
    }


async def on_ghl_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GhlHttpError)
    return JSONResponse(error_body(exc.status, exc.message), status_code=exc.status)


async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    messages = [f"{'.'.join(str(p) for p in err['loc'][1:])} {err['msg']}".strip() for err in exc.errors()]
    return JSONResponse(error_body(422, messages), status_code=422)
