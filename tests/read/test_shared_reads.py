"""Version reads shared by requests that ask at the same time (cms.read.versions.SharedReads):
never a read sent before the caller asked, at most one read in flight, errors to every waiter."""

from __future__ import annotations

import asyncio

import pytest

from cms.read.versions import SharedReads


class Reads:
    """A read whose results the test releases one at a time; counts the reads sent."""

    def __init__(self) -> None:
        self.sent = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.release: asyncio.Queue[int | Exception] = asyncio.Queue()

    async def read(self) -> int:
        self.sent += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            value = await self.release.get()
        finally:
            self.in_flight -= 1
        if isinstance(value, Exception):
            raise value
        return value


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_callers_during_a_read_wait_for_the_next_one() -> None:
    reads = Reads()
    shared = SharedReads(reads.read)
    first = shared.get()
    await settle()
    assert reads.sent == 1
    # These ask after the first read was sent: it may predate a write they must see.
    later = [shared.get() for _ in range(5)]
    assert all(future is later[0] for future in later)
    assert later[0] is not first
    await reads.release.put(1)
    assert await asyncio.shield(first) == 1
    await settle()
    assert not later[0].done()
    assert reads.sent == 2  # one read for the five, sent after the first returned
    await reads.release.put(2)
    assert [await asyncio.shield(future) for future in later] == [2] * 5
    assert reads.most_in_flight == 1


async def test_a_caller_after_the_reads_end_starts_a_new_one() -> None:
    reads = Reads()
    shared = SharedReads(reads.read)
    await reads.release.put(7)
    assert await asyncio.shield(shared.get()) == 7
    await settle()
    await reads.release.put(8)
    assert await asyncio.shield(shared.get()) == 8
    assert reads.sent == 2


async def test_an_error_reaches_every_waiter_and_the_next_read_is_tried() -> None:
    reads = Reads()
    shared = SharedReads(reads.read)
    first = shared.get()
    await settle()
    waiting = [shared.get(), shared.get()]
    await reads.release.put(RuntimeError("down"))
    with pytest.raises(RuntimeError, match="down"):
        await asyncio.shield(first)
    await reads.release.put(3)
    assert [await asyncio.shield(future) for future in waiting] == [3, 3]


async def test_a_cancelled_waiter_leaves_the_read_to_the_others() -> None:
    reads = Reads()
    shared = SharedReads(reads.read)
    future = shared.get()

    async def wait() -> int:
        return await asyncio.shield(future)

    leaving, staying = asyncio.ensure_future(wait()), asyncio.ensure_future(wait())
    await settle()
    leaving.cancel()
    await reads.release.put(4)
    assert await staying == 4
    assert leaving.cancelled()
