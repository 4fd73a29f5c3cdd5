"""The analytics migrations walk down to base and back up to head."""

from __future__ import annotations

import asyncio

from leadflow_common.migrations import downgrade, upgrade
from tests.support.infra import Infra, migrations_dir


async def test_migrations_down_and_up(infra: Infra, analytics_schema: str) -> None:
    url = infra.service_db_url("analytics")
    await asyncio.to_thread(downgrade, migrations_dir("analytics"), url, analytics_schema, "base")
    await asyncio.to_thread(upgrade, migrations_dir("analytics"), url, analytics_schema, "head")
