"""Operations: /healthz and /readyz (in-process and mounted); graceful shutdown of `cms serve`."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import Message
from tortoise.context import get_current_context

from cms import db, health
from cms.app import ContentService, create_app
from cms.settings import Settings
from tests.conftest import free_port, seeded_env
from tests.databases import FreshDatabases
from tests.graphql.conftest import SQLCounter, counting

MIGRATIONS = sorted(
    f"cms.{path.stem}"
    for path in (Path(__file__).resolve().parent.parent / "cms" / "migrations").glob("0*.py")
)


@asynccontextmanager
async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@asynccontextmanager
async def open_in_another_task(service: ContentService) -> AsyncIterator[None]:
    """Run the service's lifespan in a task of its own, as a server does: requests made from
    this task then reach the database only through the service's per-request context."""
    opened, done = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with service.lifespan():
            opened.set()
            await done.wait()

    task = asyncio.create_task(hold())
    try:
        async with asyncio.timeout(10):
            await opened.wait()
        assert get_current_context() is None
        yield
    finally:
        done.set()
        await task


@pytest.fixture
def statements() -> Iterator[SQLCounter]:
    with counting() as counter:
        yield counter


async def test_healthz_is_ok_without_touching_the_database(
    db_settings: Settings, statements: SQLCounter
) -> None:
    service = ContentService(db_settings)
    async with open_in_another_task(service), client_for(service.app) as client:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert response.headers["cache-control"] == "no-store"
        assert statements.statements == []
        # ... while /readyz does query it (so the counter above can see statements).
        assert (await client.get("/readyz")).status_code == 200
        assert statements.statements != []


