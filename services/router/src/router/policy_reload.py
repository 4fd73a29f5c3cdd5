"""Hot reload of the routing policy: every replica polls ``max(version)`` of ``routing_policies``
(one indexed read per second, ``ROUTER_POLICY_POLL_INTERVAL_S``) and, when it is newer than the
one it decides with, loads it and swaps the decider's parameters and the scorer's weights between
two batches (plain attribute assignments on the event loop: a batch snapshots the decider's policy
when it starts, so it is decided wholly under one version). Without a stored policy the settings'
document is version 0, so behaviour is what the settings say, as before."""

from __future__ import annotations

from prometheus_client import Gauge

from leadflow_common.db import transaction
from leadflow_common.logging import get_logger
from router.adapters import policy_store
from router.domain.policy import BOOTSTRAP_VERSION, PolicyVersion
from router.services import RouterServices

log = get_logger(__name__)
EXTRA = "policy"
# which version each replica decides with: replicas disagreeing for more than a few seconds
# means one cannot read the table (its poll logs background_job_failed)
ACTIVE_VERSION = Gauge("router_routing_policy_version", "Routing policy version this replica decides with")


class PolicyReloader:
    def __init__(self, svc: RouterServices) -> None:
        self._svc = svc
        self._bootstrap = PolicyVersion(
            BOOTSTRAP_VERSION, svc.settings.policy_document(), created_by="settings"
        )
        self.current: PolicyVersion = self._bootstrap

    @property
    def bootstrap(self) -> PolicyVersion:
        return self._bootstrap

    async def reload(self, force: bool = False) -> bool:
        """Swap to the stored current version if it differs from the one in use (True: swapped);
        ``force``: apply it anyway (startup: the decider then records version 0 too)."""
        async with transaction(self._svc.sessions) as session:
            if not force and await policy_store.max_version(session) == self.current.version:
                return False
            stored = await policy_store.current(session)
        self.apply(stored or self._bootstrap)
        return True

    def apply(self, version: PolicyVersion) -> None:
        previous = self.current.version
        svc = self._svc
        weights = version.document.score_weights()
        svc.decider.use_policy(version.document.routing_policy(), version.version)
        svc.weights = weights
        svc.routing.weights = weights
        self.current = version
        ACTIVE_VERSION.set(version.version)
        log.info("routing_policy_active", version=version.version, hash=version.content_hash,
                 previous=previous, created_by=version.created_by)  # fmt: skip


def policy_of(svc: RouterServices) -> PolicyReloader:
    """The replica's reloader (made on first use; kept in ``svc.extras``)."""
    found = svc.extras.get(EXTRA)
    if not isinstance(found, PolicyReloader):
        found = PolicyReloader(svc)
        svc.extras[EXTRA] = found
    return found
