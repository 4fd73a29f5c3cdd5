"""schemathesis against the served OpenAPI document: no input makes ingest answer 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.integration.ingest.conftest import ingest_settings
from tests.integration.ingest.support import running_ingest
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ingest_schema(infra: Infra) -> Iterator[Any]:
    # Verification off so generated bodies reach parsing, dedup and the real producer.
    with running_ingest(ingest_settings(infra, verify_signatures=False, max_body_bytes=4096)) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


def test_no_input_causes_a_server_error(ingest_schema: Any) -> None:
    # schemathesis' pytest plugin does not support pytest 9 yet: drive its strategies directly.
    operations = [result.ok() for result in ingest_schema.get_all_operations()]
    assert any(op.path == "/webhooks/ghl" for op in operations)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            response = case.call(timeout=15)
            case.validate_response(response, checks=[not_a_server_error])

        call()
