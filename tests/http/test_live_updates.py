"""Live updates against real `cms serve` processes: graphql-transport-ws (websockets) and GraphQL
over SSE (httpx streaming), tokens, replay then live, filters, the subscriber limit, and two
processes on one database (on PostgreSQL with ``CMS_TEST_POSTGRES_URL``: the deployment's
shape), with the latency from a write's answer to its subscriber measured."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from tests.conftest import free_ports, running
from tests.databases import FreshDatabases
from tests.test_replicas import write_token

CREATE = """mutation($title: String!, $status: ArticleStatus, $tags: [String!]) {
  createArticle(input: {title: $title, body: "Body.", status: $status,
    publishedAt: "2024-01-01T00:00:00Z", tags: $tags}) { article { id } errors { code } } }"""
SUBSCRIBE = """subscription($after: String, $tags: [String!]) {
  contentChanged(after: $after, tags: $tags) { cursor kind type slug article { title } } }"""
HEAD = "{ changesHead }"
PROTOCOLS = [Subprotocol("graphql-transport-ws")]


@pytest.fixture
def servers(databases: FreshDatabases) -> Iterator[tuple[list[str], str]]:
    """Two `cms serve` processes on one seeded database (a subscriber limit of 2 each, fast
    heartbeats), and a write token."""
    settings = databases.new()
    token = write_token(settings)
    env = {
        **os.environ,
        "CMS_DATABASE_URL": settings.database_url,
        "CMS_MAX_SUBSCRIBERS": "2",
        "CMS_SUBSCRIPTION_HEARTBEAT_SECONDS": "0.5",
    }
    ports = free_ports(2)
    args = [[sys.executable, "-m", "cms", "serve", "--port", str(port)] for port in ports]
    urls = [f"http://127.0.0.1:{port}/graphql" for port in ports]
    with running(args[0], env, urls[0]), running(args[1], env, urls[1]):
        yield urls, token


async def post(url: str, query: str, variables: dict[str, Any], token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            url, json={"query": query, "variables": variables}, headers=headers
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def head(url: str) -> str:
    """The cursor to subscribe from so that nothing written afterwards is missed."""
    cursor: str = (await post(url, HEAD, {}))["changesHead"]
    return cursor


def errors_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The errors of a graphql-transport-ws ``error`` message or of a ``next`` with errors."""
    found: list[dict[str, Any]] = (
        message["payload"] if message["type"] == "error" else message["payload"].get("errors", [])
    )
    return found


async def create(url: str, token: str, title: str, **more: Any) -> None:
    variables = {"title": title, "status": "PUBLISHED", **more}
    data = await post(url, CREATE, variables, token)
    assert data["createArticle"]["errors"] == [], data


