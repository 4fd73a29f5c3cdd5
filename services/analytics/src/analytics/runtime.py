"""Process tuning of a consuming analytics process.

A batch of 2,000 events allocates some 40,000 container objects (records, dicts, facts) that all
live until the batch is applied. With Python's young-generation threshold of 700 they are walked
by a young collection every 700 allocations, promoted, walked again by the middle generation, and
the survivors keep triggering full collections of the unfrozen heap: py-spy and gc.callbacks on
``analytics serve`` measured 21 full collections (~40 ms each) and ~1 s of collector time per 60k
events, a sixth of the process's CPU. A threshold of the order of a batch's allocations lets most
of a batch die by reference counting before the collector ever looks at it (measured: 16 young
collections and one full one for the same run); garbage cycles are still collected, later."""

from __future__ import annotations

import gc

from leadflow_common.logging import get_logger

log = get_logger(__name__)


def tune_collector(gen0_threshold: int) -> None:
    if gen0_threshold <= 0:
        return
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
    log.info("gc_threshold_set", thresholds=gc.get_threshold())
