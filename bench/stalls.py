"""What holds cms's event loop under load: every loop callback, garbage collection and quick
SQLite read timed inside one `cms serve`, while wrk drives one page.

```
.venv/bin/python bench/stalls.py [--articles 10000] [--seconds 8] [--rounds 2]
    [--pages list,article] [--database-url URL | --postgres URL] [--stall-ms 10]
    [--variant 'NAME=VAR=VALUE;VAR=VALUE' ...]
```

It builds a database the way the other scripts do (or serves ``--database-url`` as it is),
then per variant starts `cms serve` (one worker, response cache off, asyncio's loop) through
this script's ``serve`` command, which switches the instrumentation on before cms is imported:

* every callback the loop runs (``asyncio.Handle._run``: a task step, a transport's read) is
  timed; one longer than ``--stall-ms`` is a stall. That needs asyncio's own loop, so the server
  runs on it, not on uvloop (``STALLS_LOOP=uvloop`` in a variant keeps uvloop, as `cms serve`
  has it, without the callback table);
* ``gc.callbacks`` time every collection, by generation;
* the SQLite reader (:meth:`cms.sqlite_engine.ImmediateSqliteClient.read`, on the loop's
  thread) and Markdown rendering (``cms.content.markdown``) are timed.

A stall's time is split into the collections, reads and rendering that ran inside it, and
the rest ("python": resolvers, the executor, serialization); a stall whose thread had the CPU
for less than half of it counts as "descheduled" (the machine's other processes held it).
Per page and variant, the variants taking turns in rounds (machine noise hits all alike), it
prints wrk's requests/s, p50/p99/p99.9, the loop's busy share, the stalls by cause and every
collection by generation.

A variant is a set of environment variables for the server: ``STALLS_GC=THRESHOLDS`` (e.g.
``700,10,10``: ``gc.set_threshold`` after startup) is read by the instrumentation itself, and
any ``CMS_*`` setting works too, and ``STALLS_CHECKOUT=DIR`` serves another checkout's cms
(before/after a change in one run). Without ``--variant`` it runs one, ``base``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/stalls.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: Where the instrumented server writes its numbers (on SIGUSR2); SIGUSR1 starts afresh.
OUT_ENV = "STALLS_OUT"
#: A loop callback longer than this many ms is a stall.
STALL_MS_ENV = "STALLS_MS"
#: ``gc.set_threshold`` for the server, as ``g0,g1,g2`` (applied once the app has started).
GC_ENV = "STALLS_GC"
#: ``asyncio`` (the default: callbacks can only be timed on asyncio's own loop) or ``uvloop``
#: (what `cms serve` picks when it is installed; collections and reads are still timed).
LOOP_ENV = "STALLS_LOOP"
#: A variant's server runs the cms of this checkout (a directory with ``cms/`` and
#: ``bench/stalls.py``, e.g. ``git archive`` of another commit): before/after in one run.
CHECKOUT_ENV = "STALLS_CHECKOUT"
#: ``1``: ``gc.collect(); gc.freeze()`` again after the warm-up (on SIGUSR1), so what the
#: first requests built and kept leaves the collector's sight too.
REFREEZE_ENV = "STALLS_REFREEZE"


# --- inside the server -----------------------------------------------------------------------


@dataclass
class _Window:
    """What ran inside the callback being timed."""

    gc_s: float = 0.0
    gc_generations: list[int] = field(default_factory=list)
    sqlite_s: float = 0.0
    sqlite_reads: int = 0
    markdown_s: float = 0.0


class Monitor:
    """Times loop callbacks, collections, SQLite reads and Markdown rendering."""

    def __init__(self, stall_s: float) -> None:
        self.stall_s = stall_s
        self.window = _Window()
        self._gc_start = 0.0
        self.reset()

    def reset(self) -> None:
        self.started = time.perf_counter()
        self.busy_s = 0.0
        self.callbacks = 0
        #: (generation, seconds, collected) of every collection.
        self.collections: list[tuple[int, float, int]] = []
        #: One dict per stall.
        self.stalls: list[dict[str, Any]] = []
        self.sqlite_reads = 0
        self.sqlite_s = 0.0
        self.sqlite_max_s = 0.0
        self.markdown_calls = 0
        self.markdown_s = 0.0
        self.markdown_max_s = 0.0

    def on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
            return
        took = time.perf_counter() - self._gc_start
        self.collections.append((info["generation"], took, info["collected"]))
        self.window.gc_s += took
        self.window.gc_generations.append(info["generation"])

    def timed(self, kind: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                took = time.perf_counter() - start
                if kind == "sqlite":
                    self.window.sqlite_s += took
                    self.window.sqlite_reads += 1
                    self.sqlite_reads += 1
                    self.sqlite_s += took
                    self.sqlite_max_s = max(self.sqlite_max_s, took)
                else:
                    self.window.markdown_s += took
                    self.markdown_calls += 1
                    self.markdown_s += took
                    self.markdown_max_s = max(self.markdown_max_s, took)

        wrapper.__wrapped__ = function  # type: ignore[attr-defined]
        return wrapper

    def callback_done(self, handle: Any, took: float, cpu: float) -> None:
        self.busy_s += took
        self.callbacks += 1
        window, self.window = self.window, _Window()
        if took < self.stall_s:
            return
        self.stalls.append(
            {
                "ms": took * 1e3,
                "cpu_ms": cpu * 1e3,
                "gc_ms": window.gc_s * 1e3,
                "gc_generations": window.gc_generations,
                "sqlite_ms": window.sqlite_s * 1e3,
                "sqlite_reads": window.sqlite_reads,
                "markdown_ms": window.markdown_s * 1e3,
                "what": _describe(handle),
            }
        )

    def dump(self, path: str) -> None:
        numbers = {
            "seconds": time.perf_counter() - self.started,
            "busy_s": self.busy_s,
            "callbacks": self.callbacks,
            "collections": self.collections,
            "stalls": self.stalls,
            "sqlite": [self.sqlite_reads, self.sqlite_s, self.sqlite_max_s],
            "markdown": [self.markdown_calls, self.markdown_s, self.markdown_max_s],
            "gc_threshold": gc.get_threshold(),
            "gc_frozen": gc.get_freeze_count(),
        }
        Path(path).write_text(json.dumps(numbers), encoding="utf-8")


def _describe(handle: Any) -> str:
    """The coroutine a task step ran, or the callback's name."""
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    coro = getattr(task, "get_coro", None)
    if coro is not None:
        return str(getattr(coro(), "__qualname__", "task"))
    return str(getattr(callback, "__qualname__", type(callback).__name__))


