"""Benchmark: read scenarios over real HTTP against `cms serve`, with SQL statements per request.

Builds a fresh SQLite database in a temp dir (`cms fixtures generate`, `cms migrate`, `cms
fixtures load` of the generated file, then of the bundled seed), counts the SQL statements each
scenario sends (in-process, through httpx's ASGI transport), then starts `cms serve` on a free
port of 127.0.0.1 and drives each scenario for a fixed time with a fixed number of concurrent
keep-alive requests from one httpx client pool. Prints requests/s, p50, p99, errors and SQL
statements per request. Traffic goes to 127.0.0.1 only; the script stops by itself.

    python bench/http_read.py --articles 10000 --seconds 10 --concurrency 8 --workers 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import logging
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):  # run as `python bench/http_read.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import free_port, percentile, run_cli, stop, tail
from cms.app import ContentService
from cms.settings import Settings

CMS = [sys.executable, "-m", "cms"]
HOST = "127.0.0.1"
#: Longest any CLI step may take (a 10,000-article load takes well under a minute).
#: Longest the server may take to answer its first request.
STARTUP_TIMEOUT_S = 60.0
#: Per-request timeout under load.
REQUEST_TIMEOUT_S = 30.0
#: Hard cap on requests per scenario per concurrent task, on top of the time bound.
MAX_REQUESTS_PER_TASK = 1_000_000

SEED_SLUG = "peruvian-president-dina-boluarte-arrives-in-beijing-for-landmark-state-visit"


@dataclass(frozen=True)
class Scenario:
    name: str
    query: str
    variables: dict[str, Any]
    #: The top-level field that must come back non-null.
    root: str

    def payload(self) -> dict[str, Any]:
        return {"query": self.query, "variables": self.variables}


SCENARIOS = [
    Scenario(
        "list page",
        "query List { articles(first: 20) { totalCount edges { node { id slug title summary"
        " publishedAt readingTimeMinutes tags { slug name kind } imageCredits { text"
        " organization role contributors { name slug } } } } pageInfo { hasNextPage endCursor"
        " } } }",
        {},
        "articles",
    ),
    Scenario(
        "article page",
        "query Article($slug: String!) { article(slug: $slug) { id title summary"
        " body(format: HTML) publishedAt updatedAt wordCount readingTimeMinutes tags { slug"
        " name kind } imageCredits { text organization role imageUrl caption altText"
        " contributors { name slug } } } }",
        {"slug": SEED_SLUG},
        "article",
    ),
    Scenario(
        "tag page",
        "query Tag($slug: String!) { tag(slug: $slug) { name articleCount articles(first: 20)"
        " { edges { node { slug title tags { slug } } } } } }",
        {"slug": "china"},
        "tag",
    ),
    Scenario(
        "search",
        "query Search($q: String!) { search(query: $q, first: 10) { totalCount edges { snippet"
        " score node { slug title } } } }",
        {"q": "trade visit"},
        "search",
    ),
]


# --- setup -----------------------------------------------------------------------------------


def build_database(work: Path, articles: int, env: dict[str, str]) -> dict[str, float]:
    fixture = work / "generated.json"
    timings: dict[str, float] = {}
    timings["generate"] = run_cli(
        ["fixtures", "generate", "--articles", str(articles), "--seed", "1", "-o", str(fixture)],
        env,
    )
    timings["migrate"] = run_cli(["migrate"], env)
    timings["load generated"] = run_cli(["fixtures", "load", str(fixture)], env)
    timings["load bundled"] = run_cli(["fixtures", "load"], env)
    return timings


# --- SQL statements per request (in-process) -------------------------------------------------


class SQLCounter(logging.Handler):
    """Counts the statements Tortoise sends to the database (its db_client debug log)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage())


@dataclass
class SQLCount:
    cold: int
    warm: int
    check: str


def check_body(scenario: Scenario, status: int, body: Any) -> str | None:
    """Why a response is a failure, or None if it is good."""
    if status != 200:
        return f"HTTP {status}"
    if not isinstance(body, dict):
        return "response is not a JSON object"
    if "errors" in body:
        return f"errors: {str(body['errors'])[:200]}"
    return None


