"""Resumes paused locations when their pause's end date (``until``) comes; every replica runs it,
the row lock of each resume lets only one of them succeed."""

from __future__ import annotations

import asyncio
import contextlib

from leadflow_common.logging import get_logger
from onboarding.directory.service import LocationDirectory

log = get_logger(__name__)


class PauseExpiry:
    def __init__(self, directory: LocationDirectory, interval_s: float = 60.0) -> None:
        self._directory = directory
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="pause-expiry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                resumed = await self._directory.resume_expired()
                if resumed:
                    log.info("pauses_ended", locations=resumed)
            except Exception as exc:  # Postgres or Kafka away: the next round tries again
                log.warning("pause_expiry_failed", error=str(exc))
            await asyncio.sleep(self._interval_s)
