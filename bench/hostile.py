"""Benchmark: hostile traffic beside normal traffic against one `cms serve` (issue 13).

Builds a scratch database (SQLite in a temp dir, or with ``--postgres URL`` a scratch database
on that PostgreSQL server, dropped afterwards): `cms fixtures generate --articles N`, `cms
migrate`, `cms fixtures load` of the generated file, then of the bundled seed. Starts ONE `cms
serve` (one uvicorn worker, default settings: every ``CMS_*`` variable but the database URL is
dropped from the environment, so the response cache is on) on a free port of 127.0.0.1 and
waits for ``/readyz``. Then, after a warm-up with normal traffic only, for ``--seconds``:

1. normal traffic: `wrk` (one process per operation, one thread, two connections each) POSTs
   the list page and the article page (``schema/operations/ListPage.graphql`` and
   ``ArticlePage.graphql``, the seed article's slug); a Lua ``done`` function prints the
   latency distribution, a ``response`` function counts answers that are not 200 or carry
   GraphQL errors;
2. a hostile client (another process: asyncio + httpx, a few tasks): huge query texts
   (``{ __typename } #`` + 7 MB of padding, as plain POSTs and as APQ registrations),
   introspection abuse (30 aliased ``__schema`` walks through nested fragments), 1,000 aliased
   ``articles { totalCount }``, an exponential fragment fan-out over ``tags``, and one-off
   valid queries that flood the caches; every request's status and time is recorded;
3. a ``/healthz`` probe (this process, a blocking keep-alive socket): one request every 50 ms;
   its latency shows how long the event loop is held;

while this process samples the server's RSS (``/proc/<pid>/status``) every 0.5 s. Prints, for
the warm-up and the hostile phase, normal-traffic req/s, p50/p99/p99.9, ``/healthz`` p50/p99/max,
RSS at the start of the hostile phase, its peak and end, and per hostile kind the count,
statuses, median and max time (``--json``: the same numbers as JSON). Traffic goes to 127.0.0.1
only, every loop is bounded, and the server is stopped on the way out, even on error.

    .venv/bin/python bench/hostile.py --articles 1000 --seconds 20
    .venv/bin/python bench/hostile.py --postgres postgres://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import multiprocessing
import os
import platform
import random
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
import httpx

if __package__ in (None, ""):  # run as `python bench/hostile.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import HOST, free_port, percentile, run_cli, stop, tail
from bench.suite import scratch_postgres
from bench.wrk import WRK_TIMEOUT_S, WrkResult, ensure_wrk, finish_wrk, start_wrk

REPO = Path(__file__).resolve().parent.parent
OPERATIONS = REPO / "schema" / "operations"
SEED_SLUG = "peruvian-president-dina-boluarte-arrives-in-beijing-for-landmark-state-visit"
#: Longest any CLI step may take.
#: Longest the server may take to say it is ready.
STARTUP_TIMEOUT_S = 60.0
#: Longest one hostile request may take before it counts as a timeout.
HOSTILE_TIMEOUT_S = 30.0
#: Longest one /healthz probe may take before it counts as a timeout (and reconnects).
PROBE_TIMEOUT_S = 10.0
#: One /healthz probe every this many seconds.
PROBE_INTERVAL_S = 0.05
#: One RSS sample every this many seconds.
RSS_INTERVAL_S = 0.5
#: Connections per wrk process (one process per operation).
WRK_CONNECTIONS = 2
#: The padding of the huge query texts (a comment after a valid document).
HUGE_PADDING_BYTES = 7 * 1024 * 1024
#: Hard cap on requests per hostile task, on top of the time bound.
MAX_REQUESTS_PER_TASK = 1_000_000
#: Seconds without traffic after the hostile phase, before RSS is read again ("settled").
SETTLE_S = 3.0
#: A probe is a stall when it takes longer than this.
STALL_S = 0.05


# --- the hostile documents -------------------------------------------------------------------

#: A type reference four levels deep (NON_NULL of LIST of NON_NULL of a named type and more).
_TYPE_REF = "fragment R on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }"  # noqa: E501
#: A full type: fields with argument and result types, interfaces and possible types.
_FULL_TYPE = (
    "fragment F on __Type { kind name description fields(includeDeprecated: true) { name"
    " description args { name description type { ...R } defaultValue } type { ...R }"
    " isDeprecated deprecationReason } inputFields { name type { ...R } defaultValue }"
    " interfaces { ...R } enumValues(includeDeprecated: true) { name isDeprecated }"
    " possibleTypes { ...R } }"
)
INTROSPECTION_ALIASES = 30


def introspection_abuse() -> str:
    """30 aliases of ``__schema { types { ...F } }``, F nesting the type references (~1.6 KB)."""
    walks = " ".join(f"s{i}: __schema {{ types {{ ...F }} }}" for i in range(INTROSPECTION_ALIASES))
    return f"query {{ {walks} }} {_FULL_TYPE} {_TYPE_REF}"


def many_aliases(count: int = 1000) -> str:
    """``count`` aliases ``aN:articles{totalCount}`` (about 24 KB for 1,000)."""
    return "{ " + " ".join(f"a{i}:articles{{totalCount}}" for i in range(count)) + " }"


def fragment_fan_out(levels: int = 8, spreads: int = 6) -> str:
    """Fragments on Tag, each spreading the next ``spreads`` times: spreads**(levels-1) paths."""
    fragments = []
    for level in range(levels):
        nested = f" ...F{level + 1}" * spreads if level + 1 < levels else ""
        fragments.append(f"fragment F{level} on Tag {{ name{nested} }}")
    return "{ tags { edges { node { ...F0 } } } } " + " ".join(fragments)


def one_off_query(rng: random.Random) -> str:
    """A valid query nobody sent before (an alias of random letters), to flood the caches."""
    tag = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=16))
    first = rng.randint(1, 20)
    return f"{{ articles(first: {first}) {{ edges {{ node {{ slug }} }} }} a{tag}: __typename }}"


def huge_text(token: str) -> bytes:
    """``{ __typename } #<token>`` and 7 MB of padding (one comment: JSON-safe ASCII)."""
    return b"{ __typename } #" + token.encode() + b"x" * HUGE_PADDING_BYTES


