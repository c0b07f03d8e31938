"""Benchmark: how read latency grows with the data, with the response cache off.

Builds two databases the way `bench/suite.py` does (generated articles plus the bundled seed),
a small one (`--small`, default 1,000 articles) and a large one (`--large`, default 100,000),
serves each with the same uvicorn command line as the suite (cms, `CMS_RESPONSE_CACHE=false`),
and sends one request at a time (latency, not throughput) for `--seconds` per scenario:

- `list 20`: the first list page (`ListPage`, `first: 20`: tags, credits, contributors,
  `totalCount`);
- `tag`: the tag page (`TagPage` for the suite's tag, `china`: the tag, its article count and
  a page of its articles, each with its tags);
- `search: <words>`: the `Search` operation, for each `--search` (default: the suite's
  `climate talks`, and words common in generated text, which match a large share of the
  articles);
- `search after write: <words>`: the same, with the content version bumped before every
  request (as any write does), so each search ranks afresh instead of finding its ranking
  kept; only the request is timed.

Prints p50 and p99 per scenario and size, the very first request's latency (which pays for
what the next ones find kept: a search's ranking, a count), and the goals: the list and tag
pages' p50 at the large size within 1.5x of the small one's, every search under 50 ms p50 at
the large size, and every search after a write under 100 ms p99 there.

    .venv/bin/python bench/scale.py [--small 1000] [--large 100000] [--seconds 5]
        [--search "climate talks" --search minister ...] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/scale.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Connection, http_request, percentile, stop
from bench.floor import operation_texts
from bench.suite import (
    SERVERS,
    Scenario,
    build_database,
    payload,
    problem_with,
    scratch_postgres,
    start,
    wait_ready,
)

DEFAULT_SEARCHES = ("climate talks", "minister", "government said")
LIST_GOAL = 1.5
SEARCH_GOAL_MS = 50.0
AFTER_WRITE_GOAL_MS = 100.0
AFTER_WRITE = "search after write: "
#: What a write does to what reads keep: the content version moves on.
BUMP = "UPDATE content_version SET version = version + 1 WHERE id = 1"


@dataclass
class Latencies:
    seconds: list[float]
    #: The first request's latency: it pays for what later ones find kept (ranking, count).
    first: float = float("nan")
    errors: int = 0
    first_error: str | None = None

    def p(self, fraction: float) -> float:
        return percentile(sorted(self.seconds), fraction) * 1e3


def plan(searches: list[str]) -> list[Scenario]:
    made = [
        Scenario("list 20", "ListPage", {"first": 20}, "articles"),
        Scenario("tag", "TagPage", {"slug": "china"}, "tag"),
    ]
    made += [
        Scenario(f"search: {words}", "Search", {"query": words}, "search") for words in searches
    ]
    made += [
        Scenario(f"{AFTER_WRITE}{words}", "Search", {"query": words}, "search")
        for words in searches
    ]
    return made


Bump = Callable[[], Awaitable[None]]


@contextlib.asynccontextmanager
async def bumper(url: str) -> AsyncIterator[Bump]:
    """Something to call before a request: it moves the content version on, as a write does."""
    if url.startswith("sqlite://"):
        connection = sqlite3.connect(url.removeprefix("sqlite://"), isolation_level=None)

        async def bump_sqlite() -> None:
            connection.execute(BUMP)

        try:
            yield bump_sqlite
        finally:
            connection.close()
        return
    import asyncpg  # the floor's driver, installed with cms's PostgreSQL support

    postgres = await asyncpg.connect(url)

    async def bump_postgres() -> None:
        await postgres.execute(BUMP)

    try:
        yield bump_postgres
    finally:
        await postgres.close()


async def sequential(
    port: int, request: bytes, scenario: Scenario, seconds: float, url: str | None = None
) -> Latencies:
    """One request at a time for ``seconds`` (after a short warm-up); with ``url``, the
    content version of that database moves on before each request."""
    connection = Connection(port)
    found = Latencies([])
    try:
        async with contextlib.AsyncExitStack() as stack:
            bump = None if url is None else await stack.enter_async_context(bumper(url))
            await _requests(connection, request, scenario, seconds, found, bump)
    finally:
        await connection.close()
    return found


async def _requests(
    connection: Connection,
    request: bytes,
    scenario: Scenario,
    seconds: float,
    found: Latencies,
    bump: Bump | None,
) -> None:
    for phase, length in (("warm-up", 0.5), ("measure", seconds)):
        deadline = time.perf_counter() + length
        while time.perf_counter() < deadline:
            if bump is not None:
                await bump()
            sent = time.perf_counter()
            status, body = await connection.send(request)
            if phase == "measure":
                found.seconds.append(time.perf_counter() - sent)
            elif found.first != found.first:  # still NaN: this was the very first request
                found.first = time.perf_counter() - sent
            problem = problem_with(scenario, status, body)
            if problem is not None:
                found.errors += 1
                found.first_error = found.first_error or problem


@contextlib.contextmanager
def database(work: Path, articles: int, postgres: str | None) -> Iterator[str]:
    """A database URL for ``articles`` generated articles (built before it is handed out)."""
    with contextlib.ExitStack() as stack:
        if postgres:
            url = stack.enter_context(scratch_postgres(postgres))
        else:
            url = f"sqlite://{work / f'cms-{articles}.sqlite3'}"
        env = {**os.environ, "CMS_DATABASE_URL": url}
        started = time.perf_counter()
        build_database(work, articles, env)
        print(f"{articles} articles: built in {time.perf_counter() - started:.0f} s", flush=True)
        yield url


def measure(
    url: str, work: Path, scenarios: list[Scenario], seconds: float
) -> dict[str, Latencies]:
    env = {**os.environ, "CMS_DATABASE_URL": url}
    for name in ("CMS_HOST", "CMS_PORT", "CMS_WORKERS", "CMS_RESPONSE_CACHE"):
        env.pop(name, None)
    texts = operation_texts()
    server = SERVERS[0]  # cms with the response cache off
    running = start(server, env, work)
    try:
        wait_ready(running, payload(scenarios[0], texts))
        return {
            scenario.name: asyncio.run(
                sequential(
                    running.port,
                    http_request(running.port, payload(scenario, texts)),
                    scenario,
                    seconds,
                    url if scenario.name.startswith(AFTER_WRITE) else None,
                )
            )
            for scenario in scenarios
        }
    finally:
        stop(running.process)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="Measured time per scenario.")
    parser.add_argument("--search", action="append", help="A search to time (repeatable).")
    parser.add_argument("--postgres", metavar="URL", help="Run on PostgreSQL (scratch databases).")
    options = parser.parse_args()
    scenarios = plan(options.search or list(DEFAULT_SEARCHES))
    results: dict[int, dict[str, Latencies]] = {}
    with tempfile.TemporaryDirectory(prefix="cms-bench-scale-") as scratch:
        for size in (options.small, options.large):
            work = Path(scratch) / str(size)
            work.mkdir()
            with database(work, size, options.postgres) as url:
                results[size] = measure(url, work, scenarios, options.seconds)

    small, large = results[options.small], results[options.large]
    header = (
        f"{'scenario':<36} {'articles':>9} {'p50 ms':>8} {'p99 ms':>8} {'first ms':>9}"
        f" {'requests':>9} errors"
    )
    print()
    print(header)
    print("-" * len(header))
    for scenario in scenarios:
        for size in (options.small, options.large):
            found = results[size][scenario.name]
            print(
                f"{scenario.name:<36} {size:>9} {found.p(0.5):>8.1f} {found.p(0.99):>8.1f}"
                f" {found.first * 1e3:>9.1f} {len(found.seconds):>9} {found.errors:>6}"
            )
    print()
    for page in ("list 20", "tag"):
        ratio = large[page].p(0.5) / small[page].p(0.5)
        verdict = "met" if ratio <= LIST_GOAL else "NOT met"
        print(
            f"{page} p50 at {options.large} / at {options.small}: {ratio:.2f}x"
            f" (goal <= {LIST_GOAL}x): {verdict}"
        )
    for scenario in scenarios[2:]:
        if scenario.name.startswith(AFTER_WRITE):
            value, label, goal = large[scenario.name].p(0.99), "p99", AFTER_WRITE_GOAL_MS
        else:
            value, label, goal = large[scenario.name].p(0.5), "p50", SEARCH_GOAL_MS
        verdict = "met" if value <= goal else "NOT met"
        print(
            f"{scenario.name} {label} at {options.large}: {value:.1f} ms"
            f" (goal <= {goal:g} ms): {verdict}"
        )
    dialect = "PostgreSQL" if options.postgres else "SQLite"
    print(f"settings: {dialect}, one request at a time, {options.seconds:g} s per scenario")
    for size, found_by_name in results.items():
        for name, found in found_by_name.items():
            if found.first_error:
                print(f"first error, {name} at {size}: {found.first_error}")


if __name__ == "__main__":
    main()
