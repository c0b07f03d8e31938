"""Test databases are built by running the migrations (never generated from the models), once
per session into a template file that each test copies."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

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
