"""The byte-bounded cache every cache is made of, and the caches each service keeps."""

from __future__ import annotations

from datetime import UTC, datetime

from cms import caches
from cms.bounded import BoundedCache
from cms.caches import Caches
from cms.graphql.inputs import BodyFormat
from cms.graphql.resolvers import _formatted
from cms.read import counts
from cms.read.versions import Stamp
from cms.settings import Settings


def test_bounded_in_bytes_not_entries() -> None:
    cache: BoundedCache[int, str] = BoundedCache(1_000)
    for key in range(100):
        cache.put(key, "x", 100)
    assert cache.bytes <= 1_000 and len(cache) == 10
    assert cache.get(99) == "x" and cache.get(0) is None


def test_an_entry_too_heavy_is_not_kept() -> None:
    cache: BoundedCache[str, str] = BoundedCache(1_000, max_entry_bytes=300)
    assert cache.put("small", "s", 300)
    assert not cache.put("big", "b", 301)
    assert "big" not in cache and cache.get("small") == "s" and cache.bytes == 300


def test_a_flood_of_one_off_keys_cannot_push_out_what_is_asked_for_again() -> None:
    cache: BoundedCache[str, int] = BoundedCache(10_000)
    for hot in range(5):
        cache.put(f"hot{hot}", hot, 1_000)
        assert cache.get(f"hot{hot}") == hot  # asked for twice: protected
    for one_off in range(1_000):
        cache.put(f"flood{one_off}", one_off, 500)
    assert all(cache.get(f"hot{hot}") == hot for hot in range(5))
    assert cache.bytes <= 10_000


def test_replacing_and_popping_keep_the_byte_count() -> None:
    cache: BoundedCache[str, str] = BoundedCache(1_000)
    cache.put("a", "1", 100)
    cache.get("a")
    cache.put("a", "2", 200)
    assert cache.bytes == 200 and cache.get("a") == "2"
    assert cache.pop("a") == "2" and cache.bytes == 0 and len(cache) == 0
    cache.put("b", "3", 100)
    cache.resize(50)
    assert cache.bytes == 0 and cache.max_entry_bytes == 12


def test_the_caller_that_stored_an_entry_does_not_protect_it() -> None:
    cache: BoundedCache[str, int] = BoundedCache(3_000, max_entry_bytes=1_000)
    cache.put("hot", 1, 1_000, caller="request-1")
    assert cache.get("hot", "request-1") == 1  # the same request again: still on probation
    assert cache.get("hot", "request-2") == 1  # another request: protected
    cache.put("once", 2, 1_000, caller="request-3")
    assert cache.get("once", "request-3") == 2
    for n in range(10):
        cache.put(f"flood{n}", n, 1_000, caller=f"flood-request-{n}")
    assert cache.get("hot") == 1 and "once" not in cache


def test_an_entry_grown_too_heavy_goes() -> None:
    cache: BoundedCache[str, str] = BoundedCache(1_000, max_entry_bytes=300)
    cache.put("a", "1", 100)
    cache.grow("a", 150)
    assert cache.bytes == 250 and "a" in cache
    cache.grow("a", 100)
    assert "a" not in cache and cache.bytes == 0


def test_kept_results_live_with_the_caches_of_the_service_serving_the_request() -> None:
    """A kind of kept result (counts.Kept) keeps its values with the current service's caches,
    within its share of that service's budget; outside a service's request nothing is kept."""
    kind: counts.Kept[int] = counts.Kept(0.25)
    mine, other = Caches(Settings(kept_results_bytes=40_000)), Caches(Settings())
    stamp = Stamp(version=1, since=datetime(2025, 1, 1, tzinfo=UTC), until=None)
    kind.keep("key", stamp, 1)  # outside any request
    assert [size.entries for size in (*mine.sizes(), *other.sizes())] == [0, 0, 0, 0]
    token = caches.active.set(mine)
    try:
        kind.keep("key", stamp, 1)
    finally:
        caches.active.reset(token)
    store = mine.kept(kind, kind.share)
    assert (len(store), store.max_bytes, store.peek("key")) == (1, 10_000, (stamp, 1))
    kept = {size.name: size.entries for size in mine.sizes()}
    assert kept == {"kept_results": 1, "rendered_bodies": 0}
    assert len(other.kept(kind, kind.share)) == 0
    counts.forget()
    assert len(store) == 0


def test_rendered_bodies_are_kept_by_the_service_serving_the_request() -> None:
    mine = Caches(Settings(render_cache_bytes=100_000))
    assert _formatted("*hi*", BodyFormat.HTML) == "<p><em>hi</em></p>\n"
    assert len(mine.rendered) == 0  # outside a request: rendered, not kept
    token = caches.active.set(mine)
    try:
        for _ in range(2):
            assert _formatted("*hi*", BodyFormat.HTML) == "<p><em>hi</em></p>\n"
    finally:
        caches.active.reset(token)
    assert (len(mine.rendered), mine.rendered_misses, mine.rendered_hits) == (1, 1, 1)
    assert mine.rendered.max_bytes == 100_000