def describe(scenario: Scenario, data: dict[str, Any]) -> str:
    """A one-line summary of a scenario's answer, to show the benchmark reads real content."""
    root = data[scenario.root]
    if scenario.root == "articles":
        return f"totalCount={root['totalCount']}, {len(root['edges'])} edges"
    if scenario.root == "article":
        return f"title={root['title'][:40]!r}, {len(root['body'])} chars of HTML"
    if scenario.root == "tag":
        return f"articleCount={root['articleCount']}, {len(root['articles']['edges'])} edges"
    return f"totalCount={root['totalCount']}, {len(root['edges'])} hits"


async def count_sql(database_url: str) -> dict[str, SQLCount]:
    service = ContentService(Settings(database_url=database_url))
    logger = logging.getLogger("tortoise.db_client")
    previous = logger.level
    counts: dict[str, SQLCount] = {}
    async with service.lifespan():
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cms.local") as http:
            for scenario in SCENARIOS:
                measured: list[int] = []
                data: dict[str, Any] = {}
                for _ in range(2):  # the first request (cold) and the next one (steady state)
                    counter = SQLCounter()
                    logger.setLevel(logging.DEBUG)
                    logger.addHandler(counter)
                    try:
                        response = await http.post("/graphql", json=scenario.payload())
                    finally:
                        logger.removeHandler(counter)
                        logger.setLevel(previous)
                    body = response.json()
                    problem = check_body(scenario, response.status_code, body)
                    if problem is None and body.get("data", {}).get(scenario.root) is None:
                        problem = f"{scenario.root} is null"
                    if problem is not None:
                        raise RuntimeError(f"{scenario.name}: {problem}")
                    data = body["data"]
                    measured.append(len(counter.statements))
                counts[scenario.name] = SQLCount(measured[0], measured[1], describe(scenario, data))
    return counts


# --- the server ------------------------------------------------------------------------------


