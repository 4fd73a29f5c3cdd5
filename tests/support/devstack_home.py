"""Running devstack's own server code against a private home (data, state, logs), for tests that
stop, restart or wipe a server without touching the shared one."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
_HOME_LOCK = threading.Lock()  # DEVSTACK_HOME is process-wide: one private call at a time


def in_devstack_home(home: Path, fn: Callable[[], T]) -> T:
    """Run ``fn`` with DEVSTACK_HOME=home, in a thread (devstack may call asyncio.run)."""

    def call() -> T:
        with _HOME_LOCK:
            previous = os.environ.get("DEVSTACK_HOME")
            os.environ["DEVSTACK_HOME"] = str(home)
            try:
                return fn()
            finally:
                if previous is None:
                    os.environ.pop("DEVSTACK_HOME", None)
                else:
                    os.environ["DEVSTACK_HOME"] = previous

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()