def install(monitor: Monitor) -> None:
    """Hook the monitor into asyncio, the collector, the SQLite reader and Markdown. Runs
    before cms's resolvers import the renderers, so they import the timed ones."""
    import asyncio.events

    from cms import sqlite_engine
    from cms.content import markdown

    run = asyncio.events.Handle._run
    clock, cpu_clock = time.perf_counter, time.thread_time

    def timed_run(handle: asyncio.events.Handle) -> None:
        start, cpu = clock(), cpu_clock()
        run(handle)
        monitor.callback_done(handle, clock() - start, cpu_clock() - cpu)

    asyncio.events.Handle._run = timed_run  # type: ignore[method-assign,assignment]
    gc.callbacks.append(monitor.on_gc)
    client = sqlite_engine.ImmediateSqliteClient
    client.read = monitor.timed("sqlite", client.read)  # type: ignore[method-assign]
    for name in ("render_html", "render_text"):
        setattr(markdown, name, monitor.timed("markdown", getattr(markdown, name)))


def serve(argv: list[str]) -> None:
    """`cms serve ARGS` with the monitor on (when STALLS_OUT is set)."""
    if os.environ.get(LOOP_ENV, "asyncio") == "asyncio":
        sys.modules["uvloop"] = None  # type: ignore[assignment]  # uvicorn's "auto" falls back
    out = os.environ.get(OUT_ENV)
    if out:
        monitor = Monitor(float(os.environ.get(STALL_MS_ENV, "10")) / 1e3)
        install(monitor)
        refreeze = os.environ.get(REFREEZE_ENV) == "1"

        def restart(*_: Any) -> None:
            if refreeze:
                gc.collect()
                gc.freeze()
            monitor.reset()

        signal.signal(signal.SIGUSR1, restart)
        signal.signal(signal.SIGUSR2, lambda *_: monitor.dump(out))
    thresholds = os.environ.get(GC_ENV)
    if thresholds:
        _gc_after_startup(tuple(int(x) for x in thresholds.split(",")))
    import runpy

    sys.argv = ["cms", "serve", *argv]
    runpy.run_module("cms", run_name="__main__", alter_sys=True)