def start_server(
    port: int, workers: int, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [*CMS, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so worker processes go with it
        )


def wait_ready(server: subprocess.Popen[bytes], url: str, log: Path) -> float:
    start = time.perf_counter()
    deadline = start + STARTUP_TIMEOUT_S
    with httpx.Client(trust_env=False, timeout=2.0) as client:
        while time.perf_counter() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"cms serve exited ({server.returncode}):\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                response = client.post(url, json={"query": "{ __typename }"})
                if response.status_code == 200:
                    return time.perf_counter() - start
            time.sleep(0.1)
    raise RuntimeError(f"cms serve did not answer within {STARTUP_TIMEOUT_S:.0f} s:\n{tail(log)}")


def summarize_log(log: Path) -> str | None:
    """How many requests the server logged an exception for, and the first one's last line."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    starts = [i for i, line in enumerate(lines) if line.startswith("ERROR:")]
    if not starts:
        return None
    first = starts[0]
    following = [i for i in starts if i > first]
    end = following[0] if following else len(lines)
    block = [line for line in lines[first:end] if line and not line.startswith("INFO:")]
    return f"server log: {len(starts)} ERROR entries; first ends with: {block[-1][:160]}"


# --- load ------------------------------------------------------------------------------------


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    elapsed: float = 0.0

    def fail(self, why: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = why


async def drive(
    client: httpx.AsyncClient, scenario: Scenario, seconds: float, concurrency: int
) -> Result:
    result = Result()
    payload = scenario.payload()
    start = time.perf_counter()
    deadline = start + seconds

    async def task() -> None:
        for _ in range(MAX_REQUESTS_PER_TASK):
            if time.perf_counter() >= deadline:
                return
            sent = time.perf_counter()
            try:
                response = await client.post("/graphql", json=payload)
            except httpx.HTTPError as exc:
                cause = exc.__cause__ or exc.__context__
                result.fail(f"{type(exc).__name__}({exc}) caused by {cause!r}")
                continue
            result.latencies.append(time.perf_counter() - sent)
            try:
                body = response.json()
            except ValueError:
                result.fail(f"HTTP {response.status_code}, body is not JSON")
                continue
            problem = check_body(scenario, response.status_code, body)
            if problem is not None:
                result.fail(problem)

    await asyncio.gather(*(task() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - start
    return result


async def load_all(
    base_url: str, seconds: float, warmup: float, concurrency: int
) -> dict[str, Result]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    results: dict[str, Result] = {}
    async with httpx.AsyncClient(
        base_url=base_url,
        limits=limits,
        timeout=REQUEST_TIMEOUT_S,
        trust_env=False,  # no proxy from the environment: straight to 127.0.0.1
        http1=True,
        http2=False,
    ) as client:
        for scenario in SCENARIOS:
            if warmup > 0:
                await drive(client, scenario, warmup, concurrency)
            results[scenario.name] = await drive(client, scenario, seconds, concurrency)
    return results


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="Measured time per scenario.")
    parser.add_argument("--warmup", type=float, default=1.0, help="Warm-up time per scenario.")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes.")
    options = parser.parse_args()
    if options.articles < 0 or options.seconds <= 0 or options.warmup < 0:
        parser.error("--articles must be >= 0, --seconds > 0, --warmup >= 0")
    if options.concurrency < 1 or options.workers < 1:
        parser.error("--concurrency and --workers must be >= 1")

    server: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="cms-http-read-") as tmp:
        work = Path(tmp)
        db = work / "cms.sqlite3"
        url = f"sqlite://{db}"
        env = {**os.environ, "CMS_DATABASE_URL": url}
        env.pop("CMS_HOST", None)
        env.pop("CMS_PORT", None)
        env.pop("CMS_WORKERS", None)
        log = work / "server.log"
        try:
            timings = build_database(work, options.articles, env)
            with sqlite3.connect(db) as conn:
                stored = conn.execute("SELECT count(*) FROM article").fetchone()[0]
            setup = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
            print(f"database: {stored} articles in SQLite ({setup})")

            sql = asyncio.run(count_sql(url))
            for name, count in sql.items():
                print(f"  check {name:<13} {count.check}")

            port = free_port()
            base_url = f"http://{HOST}:{port}"
            server = start_server(port, options.workers, env, log)
            ready = wait_ready(server, f"{base_url}/graphql", log)
            print(f"server: cms serve on {base_url}, ready in {ready:.1f} s")
            results = asyncio.run(
                load_all(base_url, options.seconds, options.warmup, options.concurrency)
            )
        finally:
            if server is not None:
                stop(server)
        if server is not None and server.returncode not in (0, -signal.SIGINT):
            print(f"note: server exited with {server.returncode}:\n{tail(log, 5)}")
        server_errors = summarize_log(log)

    print()
    header = (
        f"{'scenario':<13} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
        f" {'requests':>9} {'SQL/req':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, result in results.items():
        latencies = sorted(result.latencies)
        total = len(latencies)  # responses received, good or not
        count = sql[name]
        statements = str(count.warm) if count.cold == count.warm else f"{count.warm}/{count.cold}"
        print(
            f"{name:<13} {total / result.elapsed:>8.1f} {percentile(latencies, 0.50) * 1e3:>8.1f}"
            f" {percentile(latencies, 0.99) * 1e3:>8.1f} {result.errors:>7}"
            f" {total:>9} {statements:>8}"
        )
    print()
    for name, result in results.items():
        if result.first_error is not None:
            print(f"first error in {name}: {result.first_error}")
    if server_errors:
        print(server_errors)
    if any(c.cold != c.warm for c in sql.values()):
        print("SQL/req shown as steady/first-request where they differ")
    # What uvicorn's "auto" loop and HTTP implementations pick in this environment.
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    print(
        f"settings: Python {platform.python_version()} ({platform.python_implementation()}),"
        f" uvicorn {metadata.version('uvicorn')} workers={options.workers} loop={loop}"
        f" http={http} log_level=info (access log on), httpx {metadata.version('httpx')} HTTP/1.1"
        f" keep-alive, concurrency={options.concurrency}, {options.seconds:g} s per scenario"
        f" after {options.warmup:g} s warm-up, SQLite"
    )
    print(
        f"note: the load generator (this process, one asyncio loop) runs on the same"
        f" {os.cpu_count()}-core machine as the server, so these numbers are a lower bound"
    )


if __name__ == "__main__":
    main()
