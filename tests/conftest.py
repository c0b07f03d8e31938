"""Test databases are built by running the migrations (never generated from the models), once
per session into a template file that each test copies."""

from __future__ import annotations

import asyncio
import os
import shutil
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

REPO = Path(__file__).resolve().parent.parent
SEED_TEXT = REPO / "fixtures" / "000_19c78cea398296cf.txt"
SEED_JSON = REPO / "fixtures" / "seed.json"
SEED_SLUG = "peruvian-president-dina-boluarte-arrives-in-beijing-for-landmark-state-visit"


def sqlite_settings(path: Path) -> Settings:
    return Settings(database_url=f"sqlite://{path}")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with every migration applied."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(db.migrate(sqlite_settings(path)))
    return path


@pytest.fixture
def db_settings(template_db: Path, tmp_path: Path) -> Settings:
    """Settings pointing at a fresh, migrated database of this test's own."""
    path = tmp_path / "cms.sqlite3"
    shutil.copyfile(template_db, path)
    return sqlite_settings(path)


@pytest.fixture
async def database(db_settings: Settings) -> AsyncIterator[Settings]:
    """The test's database, open for the duration of the test."""
    async with db.database(db_settings):
        yield db_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def seeded_env(template_db: Path, tmp_path: Path) -> dict[str, str]:
    """Environment for a server process: a migrated copy of the template with the seed loaded."""
    database = tmp_path / "served.sqlite3"
    shutil.copyfile(template_db, database)
    env = {**os.environ, "CMS_DATABASE_URL": f"sqlite://{database}"}
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
def server(template_db: Path, tmp_path: Path) -> Iterator[str]:
    """`cms serve` with two workers on a seeded database; yields the GraphQL URL."""
    env = seeded_env(template_db, tmp_path)
    port = free_port()
    args = [sys.executable, "-m", "cms", "serve", "--port", str(port), "--workers", "2"]
    with running(args, env, f"http://127.0.0.1:{port}/graphql") as url:
        yield url