def _gc_after_startup(thresholds: tuple[int, ...]) -> None:
    """Set the collector's thresholds as the app's lifespan starts (after its imports)."""
    from cms import app as cms_app

    original = cms_app._Standalone._lifespan

    @contextlib.asynccontextmanager
    async def lifespan(self: Any, app: Any) -> Any:
        async with original(self, app):
            gc.set_threshold(*thresholds)
            yield

    cms_app._Standalone._lifespan = lifespan  # type: ignore[method-assign]


# --- the driver ------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
SEED_SLUG = "peruvian-president-dina-boluarte-arrives-in-beijing-for-landmark-state-visit"


def page_bodies() -> dict[str, bytes]:
    """The suite's pages: list (ListPage, first: 20), list100 (first: 100), article (the seed
    article), tag (``china``) and search (``climate talks``)."""

    def load(name: str, variables: dict[str, Any]) -> bytes:
        text = (REPO / "schema" / "operations" / f"{name}.graphql").read_text(encoding="utf-8")
        return json.dumps({"query": text, "operationName": name, "variables": variables}).encode()

    return {
        "list": load("ListPage", {"first": 20}),
        "list100": load("ListPage", {"first": 100}),
        "article": load("ArticlePage", {"slug": SEED_SLUG}),
        "tag": load("TagPage", {"slug": "china"}),
        "search": load("Search", {"query": "climate talks"}),
    }


