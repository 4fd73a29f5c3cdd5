"""Router key names: the configured prefix first, one hash tag for all of them."""

from __future__ import annotations

import pytest

from router.adapters.keys import RedisKeys, has_hash_tag


def test_plain_prefix_gets_its_own_hash_tag() -> None:
    keys = RedisKeys("router")
    assert keys.geo == "router:{router}:geo"
    assert keys.counter("L1", "2026-06-10") == "router:{router}:cap:L1:2026-06-10"
    assert keys.reservation("lead#sla1") == "router:{router}:lead:lead#sla1"
    assert keys.match("loc:*") == "router:{router}:loc:*"
    assert keys.pattern == "router:*"  # still every key of the prefix


def test_a_prefix_with_a_hash_tag_is_used_as_is() -> None:
    assert RedisKeys("{router}").geo == "{router}:geo"
    assert RedisKeys("prod{r}").ready == "prod{r}:ready"
    assert RedisKeys("{router}").pattern == "{router}:*"


def test_hash_tag_rule() -> None:
    assert has_hash_tag("{a}") and has_hash_tag("x{a}y") and has_hash_tag("}{a}")
    assert not has_hash_tag("router") and not has_hash_tag("a{}b") and not has_hash_tag("a{b")
    with pytest.raises(ValueError):
        RedisKeys("a{}b")  # braces that Redis would not read as a tag
