"""Shared fixtures: a fresh migrated database per test (see :mod:`tests.databases`), the seed
files, and helpers to run real server processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from cms import db
from cms.settings import Settings
from tests.databases import Databases, FreshDatabases

REPO = Path(__file__).resolve().parent.parent
SEED_TEXT = REPO / "fixtures" / "000_19c78cea398296cf.txt"
SEED_JSON = REPO / "fixtures" / "seed.json"
SEED_SLUG = "peruvian-president-dina-boluarte-arrives-in-beijing-for-landmark-state-visit"


@pytest.fixture(scope="session")
def session_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    made = Databases(tmp_path_factory.mktemp("databases"))
    yield made
    made.close()


@pytest.fixture
def databases(session_databases: Databases) -> Iterator[FreshDatabases]:
    """Makes fresh databases for one test; drops them when the test ends."""
    made = FreshDatabases(session_databases)
    yield made
    made.close()


@pytest.fixture
def db_settings(databases: FreshDatabases) -> Settings:
    """Settings pointing at a fresh, migrated database of this test's own."""
    return databases.new()


@pytest.fixture
async def database(db_settings: Settings) -> AsyncIterator[Settings]:
    """The test's database, open for the duration of the test."""
    async with db.database(db_settings):
        yield db_settings


def build_wheel(source: Path, out: Path) -> Path:
    """Build cms's wheel from ``source`` (a checkout or a copy of one) into ``out``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("cms-*.whl")
    return wheel


def free_ports(count: int) -> list[int]:
    """Ports free right now, all different (the sockets are held until all are picked)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port() -> int:
    return free_ports(1)[0]


def seeded_env(databases: FreshDatabases) -> dict[str, str]:
    """Environment for a server process: a fresh migrated database with the seed loaded."""
    env = {**os.environ, "CMS_DATABASE_URL": databases.new().database_url}
    subprocess.run(
        [sys.executable, "-m", "cms", "fixtures", "load"], env=env, check=True, capture_output=True
    )
    return env


@contextmanager
def running(args: list[str], env: dict[str, str], url: str) -> Iterator[str]:
    """Run a server process until the block ends; ready once ``url`` answers a GraphQL GET."""
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url, params={"query": "{__typename}"}, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.communicate()[0].decode()
                raise AssertionError(f"{' '.join(args)} did not start:\n{output}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.fixture
def server(databases: FreshDatabases) -> Iterator[str]:
    """`cms serve` with two workers on a seeded database; yields the GraphQL URL."""
    env = seeded_env(databases)
    port = free_port()
    args = [sys.executable, "-m", "cms", "serve", "--port", str(port), "--workers", "2"]
    with running(args, env, f"http://127.0.0.1:{port}/graphql") as url:
        yield url