def huge_plain_body(token: str) -> bytes:
    return b'{"query":"' + huge_text(token) + b'"}'


def huge_apq_body(token: str) -> bytes:
    """An APQ registration: the text with ``extensions.persistedQuery`` and its sha256."""
    text = huge_text(token)
    digest = hashlib.sha256(text).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    return b'{"query":"' + text + b'","extensions":' + json.dumps(extensions).encode() + b"}"


def json_body(query: str) -> bytes:
    return json.dumps({"query": query}).encode()


#: The hostile kinds, in the order they are reported.
KINDS = [
    "huge text",
    "huge text APQ",
    "introspection",
    "1000 aliases",
    "fragment fan-out",
    "one-off",
]
#: The kinds the "heavy" tasks cycle through (the first task only sends one-off queries).
HEAVY_KINDS = KINDS[:-1]


def task_kinds(kinds: list[str], tasks: int) -> list[list[str]]:
    """What each hostile task sends: with one-off queries and other kinds, the first task sends
    only one-off queries and the others cycle through the rest; else all cycle through all."""
    heavy = [kind for kind in kinds if kind != "one-off"]
    if "one-off" in kinds and heavy and tasks > 1:
        return [["one-off"], *([heavy] * (tasks - 1))]
    return [kinds] * tasks


def hostile_body(kind: str, rng: random.Random) -> bytes:
    token = secrets.token_hex(8)  # every huge text is new: no cache of texts can hold it
    if kind == "huge text":
        return huge_plain_body(token)
    if kind == "huge text APQ":
        return huge_apq_body(token)
    if kind == "introspection":
        return json_body(introspection_abuse())
    if kind == "1000 aliases":
        return json_body(many_aliases())
    if kind == "fragment fan-out":
        return json_body(fragment_fan_out())
    return json_body(one_off_query(rng))


# --- the hostile client (its own process, so its CPU work does not delay the probe) ----------


@dataclass
class Sent:
    kind: str
    status: str
    seconds: float
    #: When it was sent: time.perf_counter(), CLOCK_MONOTONIC on Linux, so the same clock as
    #: the probe's in the parent process.
    at: float
    request_bytes: int
    #: The first GraphQL error's message, if any.
    detail: str = ""


