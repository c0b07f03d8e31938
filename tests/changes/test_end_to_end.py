"""Issue 15's "done when", end to end: two `cms serve` processes on one database (PostgreSQL
with ``CMS_TEST_POSTGRES_URL``), a webhook receiver, a WebSocket subscriber on one process and
an SSE subscriber on the other. Writes through either process reach the receiver (signature
verified with standardwebhooks) and both subscribers within 1 s, once each, in log order; a
draft reaches none of them. Run with ``-s`` to see the latencies."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import websockets
from websockets.typing import Subprotocol

from tests.conftest import free_ports, running
from tests.databases import FreshDatabases
from tests.http.test_live_updates import post
from tests.test_replicas import write_token
from tests.webhooks.receiver import Receiver

CREATE = """mutation($title: String!, $status: ArticleStatus!) {
  createArticle(input: {title: $title, body: "Body.", status: $status}) {
    article { id } errors { code } } }"""
SUBSCRIBE = """subscription($after: String) {
  contentChanged(after: $after) { cursor kind type slug } }"""
WRITES = 6


@asynccontextmanager
async def _websocket(url: str, after: str, seen: list[tuple[str, float]]) -> AsyncIterator[None]:
    """A graphql-transport-ws subscriber noting each change's slug and arrival time."""
    async with websockets.connect(
        url.replace("http://", "ws://"), subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        payload = {"query": SUBSCRIBE, "variables": {"after": after}}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))

        async def read() -> None:
            async for raw in socket:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await socket.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    change = message["payload"]["data"]["contentChanged"]
                    seen.append((change["slug"], time.time()))

        task = asyncio.create_task(read())
        try:
            yield
        finally:
            task.cancel()


@asynccontextmanager
async def _sse(url: str, after: str, seen: list[tuple[str, float]]) -> AsyncIterator[None]:
    """A GraphQL-over-SSE subscriber noting each change's slug and arrival time."""

    async def read() -> None:
        body = {"query": SUBSCRIBE, "variables": {"after": after}}
        async with (
            httpx.AsyncClient(timeout=None) as client,
            client.stream(
                "POST", url, json=body, headers={"Accept": "text/event-stream"}
            ) as response,
        ):
            event = ""
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event == "next":
                    change = json.loads(line.split(":", 1)[1])["data"]["contentChanged"]
                    seen.append((change["slug"], time.time()))

    task = asyncio.create_task(read())
    try:
        yield
    finally:
        task.cancel()


def _add_endpoint(env: dict[str, str], url: str) -> str:
    """`cms webhooks add`; the secret it prints last."""
    done = subprocess.run(
        [sys.executable, "-m", "cms", "webhooks", "add", "--url", url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    secret = done.stdout.strip().splitlines()[-1].split()[-1]
    assert secret.startswith("whsec_"), done.stdout
    return secret


async def _arrived(seen: list[tuple[str, float]], count: int, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while len(seen) < count:
        assert time.monotonic() < deadline, f"{len(seen)} of {count} arrived: {seen}"
        await asyncio.sleep(0.01)


async def test_writes_through_either_replica_reach_the_receiver_and_both_subscribers(
    databases: FreshDatabases, receiver: Receiver
) -> None:
    settings = databases.new()
    token = write_token(settings)
    env = {
        **os.environ,
        "CMS_DATABASE_URL": settings.database_url,
        "CMS_WEBHOOK_ALLOW_PRIVATE": "true",
        "CMS_LOG_JSON": "false",
    }
    secret = _add_endpoint(env, receiver.url)
    ports = free_ports(2)
    urls = [f"http://127.0.0.1:{port}/graphql" for port in ports]
    args = [[sys.executable, "-m", "cms", "serve", "--port", str(port)] for port in ports]
    by_socket: list[tuple[str, float]] = []
    by_stream: list[tuple[str, float]] = []
    written: list[tuple[str, float]] = []
    with running(args[0], env, urls[0]), running(args[1], env, urls[1]):
        after = (await post(urls[0], "{ changesHead }", {}))["changesHead"]
        async with _websocket(urls[0], after, by_socket), _sse(urls[1], after, by_stream):
            await post(urls[0], CREATE, {"title": "A draft", "status": "DRAFT"}, token)
            for n in range(WRITES):
                data = await post(
                    urls[n % 2], CREATE, {"title": f"Write {n}", "status": "PUBLISHED"}, token
                )
                assert data["createArticle"]["errors"] == []
                written.append((f"write-{n}", time.time()))
                await asyncio.sleep(0.3)  # spread the writes: each one's latency is its own
            # A last write: everything before it (a duplicate, the draft) arrives before it.
            await post(urls[1], CREATE, {"title": "Last", "status": "PUBLISHED"}, token)
            await _arrived(by_socket, WRITES + 1)
            await _arrived(by_stream, WRITES + 1)
            delivered = await receiver.wait_for(WRITES + 1)
    slugs = [slug for slug, _ in written] + ["last"]
    assert [slug for slug, _ in by_socket[: WRITES + 1]] == slugs
    assert [slug for slug, _ in by_stream[: WRITES + 1]] == slugs
    payloads = [message.verified(secret) for message in delivered]
    assert [p["data"]["slug"] for p in payloads] == slugs
    delivered = delivered[:WRITES]
    payloads = payloads[:WRITES]
    assert all(p["type"] == "article.published" for p in payloads)
    assert len({message.message_id for message in delivered}) == WRITES
    latencies = {
        "webhook": [m.at - at for m, (_, at) in zip(delivered, written, strict=True)],
        "websocket": [t - at for (_, t), (_, at) in zip(by_socket, written, strict=False)],
        "sse": [t - at for (_, t), (_, at) in zip(by_stream, written, strict=False)],
    }
    for name, values in latencies.items():
        print(
            f"\n{name}: median {statistics.median(values) * 1000:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms over {len(values)} writes"
        )
        assert max(values) < 1.0, (name, values)
