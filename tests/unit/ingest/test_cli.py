"""`ingest openapi` prints a document that parses (nothing else on stdout)."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from ingest.cli import app


def test_openapi_prints_only_the_document() -> None:
    result = CliRunner().invoke(app, ["openapi"])
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert {"/webhooks/ghl", "/api/v1/webhooks/ghl"} <= set(document["paths"])