def status_label(status: int, body: bytes) -> tuple[str, str]:
    """The HTTP status, with ``+errors`` when a JSON body carries GraphQL errors; the first
    error's message (or the start of a body that is not JSON)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return str(status), body[:120].decode(errors="replace")
    if isinstance(parsed, dict) and parsed.get("errors"):
        first = parsed["errors"][0]
        message = first.get("message", "") if isinstance(first, dict) else str(first)
        return f"{status}+errors", str(message)[:120]
    return str(status), ""


async def hostile_traffic(port: int, seconds: float, plan: list[list[str]]) -> list[Sent]:
    sent: list[Sent] = []
    start = time.perf_counter()
    deadline = start + seconds
    headers = {"content-type": "application/json"}

    async def task(number: int, kinds: list[str]) -> None:
        rng = random.Random(number)
        offset = number  # the heavy tasks start at different kinds
        async with httpx.AsyncClient(
            base_url=f"http://{HOST}:{port}",
            timeout=HOSTILE_TIMEOUT_S,
            trust_env=False,  # no proxy from the environment: straight to 127.0.0.1
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        ) as client:
            for i in range(MAX_REQUESTS_PER_TASK):
                if time.perf_counter() >= deadline:
                    return
                kind = kinds[(i + offset) % len(kinds)]
                body = hostile_body(kind, rng)
                began = time.perf_counter()
                try:
                    response = await client.post("/graphql", content=body, headers=headers)
                    label, detail = status_label(response.status_code, response.content)
                except httpx.TimeoutException:
                    label, detail = "timeout", ""
                except httpx.HTTPError as exc:
                    label, detail = type(exc).__name__, str(exc)[:120]
                ended = time.perf_counter()
                sent.append(Sent(kind, label, ended - began, began, len(body), detail))

    await asyncio.gather(*(task(n, kinds) for n, kinds in enumerate(plan)))
    return sent


def hostile_process(port: int, seconds: float, plan: list[list[str]], out: str) -> None:
    """Entry point of the hostile client's process: writes what it sent to ``out`` (JSON)."""
    sent = asyncio.run(hostile_traffic(port, seconds, plan))
    Path(out).write_text(json.dumps([asdict(each) for each in sent]), encoding="utf-8")


# --- normal traffic: wrk ---------------------------------------------------------------------


@dataclass(frozen=True)
class Normal:
    name: str
    body: bytes


def normal_operations() -> list[Normal]:
    def load(name: str, variables: dict[str, Any]) -> bytes:
        text = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
        return json.dumps({"query": text, "operationName": name, "variables": variables}).encode()

    return [
        Normal("list page", load("ListPage", {"first": 20})),
        Normal("article page", load("ArticlePage", {"slug": SEED_SLUG})),
    ]


# --- the /healthz probe and the RSS sampler --------------------------------------------------


