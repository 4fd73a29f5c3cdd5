import asyncio

from onboarding.adapters.installed import InstalledLocationsCache


async def test_concurrent_checks_share_one_fetch_and_new_ids_refresh() -> None:
    calls = 0
    installed = {"a", "b"}

    async def fetch() -> set[str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return set(installed)

    cache = InstalledLocationsCache(fetch, ttl_s=60)
    assert await asyncio.gather(*(cache.is_installed(x) for x in ("a", "b", "a", "b"))) == [True] * 4
    assert calls == 1
    installed.add("c")  # a sub-account created after the last fetch
    assert await cache.is_installed("c") is True
    assert calls == 2
    assert await cache.is_installed("zzz") is False
    assert await cache.is_installed("a") is True
    assert calls == 3