def wait_ready(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    import httpx

    from bench.common import HOST, tail

    deadline = time.monotonic() + 60
    with httpx.Client(base_url=f"http://{HOST}:{port}", trust_env=False, timeout=5) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited ({server.returncode}):\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/readyz").status_code == 200:
                    return
            time.sleep(0.1)
    raise RuntimeError(f"the server was not ready in 60 s:\n{tail(log)}")


def build_database(work: Path, articles: int, env: dict[str, str]) -> float:
    from bench.common import run_cli

    fixture = work / "generated.json"
    generate = ["fixtures", "generate", "--articles", str(articles), "--seed", "1"]
    return (
        run_cli([*generate, "-o", str(fixture)], env)
        + run_cli(["migrate"], env)
        + run_cli(["fixtures", "load", str(fixture)], env)
        + run_cli(["fixtures", "load"], env)
    )


@dataclass
class Run:
    variant: str
    page: str
    rate: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    bad: int
    numbers: dict[str, Any]


def _server(port: int, env: dict[str, str], log: Path, checkout: Path) -> subprocess.Popen[bytes]:
    from bench.common import HOST

    with log.open("wb") as out:
        return subprocess.Popen(
            [
                *(sys.executable, str(checkout / "bench" / "stalls.py"), "serve"),
                *("--host", HOST, "--port", str(port)),
            ],
            env=env,
            cwd=checkout,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _read_numbers(path: Path, server: subprocess.Popen[bytes]) -> dict[str, Any]:
    path.unlink(missing_ok=True)
    os.kill(server.pid, signal.SIGUSR2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            numbers: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return numbers
        time.sleep(0.05)
    raise RuntimeError("the server wrote no numbers")


def measure(
    wrk: str,
    port: int,
    server: subprocess.Popen[bytes],
    out: Path,
    body: bytes,
    args: argparse.Namespace,
    work: Path,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A 1 s warm-up, then a fresh start of the server's numbers and one measured wrk run."""
    from bench.wrk import run_wrk

    script = work / "stalls.lua"
    run_wrk(wrk, port, body, 1, script, args.connections)
    os.kill(server.pid, signal.SIGUSR1)
    result = run_wrk(wrk, port, body, args.seconds, script, args.connections)
    numbers = {
        "rate": result.rate,
        "bad": result.bad,
        **{name: getattr(result, name) for name in ("p50_ms", "p99_ms", "p999_ms", "max_ms")},
    }
    return numbers, _read_numbers(out, server)


def stall_table(numbers: list[dict[str, Any]]) -> list[str]:
    """Stalls by cause: the largest share of each stall names it."""
    causes: dict[str, list[float]] = {}
    for each in numbers:
        for stall in each["stalls"]:
            parts = {
                f"gc gen {max(stall['gc_generations'])}"
                if stall["gc_generations"]
                else "gc": stall["gc_ms"],
                "sqlite reads": stall["sqlite_ms"],
                "markdown": stall["markdown_ms"],
            }
            rest = stall["ms"] - sum(parts.values())
            cause, share = max(parts.items(), key=lambda x: x[1])
            if rest >= share:
                cause = f"python: {stall['what']}"
            if stall.get("cpu_ms", stall["ms"]) < stall["ms"] / 2:
                cause = "descheduled (the thread ran < half of it: other processes)"
            causes.setdefault(cause, []).append(stall["ms"])
    lines = []
    for cause, times in sorted(causes.items(), key=lambda x: -sum(x[1])):
        times.sort()
        lines.append(
            f"    {cause[:60]:<60} {len(times):>6} {statistics.median(times):>8.1f}"
            f" {times[-1]:>8.1f} {sum(times):>9.0f}"
        )
    return lines


def gc_table(numbers: list[dict[str, Any]]) -> list[str]:
    lines = []
    seconds = sum(x["seconds"] for x in numbers)
    for generation in (0, 1, 2):
        times = sorted(
            took * 1e3 for x in numbers for g, took, _ in x["collections"] if g == generation
        )
        if not times:
            lines.append(f"    gen {generation}: none")
            continue
        p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
        rate, share = len(times) / seconds, sum(times) / seconds / 10
        lines.append(
            f"    gen {generation}: {rate:>7.1f}/s  median {statistics.median(times):6.2f} ms"
            f"  p99 {p99:6.2f} ms  max {times[-1]:6.2f} ms  total {share:5.1f}% of the time"
        )
    return lines


def report(runs: list[Run]) -> None:
    keys = list(dict.fromkeys((r.page, r.variant) for r in runs))
    for page, variant in keys:
        mine = [r for r in runs if r.page == page and r.variant == variant]
        numbers = [r.numbers for r in mine]
        seconds = sum(x["seconds"] for x in numbers)
        busy = sum(x["busy_s"] for x in numbers)
        reads, read_s = (sum(x["sqlite"][i] for x in numbers) for i in (0, 1))
        read_max = max(x["sqlite"][2] for x in numbers)
        renders = sum(x["markdown"][0] for x in numbers)
        render_s = sum(x["markdown"][1] for x in numbers)
        render_max = max(x["markdown"][2] for x in numbers)
        med = statistics.median
        print(
            f"\n== {page} / {variant}: {med(r.rate for r in mine):.0f} req/s,"
            f" p50 {med(r.p50_ms for r in mine):.1f} ms, p99 {med(r.p99_ms for r in mine):.1f} ms,"
            f" p99.9 {med(r.p999_ms for r in mine):.1f} ms,"
            f" max {max(r.max_ms for r in mine):.1f} ms"
            f" (rounds: {', '.join(f'{r.p50_ms:.1f}/{r.p99_ms:.1f}' for r in mine)}; bad"
            f" {sum(r.bad for r in mine)})"
        )
        print(
            f"  loop busy {100 * busy / seconds:.0f}%,"
            f" callbacks {sum(x['callbacks'] for x in numbers)},"
            f" gc threshold {numbers[0]['gc_threshold']}, frozen {numbers[0]['gc_frozen']}"
        )
        print(
            f"  sqlite reads on the loop: {reads} ({read_s / max(reads, 1) * 1e3:.3f} ms each,"
            f" max {read_max * 1e3:.1f} ms); markdown: {renders} renders"
            f" ({render_s * 1e3:.0f} ms, max {render_max * 1e3:.1f} ms)"
        )
        print("  collections:")
        print("\n".join(gc_table(numbers)))
        stalls = sum(len(x["stalls"]) for x in numbers)
        print(f"  stalls (callbacks over the threshold): {stalls}")
        print(f"    {'cause':<60} {'count':>6} {'med ms':>8} {'max ms':>8} {'total ms':>9}")
        print("\n".join(stall_table(numbers)))


@contextlib.contextmanager
def database(args: argparse.Namespace, env: dict[str, str], work: Path) -> Iterator[str]:
    from bench.suite import scratch_postgres

    if args.database_url:
        yield args.database_url
        return
    with contextlib.ExitStack() as stack:
        if args.postgres:
            url = stack.enter_context(scratch_postgres(args.postgres))
        else:
            url = f"sqlite://{work / 'cms.sqlite3'}"
        took = build_database(work, args.articles, {**env, "CMS_DATABASE_URL": url})
        print(f"built {args.articles} articles in {took:.0f} s", flush=True)
        yield url


def _variants(specs: list[str] | None) -> dict[str, dict[str, str]]:
    if not specs:
        return {"base": {}}
    variants = {}
    for spec in specs:
        name, _, assignments = spec.partition("=")
        pairs = (a.partition("=") for a in assignments.split(";") if a)
        variants[name] = {k: v for k, _, v in pairs}
    return variants


def drive(args: argparse.Namespace) -> None:
    from bench.common import free_port, stop
    from bench.wrk import ensure_wrk

    base = {k: v for k, v in os.environ.items() if not k.startswith(("CMS_", "STALLS_"))}
    variants = _variants(args.variant)
    bodies = page_bodies()
    wrk = ensure_wrk()
    head = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
    )
    print(f"commit: {head.stdout.strip()}", flush=True)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="cms-stalls-") as tmp:
        work = Path(tmp)
        with database(args, base, work) as url:
            servers = {}
            try:
                for name, extra in variants.items():
                    port, out, log = free_port(), work / f"{name}.json", work / f"{name}.log"
                    env = {
                        **base,
                        "CMS_DATABASE_URL": url,
                        "CMS_RESPONSE_CACHE": "false",
                        OUT_ENV: str(out),
                        STALL_MS_ENV: str(args.stall_ms),
                        **extra,
                    }
                    checkout = Path(env.pop(CHECKOUT_ENV, REPO))
                    server = _server(port, env, log, checkout)
                    servers[name] = (server, port, out)
                    wait_ready(server, port, log)
                for page in args.pages.split(","):
                    for round_number in range(args.rounds):
                        names = list(variants)
                        shift = round_number % len(names)
                        for name in names[shift:] + names[:shift]:
                            server, port, out = servers[name]
                            result, numbers = measure(
                                wrk, port, server, out, bodies[page], args, work
                            )
                            runs.append(Run(name, page, numbers=numbers, **result))
                            print(
                                f"  {page} {name}: {result['rate']:.0f} req/s p50"
                                f" {result['p50_ms']:.1f} p99 {result['p99_ms']:.1f} ms,"
                                f" {len(numbers['stalls'])} stalls",
                                flush=True,
                            )
            finally:
                for server, *_ in servers.values():
                    stop(server)
    print(
        f"\nwrk -t1 -c{args.connections} -d{args.seconds}s per round, {args.rounds} rounds,"
        f" variants alternating; stall = a loop callback over {args.stall_ms} ms"
    )
    for name, extra in variants.items():
        print(f"  {name}: {extra or '(defaults)'}")
    report(runs)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pages", default="list,article")
    parser.add_argument("--stall-ms", type=float, default=10.0)
    parser.add_argument("--postgres", help="build on a scratch database of this server")
    parser.add_argument("--database-url", help="serve this database as it is (no build)")
    parser.add_argument(
        "--variant",
        action="append",
        help="NAME=VAR=VALUE;VAR=VALUE (server environment), e.g. tuned=STALLS_GC=5000,20,100",
    )
    drive(parser.parse_args())


if __name__ == "__main__":
    main()
