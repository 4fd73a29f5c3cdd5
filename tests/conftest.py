"""Session-wide fixtures. Integration and e2e tests ask for ``infra``; unit tests never do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.infra import Infra, drop_namespace_topics, start_infra


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    started = start_infra()
    yield started
    drop_namespace_topics(started)
