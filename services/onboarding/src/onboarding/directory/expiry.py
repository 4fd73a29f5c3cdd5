"""Resumes paused locations when their pause's end date (``until``) comes; every replica runs it,
the row lock of each resume lets only one of them succeed."""

from __future__ import annotations

from leadflow_common.logging import get_logger
from leadflow_common.periodic import PeriodicTask
from onboarding.directory.service import LocationDirectory

log = get_logger(__name__)


class PauseExpiry(PeriodicTask):
    def __init__(self, directory: LocationDirectory, interval_s: float = 60.0) -> None:
        self._directory = directory
        # Postgres or Kafka away: the next round tries again
        super().__init__("pause-expiry", interval_s, self._resume_expired, "pause_expiry_failed")

    async def _resume_expired(self) -> None:
        resumed = await self._directory.resume_expired()
        if resumed:
            log.info("pauses_ended", locations=resumed)