async def test_readyz_is_ready_on_a_migrated_database(db_settings: Settings) -> None:
    service = ContentService(db_settings)
    async with open_in_another_task(service), client_for(service.app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_health_checks_need_no_token(db_settings: Settings) -> None:
    service = ContentService(db_settings)
    bogus = {"Authorization": "Bearer not-a-token"}
    async with open_in_another_task(service), client_for(service.app) as client:
        assert (
            await client.post("/graphql", json={"query": "{ __typename }"}, headers=bogus)
        ).json()["errors"]
        assert (await client.get("/healthz", headers=bogus)).status_code == 200
        assert (await client.get("/readyz", headers=bogus)).status_code == 200


async def test_readyz_names_the_pending_migrations(databases: FreshDatabases) -> None:
    service = ContentService(databases.empty())
    async with service.lifespan(), client_for(service.app) as client:
        healthz = await client.get("/healthz")
        response = await client.get("/readyz")
    assert healthz.status_code == 200
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert len(MIGRATIONS) >= 3
    for name in MIGRATIONS:
        assert name in body["reason"]
    assert "cms migrate" in body["reason"]


async def test_readyz_says_when_the_database_is_unreachable(tmp_path: Path) -> None:
    missing = tmp_path / "missing-directory" / "cms.sqlite3"
    service = ContentService(Settings(database_url=f"sqlite://{missing}"))
    async with service.lifespan(), client_for(service.app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "database unreachable (OperationalError)",
    }


async def test_a_database_that_cannot_be_opened_never_holds_requests_up(tmp_path: Path) -> None:
    """The first failed connect used to keep the SQLite client's lock: every later request
    waited for it (until /readyz's timeout, and GraphQL until shutdown)."""
    missing = tmp_path / "missing-directory" / "cms.sqlite3"
    service = ContentService(Settings(database_url=f"sqlite://{missing}"))
    # The database error escapes the GraphQL view: a JSON 500 with the request id; what matters
    # here is that every request is answered at once.
    transport = httpx.ASGITransport(app=service.app, raise_app_exceptions=False)
    async with (
        service.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        for _ in range(3):
            async with asyncio.timeout(health.READY_TIMEOUT_SECONDS - 1):
                response = await client.get("/readyz")
                graphql = await client.post("/graphql", json={"query": "{ __typename }"})
            assert response.json()["reason"] == "database unreachable (OperationalError)"
            assert graphql.status_code == 500
            assert graphql.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


async def lifespan_startup(app: Any) -> Message:
    """Start ``app``'s ASGI lifespan as a server does; the app's first answer (within 10 s)."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    try:
        async with asyncio.timeout(10):
            return await outbox.get()
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        async with asyncio.timeout(10):
            await asyncio.wait({task})


async def test_the_standalone_app_refuses_a_database_that_is_not_migrated(
    databases: FreshDatabases,
) -> None:
    """`cms serve`'s app (with any number of workers) does not start on an unmigrated
    database; the server logs one line that says why, not a traceback. A mounted service
    starts instead, and says so on /readyz (above)."""
    settings = databases.empty()
    if settings.database_url.startswith("sqlite://"):
        sqlite3.connect(settings.database_url.removeprefix("sqlite://")).close()
    message = await lifespan_startup(create_app(settings))
    assert message["type"] == "lifespan.startup.failed"
    assert message["message"] == (
        f"the database {db.describe(settings.database_url)} is not migrated "
        f"(pending: {', '.join(MIGRATIONS)}): run `cms migrate` on it"
    )


async def test_the_standalone_app_starts_on_a_migrated_database(db_settings: Settings) -> None:
    message = await lifespan_startup(create_app(db_settings))
    assert message == {"type": "lifespan.startup.complete"}


async def test_readyz_gives_up_on_a_database_that_does_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def hang() -> str | None:
        await asyncio.sleep(30)
        return None

    monkeypatch.setattr(health, "_not_ready_because", hang)
    app = Starlette(routes=health.health_routes(lambda: True, timeout=0.05))
    async with client_for(app) as client:
        started = time.monotonic()
        response = await client.get("/readyz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "the database did not answer within 0.05 s",
    }


async def test_outside_the_lifespan_healthz_answers_and_readyz_says_why(
    db_settings: Settings,
) -> None:
    service = ContentService(db_settings)
    async with client_for(service.app) as client:
        healthz = await client.get("/healthz")
        readyz = await client.get("/readyz")
        graphql = await client.post("/graphql", json={"query": "{ __typename }"})
    assert healthz.status_code == 200
    assert healthz.json() == {"status": "ok"}
    assert readyz.status_code == 503
    assert readyz.json() == {"status": "unavailable", "reason": "the database is not open"}
    assert graphql.status_code == 503  # only the health checks skip the database check


async def test_health_checks_are_served_where_the_service_is_mounted(
    db_settings: Settings,
) -> None:
    service = ContentService(db_settings)
    host = Starlette(routes=[Mount("/content", app=service.app)])
    async with client_for(host) as client:
        assert (await client.get("/content/healthz")).json() == {"status": "ok"}
        closed = await client.get("/content/readyz")
        assert (closed.status_code, closed.json()["status"]) == (503, "unavailable")
        assert (await client.get("/content/graphql")).status_code == 503
        async with open_in_another_task(service):
            healthz = await client.get("/content/healthz")
            readyz = await client.get("/content/readyz")
        assert (await client.get("/healthz")).status_code == 404
    assert (healthz.status_code, healthz.json()) == (200, {"status": "ok"})
    assert (readyz.status_code, readyz.json()) == (200, {"status": "ready"})


class Output:
    """A process's output, read line by line in a thread so a test can wait for a line."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            with self._changed:
                self.lines.append(raw.decode("utf-8", "replace"))
                self._changed.notify_all()

    def wait_for(self, text: str, count: int = 1, timeout: float = 30) -> None:
        with self._changed:
            found = self._changed.wait_for(
                lambda: sum(text in line for line in self.lines) >= count, timeout
            )
        assert found, f"no {text!r} (x{count}) in the output:\n{self.text}"

    @property
    def text(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def close(self) -> None:
        self._thread.join(timeout=30)


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """An HTTP/1.1 response read until the server closes the connection (status 0: none)."""
    data = b""
    with suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    if not data:
        return 0, {}, b""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@contextmanager
def serving(
    databases: FreshDatabases, workers: int, **env: str
) -> Iterator[tuple[subprocess.Popen[bytes], Output, int]]:
    """`cms serve` on a seeded database, once every worker has started; killed if still up."""
    port = free_port()
    args = [sys.executable, "-m", "cms", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        args, env={**seeded_env(databases), **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    output = Output(process.stdout)
    try:
        output.wait_for("Application startup complete", count=workers)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        yield process, output, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        output.close()
        process.stdout.close()


def post_during_sigterm(
    process: subprocess.Popen[bytes], output: Output, port: int, request_id: str, wait_for: str
) -> tuple[int, dict[str, str], bytes]:
    """POST a query whose body arrives in two parts, sending SIGTERM to the server in between
    (once it logs ``wait_for``); the response as read until the server closes the connection."""
    body = json.dumps({"query": "{ articles { totalCount } }"}).encode()
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"X-Request-ID: {request_id}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body[:10])
        time.sleep(0.5)  # the server reads the headers: the request is now in flight
        process.send_signal(signal.SIGTERM)
        output.wait_for(wait_for)
        with suppress(OSError):  # the server may already have dropped the connection
            sock.sendall(body[10:])
        return read_response(sock)


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_lets_a_request_in_flight_finish(databases: FreshDatabases, workers: int) -> None:
    with serving(databases, workers, CMS_LOG_JSON="true") as (process, output, port):
        status, headers, payload = post_during_sigterm(
            process, output, port, "in-flight-1", "Waiting for connections to close"
        )
        assert status == 200, payload
        assert json.loads(payload) == {"data": {"articles": {"totalCount": 1}}}
        assert headers["x-request-id"] == "in-flight-1"
        assert process.wait(timeout=30) == 0
    # The request was logged once, by cms (as JSON), not by uvicorn's access log.
    access = [
        json.loads(line)
        for line in output.lines
        if line.startswith("{") and '"cms.access"' in line and "/graphql" in line
    ]
    assert [(r["method"], r["status"], r["request_id"]) for r in access] == [
        ("POST", 200, "in-flight-1")
    ]
    assert 'HTTP/1.1" 200' not in output.text


def test_requests_longer_than_the_grace_period_are_cancelled(databases: FreshDatabases) -> None:
    with serving(databases, 1, CMS_GRACEFUL_SHUTDOWN_SECONDS="1") as (process, output, port):
        status, _, payload = post_during_sigterm(
            process, output, port, "too-slow", "timeout graceful shutdown exceeded"
        )
        assert process.wait(timeout=30) == 0
    assert status != 200, payload
