"""The KRaft cluster id devstack formats storage with never reads as an option."""

from __future__ import annotations

import base64
import itertools

import pytest

from devstack.errors import DevstackError
from devstack.kafka import new_cluster_id

# base64url maps the first 6 bits 0b111110 (bytes 0xF8-0xFB) to '-': one id in 64.
DASH_FIRST = bytes([0xF8]) + bytes(15)
PLAIN = bytes(range(16))


def test_an_id_starting_with_a_dash_is_drawn_again() -> None:
    draws = iter([DASH_FIRST, DASH_FIRST, PLAIN])
    assert base64.urlsafe_b64encode(DASH_FIRST).decode().startswith("-")

    cluster_id = new_cluster_id(lambda: next(draws))

    assert cluster_id == base64.urlsafe_b64encode(PLAIN).decode().rstrip("=")
    assert next(draws, None) is None  # the third draw was used


def test_ids_are_22_characters_of_16_random_bytes_and_never_start_with_a_dash() -> None:
    ids = [new_cluster_id() for _ in range(2000)]  # ~31 dash-first draws expected among them

    assert all(not i.startswith("-") and len(i) == 22 for i in ids)
    assert all(len(base64.urlsafe_b64decode(i + "==")) == 16 for i in ids)
    assert len(set(ids)) == len(ids)


def test_a_source_that_only_gives_dash_ids_is_an_error_not_a_loop() -> None:
    with pytest.raises(DevstackError):
        new_cluster_id(itertools.repeat(DASH_FIRST).__next__)
