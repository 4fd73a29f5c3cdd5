from __future__ import annotations

from tests.integration.router.fixtures import router, router_schema  # noqa: F401  (fixtures)
from tests.support.ghl import ghl_sim  # noqa: F401  (module-scoped simulator fixture)
