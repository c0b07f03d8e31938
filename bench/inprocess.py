"""In-process latency of the read pages (response cache off unless ``--cached``): no HTTP
server, no client.

Each request is one call of cms's ASGI app with a hand-made scope (no httpx, no sockets), so
what is measured is cms's own work per request: parsing the body, executing the operation,
the SQL, building rows, encoding the answer. That makes it a quick, repeatable check of a
change to the read path (the row types, the SQL builders, the executor), where
``bench/suite.py`` measures the whole server against a floor.

    .venv/bin/python bench/inprocess.py --articles 10000
    .venv/bin/python bench/inprocess.py --database sqlite:///tmp/bench.sqlite3 --rounds 9

With ``--database`` it reads an existing database (built as ``bench/suite.py`` builds one:
``cms fixtures generate --seed 1``, ``cms migrate``, ``cms fixtures load`` of that file and of
the seed), so two checkouts can be compared on the same data: run this file from one checkout
with ``PYTHONPATH`` pointing at the other. Without it, it builds one of ``--articles`` in a
temp dir first.

Scenarios (the operations of ``schema/operations/``): ``list 20`` and ``list 100``
(ListPage), ``article`` (ArticlePage, the seed article) and ``tag`` (TagPage, ``china``). They
run in alternating rounds of ``--requests`` requests each, so that noise from other processes
hits all of them alike; the report gives, per scenario, the median over the rounds of the mean
milliseconds per request, the fastest round, the median CPU milliseconds of this process per
request (all its threads: less sensitive than wall time to other processes on a shared
machine), and the SQL statements per request.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/inprocess.py`: make `bench` importable
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.common import counting_tortoise, run_cli
from cms.app import ContentService
from cms.settings import Settings

OPERATIONS = Path(__file__).resolve().parent.parent / "schema" / "operations"
SEED_SLUG = "peruvian-president-dina-boluarte-arrives-in-beijing-for-landmark-state-visit"
SCENARIOS: dict[str, tuple[str, dict[str, Any]]] = {
    "list 20": ("ListPage", {"first": 20}),
    "list 100": ("ListPage", {"first": 100}),
    "article": ("ArticlePage", {"slug": SEED_SLUG}),
    "tag": ("TagPage", {"slug": "china"}),
}

ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[dict[str, Any]]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


async def post(app: ASGIApp, body: bytes) -> tuple[int, bytes]:
    """One POST /graphql through the ASGI app; its status and body."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"cms.test"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("cms.test", 80),
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def build_database(work: Path, articles: int) -> str:
    url = f"sqlite://{work / 'bench.sqlite3'}"
    env = {**os.environ, "CMS_DATABASE_URL": url}
    fixture = work / "generated.json"
    generate = ["fixtures", "generate", "--articles", str(articles), "--seed", "1"]
    run_cli([*generate, "-o", str(fixture)], env)
    run_cli(["migrate"], env)
    run_cli(["fixtures", "load", str(fixture)], env)
    run_cli(["fixtures", "load"], env)
    return url


async def measure(
    url: str, names: list[str], rounds: int, requests: int, settings: Settings
) -> None:
    bodies = {
        name: json.dumps(
            {"query": (OPERATIONS / f"{operation}.graphql").read_text(), "variables": variables}
        ).encode()
        for name, (operation, variables) in SCENARIOS.items()
        if name in names
    }
    service = ContentService(dataclasses.replace(settings, database_url=url))
    async with service.lifespan():
        app: ASGIApp = service.app
        statements: dict[str, int] = {}
        for name, body in bodies.items():
            for _ in range(max(requests // 2, 5)):  # warm-up: plans, prepared statements
                status, answer = await post(app, body)
                decoded = json.loads(answer)
                if status != 200 or "errors" in decoded:
                    raise RuntimeError(f"{name}: HTTP {status}: {answer[:300]!r}")
            with counting_tortoise() as log:
                await post(app, body)
            statements[name] = log.count
        timings: dict[str, list[float]] = {name: [] for name in bodies}
        cpu: dict[str, list[float]] = {name: [] for name in bodies}
        for turn in range(rounds):
            order = list(bodies)
            order = order[turn % len(order) :] + order[: turn % len(order)]
            for name in order:
                body = bodies[name]
                start, start_cpu = time.perf_counter(), time.process_time()
                for _ in range(requests):
                    await post(app, body)
                timings[name].append((time.perf_counter() - start) * 1000 / requests)
                cpu[name].append((time.process_time() - start_cpu) * 1000 / requests)
    print(f"{'scenario':<10} {'median ms':>10} {'best ms':>9} {'cpu ms':>8} {'statements':>11}")
    for name, values in timings.items():
        print(
            f"{name:<10} {statistics.median(values):>10.3f} {min(values):>9.3f}"
            f" {statistics.median(cpu[name]):>8.3f} {statements[name]:>11}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="an existing database URL (else one is built)")
    parser.add_argument("--articles", type=int, default=10_000, help="articles to build")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per scenario")
    parser.add_argument("--requests", type=int, default=50, help="requests per round")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        help="a scenario to run (repeatable; default: all)",
    )
    parser.add_argument(
        "--cached",
        action="store_true",
        help="with the response cache on (what a repeated request costs when it hits)",
    )
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="with request metrics on, as `cms serve` has them (a mounted service: off)",
    )
    args = parser.parse_args()
    names = args.scenario or list(SCENARIOS)
    settings = Settings(response_cache=args.cached, metrics=args.metrics)
    if args.database:
        asyncio.run(measure(args.database, names, args.rounds, args.requests, settings))
        return
    with tempfile.TemporaryDirectory(prefix="cms-inprocess-") as work:
        url = build_database(Path(work), args.articles)
        asyncio.run(measure(url, names, args.rounds, args.requests, settings))


if __name__ == "__main__":
    main()
