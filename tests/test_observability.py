"""Request ids (taken from or returned in X-Request-ID, quoted by internal errors) and the
structured access log."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.types import Message

from cms.app import ContentService
from cms.fixtures.service import load_files
from cms.observability import (
    JSONFormatter,
    RequestLogMiddleware,
    configure_logging,
    current_request_id,
)
from cms.settings import Settings
from tests.conftest import SEED_JSON
from tests.databases import FreshDatabases

GENERATED = re.compile(r"[0-9a-f]{32}")
ACCESS_KEYS = {"method", "path", "status", "duration_ms", "request_id", "client"}


@pytest.fixture
async def service(db_settings: Settings) -> AsyncIterator[ContentService]:
    content = ContentService(db_settings)
    async with content.lifespan():
        yield content


@pytest.fixture
async def client(service: ContentService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def cms_logging() -> Iterator[logging.Logger]:
    """The `cms` logger, restored (handlers and level) after the test configures it."""
    logger = logging.getLogger("cms")
    handlers, level = list(logger.handlers), logger.level
    try:
        yield logger
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)


async def test_a_sane_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    for given in ("abc.DEF_123-x", "x" * 128, "7"):
        response = await client.get("/healthz", headers={"X-Request-ID": given})
        assert response.headers["x-request-id"] == given


async def test_a_request_id_is_generated_when_absent(client: httpx.AsyncClient) -> None:
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert GENERATED.fullmatch(first), first
    assert GENERATED.fullmatch(second), second
    assert first != second


@pytest.mark.parametrize(
    "given",
    [b"", b"has space", b"x" * 129, "caf\u00e9".encode("latin-1"), b"a/b", b"line\tbreak"],
)
async def test_a_malformed_request_id_is_replaced(client: httpx.AsyncClient, given: bytes) -> None:
    response = await client.get("/healthz", headers=[(b"X-Request-ID", given)])
    returned = response.headers["x-request-id"]
    assert GENERATED.fullmatch(returned), returned
    assert returned.encode() != given


async def test_errors_and_the_graphiql_page_carry_the_request_id(
    client: httpx.AsyncClient,
) -> None:
    not_found = await client.get("/nope", headers={"X-Request-ID": "r-404"})
    assert (not_found.status_code, not_found.headers["x-request-id"]) == (404, "r-404")
    bad = await client.post(
        "/graphql",
        content=b"{not json",
        headers={"Content-Type": "application/json", "X-Request-ID": "r-400"},
    )
    assert (bad.status_code, bad.headers["x-request-id"]) == (400, "r-400")
    page = await client.get("/graphql", headers={"Accept": "text/html", "X-Request-ID": "r-ide"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-request-id"] == "r-ide"


async def test_the_closed_service_503_carries_the_request_id(db_settings: Settings) -> None:
    service = ContentService(db_settings)  # lifespan not entered
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 503
    assert GENERATED.fullmatch(response.headers["x-request-id"])


async def test_an_exception_in_the_app_is_logged_and_answered_as_a_json_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    app = RequestLogMiddleware(broken)
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [(b"x-request-id", b"b1")]}

    async def receive() -> Message:
        raise AssertionError("not called")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO, logger="cms"):
        await app(scope, receive, send)  # handled here: the server has nothing left to print
    start, body = sent
    assert start["status"] == 500 and (b"content-type", b"application/json") in start["headers"]
    assert (b"x-request-id", b"b1") in start["headers"]
    error = json.loads(body["body"])["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "b1"}
    (record,) = [vars(r) for r in caplog.records if r.name == "cms.access"]
    assert (record["status"], record["request_id"], record["path"]) == (500, "b1", "/x")
    (logged,) = [r for r in caplog.records if r.name == "cms.http"]
    assert logged.exc_info is not None and str(logged.exc_info[1]) == "boom"
    assert current_request_id() is None


async def test_an_internal_error_quotes_the_request_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from cms.graphql import resolvers

    await load_files([SEED_JSON])

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("secret database detail")

    monkeypatch.setattr(resolvers, "reading_time_minutes", broken)
    with caplog.at_level(logging.ERROR, logger="cms.graphql"):
        response = await client.post(
            "/graphql", json={"query": "{ articles { edges { node { readingTimeMinutes } } } }"}
        )
    request_id = response.headers["x-request-id"]
    assert GENERATED.fullmatch(request_id)
    (error,) = response.json()["errors"]
    assert error["message"] == f"Internal server error (request id {request_id})"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert "secret" not in response.text
    (record,) = [r for r in caplog.records if r.name == "cms.graphql"]
    assert vars(record)["request_id"] == request_id
    assert request_id in record.getMessage()


async def test_a_user_error_carries_no_request_id(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ articles { nope } }"})
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "request id" not in error["message"]


async def test_one_access_record_per_request(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="cms.access"):
        await client.get("/readyz", headers={"X-Request-ID": "one"})
        await client.post("/graphql", json={"query": "{ __typename }"})
    records = [r for r in caplog.records if r.name == "cms.access"]
    assert len(records) == 2
    first, second = (vars(r) for r in records)
    assert {k: first[k] for k in ("method", "path", "status", "request_id")} == {
        "method": "GET",
        "path": "/readyz",
        "status": 200,
        "request_id": "one",
    }
    assert (second["method"], second["path"], second["status"]) == ("POST", "/graphql", 200)
    assert all(r.levelno == logging.INFO for r in records)


async def test_the_access_log_is_json_when_configured(
    client: httpx.AsyncClient, cms_logging: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(Settings(log_json=True))
    configure_logging(Settings(log_json=True))  # twice: still one handler, one line per record
    capsys.readouterr()
    response = await client.get("/healthz", headers={"X-Request-ID": "json-1"})
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    record = json.loads(lines[0])
    assert record.keys() >= ACCESS_KEYS
    assert record["logger"] == "cms.access"
    assert record["level"] == "INFO"
    assert (record["method"], record["path"], record["status"]) == ("GET", "/healthz", 200)
    assert record["request_id"] == "json-1" == response.headers["x-request-id"]
    assert isinstance(record["duration_ms"], (int, float)) and record["duration_ms"] >= 0
    assert record["client"] == "127.0.0.1:123"  # httpx's ASGITransport's client address


async def test_the_access_log_is_plain_text_when_json_is_off(
    client: httpx.AsyncClient, cms_logging: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(Settings(log_json=True))
    configure_logging(Settings(log_json=False))  # reconfigured, not added
    capsys.readouterr()
    await client.get("/healthz", headers={"X-Request-ID": "text-1"})
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
    assert "cms.access" in line
    assert "GET /healthz 200" in line
    assert "request_id=text-1" in line


async def test_quiet_paths_are_logged_at_debug_wherever_the_app_is_mounted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Paths given as quiet (a scraper's) are logged at DEBUG, matched relative to the mount;
    the same path elsewhere, and every other path, at INFO."""

    async def ok(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = RequestLogMiddleware(ok, quiet=["/metrics"])

    async def receive() -> Message:
        raise AssertionError("not called")

    async def send(message: Message) -> None:
        pass

    requests = [("/content/metrics", "/content"), ("/metrics", ""), ("/other/metrics", "")]
    with caplog.at_level(logging.DEBUG, logger="cms.access"):
        for path, root_path in requests:
            scope = {"type": "http", "method": "GET", "path": path, "root_path": root_path}
            await app(scope, receive, send)
    levels = [(vars(r)["path"], r.levelno) for r in caplog.records if r.name == "cms.access"]
    assert levels == [
        ("/content/metrics", logging.DEBUG),
        ("/metrics", logging.DEBUG),
        ("/other/metrics", logging.INFO),
    ]


def test_the_json_formatter_keeps_extras_and_tracebacks() -> None:
    logger = logging.getLogger("cms.test")
    try:
        raise ValueError("bad value")
    except ValueError:
        record = logger.makeRecord(
            "cms.test",
            logging.ERROR,
            __file__,
            1,
            "failed %s",
            ("here",),
            exc_info=sys.exc_info(),
            extra={"request_id": "f-1", "answer": 42},
        )
    line = JSONFormatter().format(record)
    assert "\n" not in line
    payload = json.loads(line)
    assert payload["message"] == "failed here"
    assert (payload["level"], payload["logger"]) == ("ERROR", "cms.test")
    assert (payload["request_id"], payload["answer"]) == ("f-1", 42)
    assert "ValueError: bad value" in payload["exc_info"]
    assert "args" not in payload and "msg" not in payload


def test_there_is_no_request_id_outside_a_request() -> None:
    assert current_request_id() is None


@pytest.mark.parametrize("log_json", [True, False])
def test_uvicorn_logs_through_the_same_formatter(databases: FreshDatabases, log_json: bool) -> None:
    """Under `cms serve` with CMS_LOG_JSON on, uvicorn's own lines (startup, shutdown,
    errors) are JSON lines too, so a log pipeline parses every line; off, plain text."""
    from tests.test_health import serving

    env = {"CMS_LOG_JSON": str(log_json).lower()}
    with serving(databases, 1, **env) as (process, output, _):
        process.terminate()
        assert process.wait(timeout=30) == 0
    output.close()
    lines = [line for line in output.lines if line.strip()]
    assert any("Application startup complete" in line for line in lines), output.text
    if log_json:
        records = [json.loads(line) for line in lines]  # every line, or this raises
        loggers = {record["logger"] for record in records}
        assert {"uvicorn.error", "cms.serve"} <= loggers, loggers
        assert all("color_message" not in record for record in records)
    else:
        assert not any(line.startswith("{") for line in lines), output.text
        assert any(line.startswith("INFO:     Application startup complete") for line in lines)
