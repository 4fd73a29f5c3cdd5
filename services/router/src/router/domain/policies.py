"""The choices an operator makes about routing beyond distance (their values are settings)."""

from __future__ import annotations

from enum import StrEnum


class TiePolicy(StrEnum):
    """How a step chooses among eligible locations about equally near (see distribution.py)."""

    NEAREST = "nearest"  # the nearest; within the tie window the most remaining capacity
    ROUND_ROBIN = "round_robin"  # in turn, fair across router replicas (state in Redis)
    WEIGHTED_CAPACITY = "weighted_capacity"  # in proportion to remaining capacity
    WEIGHTED = "weighted"  # in proportion to the location's routing weight


class TerritoryFallback(StrEnum):
    """Where a lead of an owned territory goes when its owner cannot take it."""

    NEAREST = "nearest"  # the normal ladder (the owner skipped)
    POOL = "pool"  # unassigned, reason ``territory_full`` (or ``territory_owner_unavailable``)
