"""Every integration test module gets its own topic namespace (see tests/support/infra.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.infra import Infra, module_namespace


@pytest.fixture(scope="module", autouse=True)
def topic_namespace(request: pytest.FixtureRequest, infra: Infra) -> Iterator[str]:
    with module_namespace(infra, request.module.__name__) as namespace:
        yield namespace
