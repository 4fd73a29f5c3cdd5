"""Print every asyncio task's stack: what a test calls when an app's shutdown times out, so a
hang names the await it is stuck on instead of only the timeout."""

from __future__ import annotations

import asyncio
import sys


def dump_tasks(why: str) -> None:
    tasks = asyncio.all_tasks()
    print(f"--- {why}: {len(tasks)} asyncio tasks ---", file=sys.stderr)
    for task in sorted(tasks, key=lambda t: t.get_name()):
        print(f"task {task.get_name()}: {task.get_coro()!r}", file=sys.stderr)
        task.print_stack(limit=12, file=sys.stderr)