class Probe:
    """GET /healthz over one keep-alive connection (reopened after a failure)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.request = f"GET /healthz HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None

    def once(self) -> bool:
        """One request; True when it got a 200."""
        if self.sock is None:
            self.sock = socket.create_connection((HOST, self.port), timeout=PROBE_TIMEOUT_S)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(self.request)
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            buffer += chunk
        head, _, body = buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            body += chunk
        return head.startswith(b"HTTP/1.1 200")


@dataclass
class ProbeResult:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    #: (time.perf_counter() when sent, latency) of the slowest probes.
    slowest: list[tuple[float, float]] = field(default_factory=list)
    start: float = 0.0


def probe_healthz(port: int, seconds: float) -> ProbeResult:
    """One GET /healthz every 50 ms for ``seconds``: never two at once, late ones never pile up."""
    result = ProbeResult()
    probe = Probe(port)
    start = time.perf_counter()
    deadline = start + seconds
    next_at = start
    timeline: list[tuple[float, float]] = []
    try:
        for _ in range(int(seconds / PROBE_INTERVAL_S) + 10):
            now = time.perf_counter()
            if now >= deadline:
                break
            if next_at > now:
                time.sleep(next_at - now)
            began = time.perf_counter()
            try:
                ok = probe.once()
            except OSError:
                ok = False
                probe.close()
            ended = time.perf_counter()
            result.latencies.append(ended - began)
            timeline.append((began, ended - began))
            if not ok:
                result.failures += 1
            next_at = max(next_at + PROBE_INTERVAL_S, ended)
    finally:
        probe.close()
    result.slowest = sorted(timeline, key=lambda each: -each[1])[:5]
    result.start = start
    return result


def rss_mib(pid: int, field_name: str = "VmRSS") -> float:
    """A field of /proc/<pid>/status, in MiB (NaN once the process is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RSSSampler(threading.Thread):
    """Samples the server's RSS every 0.5 s until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self.halt = threading.Event()
        self.start_time = time.perf_counter()

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append((time.perf_counter() - self.start_time, rss_mib(self.pid)))
            self.halt.wait(RSS_INTERVAL_S)

    def at(self, moment: float) -> float:
        """The first sample taken at or after ``moment`` (NaN if none)."""
        return next((mib for at, mib in self.samples if at >= moment - self.start_time), math.nan)

    def since(self, moment: float) -> list[float]:
        return [mib for at, mib in self.samples if at >= moment - self.start_time]


# --- setup -----------------------------------------------------------------------------------


def build_database(work: Path, articles: int, env: dict[str, str]) -> float:
    fixture = work / "generated.json"
    generate = ["fixtures", "generate", "--articles", str(articles), "--seed", "1"]
    return (
        run_cli([*generate, "-o", str(fixture)], env)
        + run_cli(["migrate"], env)
        + run_cli(["fixtures", "load", str(fixture)], env)
        + run_cli(["fixtures", "load"], env)
    )


def stored_articles(url: str) -> int:
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            count: int = conn.execute("SELECT count(*) FROM article").fetchone()[0]
            return count

    async def count_postgres() -> int:
        connection = await asyncpg.connect(url)
        try:
            found: int = await connection.fetchval("SELECT count(*) FROM article")
            return found
        finally:
            await connection.close()

    return asyncio.run(count_postgres())


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cms", "serve", "--host", HOST, "--port", str(port)],
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() can kill all of it
        )


def wait_ready(server: subprocess.Popen[bytes], port: int, log: Path) -> float:
    start = time.perf_counter()
    deadline = start + STARTUP_TIMEOUT_S
    with httpx.Client(base_url=f"http://{HOST}:{port}", trust_env=False, timeout=5.0) as client:
        while time.perf_counter() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"cms serve exited ({server.returncode}):\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/readyz").status_code == 200:
                    return time.perf_counter() - start
            time.sleep(0.1)
    raise RuntimeError(f"cms serve was not ready within {STARTUP_TIMEOUT_S:.0f} s:\n{tail(log)}")


def check_normal(port: int, normal: list[Normal]) -> dict[str, str]:
    """Each normal operation answers with data and no errors; a line on what it holds."""
    seen: dict[str, str] = {}
    with httpx.Client(base_url=f"http://{HOST}:{port}", trust_env=False, timeout=30.0) as client:
        for each in normal:
            for _ in range(3):  # the first request pays for what later ones find kept
                response = client.post(
                    "/graphql", content=each.body, headers={"content-type": "application/json"}
                )
            body = response.json()
            data = body.get("data") or {}
            if response.status_code != 200 or body.get("errors") or not any(data.values()):
                raise RuntimeError(
                    f"{each.name}: HTTP {response.status_code} {response.text[:300]}"
                )
            root = next(iter(data.values()))
            if "edges" in root:
                seen[each.name] = f"totalCount={root['totalCount']}, {len(root['edges'])} edges"
            else:
                seen[each.name] = f"{root['slug']}: {len(root['body'])} chars of HTML"
    return seen


def git_state() -> str:
    """The commit and whether cms/ has uncommitted changes (numbers belong to a version)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "cms"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if dirty:
        return f"{head} + uncommitted changes in cms/ ({len(dirty.splitlines())} files)"
    return f"{head} (cms/ clean)"


def server_errors(log: Path) -> int:
    """Lines the server logged at ERROR level (or tracebacks)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 0
    return sum(1 for x in lines if '"level":"ERROR"' in x or x.startswith(("ERROR:", "Traceback")))


# --- one phase -------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    seconds: int
    normal: dict[str, WrkResult]
    probe: ProbeResult
    hostile: list[Sent]


def run_phase(
    name: str,
    seconds: int,
    wrk: str,
    port: int,
    normal: list[Normal],
    work: Path,
    hostile_plan: list[list[str]],
) -> Phase:
    """wrk for each normal operation, the hostile client (when ``hostile_plan``), the probe."""
    processes: list[subprocess.Popen[str]] = []
    hostile: multiprocessing.process.BaseProcess | None = None
    out = work / f"hostile-{name}.json"
    try:
        for each in normal:
            script = work / f"{each.name.replace(' ', '-')}.lua"
            processes.append(start_wrk(wrk, port, each.body, seconds, script, WRK_CONNECTIONS))
        if hostile_plan:
            context = multiprocessing.get_context("spawn")
            hostile = context.Process(
                target=hostile_process, args=(port, float(seconds), hostile_plan, str(out))
            )
            hostile.start()
        probe = probe_healthz(port, seconds)
        results = {
            each.name: finish_wrk(process, seconds + WRK_TIMEOUT_S + 15)
            for each, process in zip(normal, processes, strict=True)
        }
        sent: list[Sent] = []
        if hostile is not None:
            hostile.join(HOSTILE_TIMEOUT_S + 30)
            if hostile.is_alive():
                raise RuntimeError("the hostile client did not stop in time")
            if hostile.exitcode != 0:
                raise RuntimeError(f"the hostile client failed (exit code {hostile.exitcode})")
            sent = [Sent(**each) for each in json.loads(out.read_text(encoding="utf-8"))]
        return Phase(name, seconds, results, probe, sent)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        if hostile is not None and hostile.is_alive():
            hostile.kill()
            hostile.join(10)


# --- report ----------------------------------------------------------------------------------


def in_flight(sent: list[Sent], begin: float, end: float) -> dict[str, int]:
    """The hostile requests (by kind) that overlapped the time from ``begin`` to ``end``."""
    overlapping = [e.kind for e in sent if e.at <= end and e.at + e.seconds >= begin]
    return dict(Counter(overlapping).most_common())


def ms(seconds: float) -> float:
    return seconds * 1e3


def summary(phases: list[Phase], rss: dict[str, float], meta: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"meta": meta, "rss_mib": rss, "phases": {}}
    for phase in phases:
        latencies = sorted(phase.probe.latencies)
        kinds: dict[str, Any] = {}
        for kind in KINDS:
            of_kind = [each for each in phase.hostile if each.kind == kind]
            if not of_kind:
                continue
            times = [each.seconds for each in of_kind]
            kinds[kind] = {
                "count": len(of_kind),
                "statuses": dict(Counter(each.status for each in of_kind).most_common()),
                "median_s": statistics.median(times),
                "max_s": max(times),
                "request_bytes": of_kind[0].request_bytes,
                "first_detail": {
                    status: next(e.detail for e in of_kind if e.status == status)
                    for status in sorted({e.status for e in of_kind})
                },
            }
        out["phases"][phase.name] = {
            "seconds": phase.seconds,
            "normal": {name: asdict(result) for name, result in phase.normal.items()},
            "healthz": {
                "probes": len(latencies),
                "failures": phase.probe.failures,
                "p50_ms": ms(percentile(latencies, 0.50)),
                "p99_ms": ms(percentile(latencies, 0.99)),
                "max_ms": ms(latencies[-1]) if latencies else float("nan"),
                "over_50ms": sum(1 for x in latencies if x > STALL_S),
                "slowest": [
                    {
                        "at_s": at - phase.probe.start,
                        "ms": ms(took),
                        "hostile_in_flight": in_flight(phase.hostile, at, at + took),
                    }
                    for at, took in phase.probe.slowest
                ],
            },
            "hostile": kinds,
        }
    return out


def print_report(numbers: dict[str, Any]) -> None:
    meta = numbers["meta"]
    print(
        f"cms hostile-traffic benchmark: {meta['database']}, {meta['articles']} articles,"
        f" warm-up {meta['warmup_s']} s, hostile phase {meta['seconds']} s; code {meta['git']}"
    )
    print()
    print(f"normal traffic (wrk, one process per operation, {WRK_CONNECTIONS} connections each)")
    header = (
        f"{'phase':<9} {'operation':<13} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'p99.9 ms':>9} {'max ms':>8} {'bad':>5}"
    )
    print(header)
    print("-" * len(header))
    for phase_name, phase in numbers["phases"].items():
        for name, r in phase["normal"].items():
            print(
                f"{phase_name:<9} {name:<13} {r['rate']:>8.1f} {r['p50_ms']:>8.1f}"
                f" {r['p99_ms']:>8.1f} {r['p999_ms']:>9.1f} {r['max_ms']:>8.1f} {r['bad']:>5}"
            )
    print()
    print(f"/healthz probe (one GET every {ms(PROBE_INTERVAL_S):.0f} ms, never two at once)")
    header = (
        f"{'phase':<9} {'probes':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>9}"
        f" {'>50 ms':>7} {'failed':>7}"
    )
    print(header)
    print("-" * len(header))
    for phase_name, phase in numbers["phases"].items():
        h = phase["healthz"]
        print(
            f"{phase_name:<9} {h['probes']:>7} {h['p50_ms']:>8.1f} {h['p99_ms']:>8.1f}"
            f" {h['max_ms']:>9.1f} {h['over_50ms']:>7} {h['failures']:>7}"
        )
    print()
    rss = numbers["rss_mib"]
    print(
        f"server RSS (MiB, sampled every {RSS_INTERVAL_S:g} s): start {rss['start']:.1f}"
        f" (after the warm-up), at 25/50/75% of the hostile phase {rss['at 25%']:.1f} /"
        f" {rss['at 50%']:.1f} / {rss['at 75%']:.1f}, peak {rss['peak']:.1f}, end"
        f" {rss['end']:.1f}, growth {rss['growth']:+.1f}; {SETTLE_S:g} s later"
        f" {rss['settled']:.1f}; VmHWM {rss['vmhwm']:.1f}"
    )
    print()
    print("hostile requests (hostile phase)")
    header = f"{'kind':<17} {'count':>6} {'median s':>9} {'max s':>8} {'req KiB':>8}  statuses"
    print(header)
    print("-" * len(header))
    for phase in numbers["phases"].values():
        for kind, k in phase["hostile"].items():
            statuses = ", ".join(f"{status} x{count}" for status, count in k["statuses"].items())
            print(
                f"{kind:<17} {k['count']:>6} {k['median_s']:>9.3f} {k['max_s']:>8.3f}"
                f" {k['request_bytes'] / 1024:>8.1f}  {statuses}"
            )
    for phase in numbers["phases"].values():
        for kind, k in phase["hostile"].items():
            for status, detail in k["first_detail"].items():
                if detail:
                    print(f"  {kind}, {status}: {detail}")
    print()
    for phase_name, phase in numbers["phases"].items():
        print(f"slowest /healthz probes, {phase_name}:")
        for slow in phase["healthz"]["slowest"]:
            during = ", ".join(f"{kind} x{n}" for kind, n in slow["hostile_in_flight"].items())
            print(
                f"  {slow['ms']:7.1f} ms at {slow['at_s']:5.2f} s;"
                f" hostile in flight: {during or 'none'}"
            )
        for name, r in phase["normal"].items():
            if r["bad"]:
                print(f"{phase_name} {name}: {r['bad']} bad answers; first: {r['first_bad']}")
    print(f"server log: {meta['server_errors']} ERROR lines")
    print(f"checked: {meta['checked']}")
    print(f"settings: {meta['settings']}")


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="Generated articles.")
    parser.add_argument("--seconds", type=int, default=20, help="Length of the hostile phase.")
    parser.add_argument(
        "--warmup", type=int, default=5, help="Seconds of normal traffic only, before."
    )
    parser.add_argument(
        "--hostile-tasks",
        type=int,
        default=3,
        help="Concurrent hostile tasks: the first sends one-off queries, the others the rest.",
    )
    parser.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help=f"Comma-separated hostile kinds to send (default: all of {', '.join(KINDS)}).",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="Run on PostgreSQL: a scratch database is made (and dropped) on this server.",
    )
    parser.add_argument("--json", action="store_true", help="Print the numbers as JSON.")
    options = parser.parse_args()
    if options.articles < 0 or options.seconds < 1 or options.warmup < 1:
        parser.error("--articles must be >= 0, --seconds and --warmup >= 1")
    if not 1 <= options.hostile_tasks <= 16:
        parser.error("--hostile-tasks must be from 1 to 16")
    kinds = [kind.strip() for kind in options.kinds.split(",") if kind.strip()]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds:
        parser.error(f"--kinds: unknown {unknown}; choose from {', '.join(KINDS)}")
    plan = task_kinds(kinds, options.hostile_tasks)

    wrk = ensure_wrk()
    normal = normal_operations()

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    server: subprocess.Popen[bytes] | None = None
    sampler: RSSSampler | None = None
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cms-hostile-")))
        if options.postgres:
            url = stack.enter_context(scratch_postgres(options.postgres))
            database = "PostgreSQL"
        else:
            url = f"sqlite://{work / 'cms.sqlite3'}"
            database = "SQLite"
        # Default settings: only the database URL comes from here.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
        env["CMS_DATABASE_URL"] = url
        log = work / "server.log"
        git = git_state()
        try:
            built = build_database(work, options.articles, env)
            say(f"database: {stored_articles(url)} articles in {database} ({built:.1f} s)")
            port = free_port()
            server = start_server(port, env, log)
            ready = wait_ready(server, port, log)
            checked = check_normal(port, normal)
            say(f"server: cms serve on {HOST}:{port} (pid {server.pid}), ready in {ready:.1f} s")
            sampler = RSSSampler(server.pid)
            sampler.start()
            say(f"warm-up: normal traffic only, {options.warmup} s")
            warm = run_phase("warm-up", options.warmup, wrk, port, normal, work, [])
            started = time.perf_counter()
            rss_start = rss_mib(server.pid)
            say(f"hostile phase: {options.seconds} s")
            hostile = run_phase("hostile", options.seconds, wrk, port, normal, work, plan)
            rss_end = rss_mib(server.pid)
            say(f"settling: {SETTLE_S:g} s without traffic")
            time.sleep(SETTLE_S)
            rss_settled = rss_mib(server.pid)
            during = [x for x in sampler.since(started) if x == x]  # not NaN
            rss = {
                "start": rss_start,
                **{
                    f"at {quarter * 25}%": sampler.at(started + options.seconds * quarter / 4)
                    for quarter in (1, 2, 3)
                },
                "peak": max([rss_start, rss_end, *during]),
                "end": rss_end,
                "growth": rss_end - rss_start,
                "settled": rss_settled,
                "vmhwm": rss_mib(server.pid, "VmHWM"),
            }
        finally:
            if sampler is not None:
                sampler.halt.set()
                sampler.join(5)
            if server is not None:
                stop(server)
        errors = server_errors(log)

    meta = {
        "database": database,
        "articles": options.articles,
        "seconds": options.seconds,
        "warmup_s": options.warmup,
        "git": git,
        "server_errors": errors,
        "checked": "; ".join(f"{name}: {line}" for name, line in checked.items()),
        "settings": (
            f"Python {platform.python_version()}, uvicorn {metadata.version('uvicorn')} via"
            f" `cms serve` (1 worker, default CMS_* settings, response cache on), wrk -t1"
            f" -c{WRK_CONNECTIONS} --timeout {WRK_TIMEOUT_S}s per operation,"
            f" {len(plan)} hostile tasks ({'; '.join(', '.join(kinds) for kinds in plan)}:"
            f" one request in flight each, {HOSTILE_TIMEOUT_S:g} s timeout),"
            f" {os.cpu_count()} CPUs shared by server, database, wrk and clients"
        ),
    }
    numbers = summary([warm, hostile], rss, meta)
    if options.json:
        print(json.dumps(numbers, indent=2))
    else:
        print_report(numbers)


if __name__ == "__main__":
    main()