class Socket:
    """One graphql-transport-ws connection."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.pings = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, seconds: float = 5) -> dict[str, Any]:
        """The next message other than a ping (answered, and counted)."""
        while True:
            message: dict[str, Any] = json.loads(
                await asyncio.wait_for(self.connection.recv(), seconds)
            )
            if message["type"] != "ping":
                return message
            self.pings += 1
            await self.send({"type": "pong"})

    async def subscribe(self, id_: str, variables: dict[str, Any]) -> None:
        await self.send(
            {
                "id": id_,
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": variables},
            }
        )

    async def change(self, seconds: float = 5) -> dict[str, Any]:
        message = await self.receive(seconds)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        change: dict[str, Any] = message["payload"]["data"]["contentChanged"]
        return change


@asynccontextmanager
async def socket(url: str, payload: dict[str, Any] | None = None) -> AsyncIterator[Socket]:
    address = url.replace("http://", "ws://")
    async with websockets.connect(address, subprotocols=PROTOCOLS) as connection:
        live = Socket(connection)
        await live.send({"type": "connection_init", "payload": payload or {}})
        ack = await live.receive()
        assert ack == {"type": "connection_ack"}, ack
        yield live


async def test_a_write_reaches_subscribers_of_both_processes_within_a_second(
    servers: tuple[list[str], str],
) -> None:
    (first, second), token = servers
    latencies: list[float] = []
    start = await head(first)
    async with socket(first) as near, socket(second) as far:
        await near.subscribe("1", {"after": start})
        await far.subscribe("1", {"after": start})
        for n in range(20):
            started = time.monotonic()
            await create(first if n % 2 else second, token, f"Live {n}")
            for subscriber in (near, far):
                change = await subscriber.change(seconds=1)  # within 1 s, or it fails
                assert change["slug"] == f"live-{n}", change
                latencies.append(time.monotonic() - started)
    print(
        f"\ncommit->subscriber latency over {len(latencies)} deliveries: "
        f"median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    assert max(latencies) < 1.0


async def test_replay_then_live_without_gap_or_repeat(servers: tuple[list[str], str]) -> None:
    (first, second), token = servers
    start = await head(first)
    for n in range(3):
        await create(first, token, f"Missed {n}")
    async with socket(second) as live:
        await live.subscribe("1", {"after": start})

        async def meanwhile() -> None:
            await asyncio.gather(*(create(first, token, f"Meanwhile {n}") for n in range(5)))

        writer = asyncio.create_task(meanwhile())
        seen = [await live.change() for _ in range(8)]
        await writer
        slugs = [change["slug"] for change in seen]
        assert slugs[:3] == ["missed-0", "missed-1", "missed-2"]
        assert sorted(slugs[3:]) == sorted(f"meanwhile-{n}" for n in range(5))
        cursors = [change["cursor"] for change in seen]
        assert len(set(cursors)) == 8
        # Nothing more comes: one more write is the next message, no repeat before it.
        await create(second, token, "Last")
        assert (await live.change())["slug"] == "last"


async def test_tokens_decide_what_a_socket_sees(servers: tuple[list[str], str]) -> None:
    (url, _), token = servers
    async with (
        socket(url) as anonymous,
        socket(url, {"Authorization": f"Bearer {token}"}) as writer,
    ):
        start = await head(url)
        await anonymous.subscribe("a", {"after": start})
        await writer.subscribe("w", {"after": start})
        await create(url, token, "Secret", status="DRAFT")
        await create(url, token, "Public")
        assert (await writer.change())["slug"] == "secret"
        assert (await writer.change())["slug"] == "public"
        public = await anonymous.change()
        assert public["slug"] == "public"  # the draft never reached it


async def test_a_refused_token_closes_the_socket(servers: tuple[list[str], str]) -> None:
    (url, _), _ = servers
    address = url.replace("http://", "ws://")
    for payload in ({"Authorization": "Bearer cms_nope_nope"}, {"authorization": "Basic x"}):
        async with websockets.connect(address, subprotocols=PROTOCOLS) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    headers = {"Authorization": "Bearer cms_nope_nope"}
    async with websockets.connect(
        address, subprotocols=PROTOCOLS, additional_headers=headers
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_queries_go_over_http_and_sockets_ping(servers: tuple[list[str], str]) -> None:
    (url, _), _ = servers
    async with socket(url) as live:
        await live.send({"id": "q", "type": "subscribe", "payload": {"query": HEAD}})
        assert errors_of(await live.receive())[0]["extensions"]["code"] == "BAD_REQUEST"
        deadline = time.monotonic() + 5
        while live.pings == 0:  # heartbeats every 0.5 s here; receive() counts and answers
            assert time.monotonic() < deadline
            with contextlib.suppress(TimeoutError):
                await live.receive(seconds=0.2)


async def test_tags_filter_and_sse(servers: tuple[list[str], str]) -> None:
    (url, other), token = servers
    body = {"query": SUBSCRIBE, "variables": {"tags": ["china"], "after": await head(url)}}
    headers = {"Accept": "text/event-stream"}
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream("POST", url, json=body, headers=headers) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        await create(other, token, "Not China", tags=["peru"])
        await create(other, token, "About China", tags=["china"])
        data = None
        heartbeat = False
        while data is None:
            line = await asyncio.wait_for(anext(lines), 5)
            heartbeat = heartbeat or line.startswith(":")
            if line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
        assert data["data"]["contentChanged"]["slug"] == "about-china"
        while not heartbeat:  # idle now: comment lines keep it open
            heartbeat = (await asyncio.wait_for(anext(lines), 5)).startswith(":")


async def test_the_limit_refuses_one_more_and_frees_places(servers: tuple[list[str], str]) -> None:
    (url, _), token = servers
    start = await head(url)
    async with socket(url) as live:
        await live.subscribe("1", {"after": start})
        await live.subscribe("2", {"after": start})
        await live.subscribe("3", {"after": start})
        refused = await live.receive()
        assert refused["id"] == "3", refused
        assert errors_of(refused)[0]["extensions"]["code"] == "TOO_MANY_SUBSCRIBERS"
        await live.send({"id": "1", "type": "complete"})
        # The place frees as the server ends the operation: retry until it is taken.
        deadline = time.monotonic() + 5
        attempt = 0
        while True:
            attempt += 1
            await live.subscribe(f"again-{attempt}", {"after": start})
            await create(url, token, f"After Limit {attempt}")
            message = await live.receive()
            while message["id"] not in (f"again-{attempt}",):
                message = await live.receive()  # "2" sees the writes too
            if not errors_of(message):
                break
            assert time.monotonic() < deadline, message
        assert message["payload"]["data"]["contentChanged"]["slug"] == "after-limit-1"
