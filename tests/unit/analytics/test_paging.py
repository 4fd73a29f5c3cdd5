"""Cursor encoding of the frozen-ranking pagination."""

from __future__ import annotations

import pytest

from analytics.paging import BadCursor, decode_cursor, encode_cursor


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor("snap_-1", 40)) == ("snap_-1", 40)


@pytest.mark.parametrize("cursor", ["zzz", "", encode_cursor("s", 1)[:-2] + "!!"])
def test_malformed_cursors_are_rejected(cursor: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(cursor)
