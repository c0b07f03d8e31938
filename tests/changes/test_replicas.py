"""Two `cms serve` processes on one database (PostgreSQL with ``CMS_TEST_POSTGRES_URL``, the
deployment's shape): a scheduled publication gets one entry within a few seconds of its time
while both run, and after the one that might have announced it was killed (issue 15)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import free_ports
from tests.databases import FreshDatabases
from tests.test_replicas import write_token

CREATE = """mutation($title: String!, $at: DateTime!) {
  createArticle(input: {title: $title, body: "Body.", status: PUBLISHED, publishedAt: $at}) {
    article { id } errors { code } } }"""
CHANGES = """query($after: String) {
  changes(after: $after, first: 100) { edges { node { kind type slug at } } } }"""


@contextmanager
def _serving(port: int, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    args = [sys.executable, "-m", "cms", "serve", "--port", str(port)]
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url, params={"query": "{__typename}"}, timeout=1).is_success:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "did not start"
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=30)


def _post(port: int, query: str, variables: dict[str, Any], token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=10,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def _published(port: int, after: str) -> list[tuple[str, datetime]]:
    """What anonymous callers were told became visible after ``after``, and when."""
    edges = _post(port, CHANGES, {"after": after})["changes"]["edges"]
    return [
        (edge["node"]["slug"], datetime.fromisoformat(edge["node"]["at"]))
        for edge in edges
        if edge["node"]["kind"] == "PUBLISHED" and edge["node"]["type"] == "ARTICLE"
    ]


def _wait_for(port: int, after: str, slug: str, seconds: float) -> datetime:
    """When ``slug``'s PUBLISHED entry was first seen (polling every 50 ms)."""
    deadline = time.monotonic() + seconds
    while True:
        if any(found == slug for found, _ in _published(port, after)):
            return datetime.now(UTC)
        assert time.monotonic() < deadline, f"{slug} was never announced"
        time.sleep(0.05)


def test_a_scheduled_publication_fires_once_with_two_replicas_and_after_one_is_killed(
    databases: FreshDatabases,
) -> None:
    settings = databases.new()
    token = write_token(settings)
    env = {
        **os.environ,
        "CMS_DATABASE_URL": settings.database_url,
        "CMS_SCHEDULER_INTERVAL_SECONDS": "0.2",
        "CMS_WEBHOOK_DELIVERY": "false",
    }
    first, second = free_ports(2)
    with _serving(first, env) as one, _serving(second, env):
        after = _post(second, "{ changesHead }", {})["changesHead"]
        now = datetime.now(UTC)
        times = {"soon": now + timedelta(seconds=2), "later": now + timedelta(seconds=4)}
        for slug, when in times.items():
            data = _post(first, CREATE, {"title": slug, "at": when.isoformat()}, token)
            assert data["createArticle"]["errors"] == []
        assert _published(second, after) == []  # not before their time
        seen = _wait_for(second, after, "soon", 8)
        assert seen - times["soon"] < timedelta(seconds=3)
        # The first process may be the one whose scheduler holds the lock: kill it.
        one.send_signal(signal.SIGKILL)
        one.wait(timeout=10)
        seen = _wait_for(second, after, "later", 8)
        assert seen - times["later"] < timedelta(seconds=3)
        announced = _published(second, after)
    assert sorted(slug for slug, _ in announced) == ["later", "soon"]  # once each
    assert {slug: at for slug, at in announced} == times  # at their publication times
