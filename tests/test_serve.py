"""`cms serve` as a user runs it: a real uvicorn process answering GraphQL over HTTP."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import SEED_SLUG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(template_db: Path, tmp_path: Path) -> Iterator[str]:
    database = tmp_path / "served.sqlite3"
    shutil.copyfile(template_db, database)
    env = {**os.environ, "CMS_DATABASE_URL": f"sqlite://{database}"}
    cms = [sys.executable, "-m", "cms"]
    subprocess.run([*cms, "fixtures", "load"], env=env, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [*cms, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url, params={"query": "{__typename}"}, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"cms serve did not start:\n{output}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_serve_answers_graphql_over_http(server: str) -> None:
    query = "query($slug: String!) { article(slug: $slug) { title tags { slug } } }"
    with httpx.Client() as client:
        for _ in range(6):  # several requests, so both workers answer some
            response = client.post(server, json={"query": query, "variables": {"slug": SEED_SLUG}})
            assert response.status_code == 200
            article = response.json()["data"]["article"]
            assert article["title"].startswith("Peruvian President Dina Boluarte")
            assert article["tags"][0] == {"slug": "dina-boluarte"}
        response = client.get(server, params={"query": "{ articles { totalCount } }"})
        assert response.json() == {"data": {"articles": {"totalCount": 1}}}
