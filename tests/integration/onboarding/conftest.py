"""Fixtures every onboarding integration module shares: its own migrated schema and a GHL
simulator with room for a whole onboarding run (a module may override either)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.ghl import GhlSim, ghl_sim  # noqa: F401  (module-scoped simulator fixture)
from tests.support.infra import Infra, migrated_schema


@pytest.fixture(scope="module")
def schema(infra: Infra) -> Iterator[str]:
    yield from migrated_schema(infra, "onboarding")


@pytest.fixture(scope="module")
def sim(ghl_sim: GhlSim) -> GhlSim:  # noqa: F811
    ghl_sim.set_limits(max=400, interval_ms=1000)
    return ghl_sim
