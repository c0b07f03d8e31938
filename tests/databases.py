"""Test databases, on SQLite (the default) or PostgreSQL (``CMS_TEST_POSTGRES_URL``).

Every database is built by running the migrations, never generated from the models: once per
session into a template, which each test then copies (a file copy on SQLite, ``CREATE DATABASE
... TEMPLATE`` on PostgreSQL), so objects only migrations create (full-text indexes, triggers)
exist in every test.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cms import db
from cms.settings import Settings, load_settings

#: A PostgreSQL server to run the suite on, as a URL whose user may create databases, e.g.
#: ``postgres://postgres@127.0.0.1:5432/test`` (the database named is only used to connect).
POSTGRES_URL = os.environ.get("CMS_TEST_POSTGRES_URL", "").strip() or None
#: Which database the suite runs on.
DIALECT = "postgres" if POSTGRES_URL else "sqlite"
#: The executor every test database is served with (``CMS_FAST_EXECUTOR``, as in production):
#: CI runs the suite both ways.
FAST_EXECUTOR = load_settings().fast_executor


def _run(coroutine: Any) -> Any:
    """Run a coroutine to completion from sync or async code (in a thread of its own)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _pg(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return [tuple(row) for row in await connection.fetch(sql, *args)]
    finally:
        await connection.close()


class Databases:
    """Makes fresh databases for tests and drops them afterwards."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.counter = itertools.count()
        self.prefix = f"cms_test_{os.getpid()}"
        self.template = self._template()

    def _template(self) -> str:
        if POSTGRES_URL:
            name = f"{self.prefix}_template"
            _run(_pg(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            _run(_pg(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
            url = _with_database(POSTGRES_URL, name)
        else:
            url = f"sqlite://{self.scratch / 'template.sqlite3'}"
        _run(db.migrate(Settings(database_url=url)))
        return url

    #: Test services run no background jobs (the scheduler, webhook deliveries): their
    #: statements would land in other tests' statement counts. Tests of those jobs turn them on
    #: with ``dataclasses.replace(settings, scheduler=True)`` (or ``webhook_delivery=True``).
    @staticmethod
    def _settings(database_url: str, **more: Any) -> Settings:
        return Settings(database_url=database_url, scheduler=False, webhook_delivery=False, **more)

    def empty(self) -> Settings:
        """A database with nothing in it (not even migrations)."""
        number = next(self.counter)
        if POSTGRES_URL:
            name = f"{self.prefix}_{number}"
            _run(_pg(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
            return self._settings(_with_database(POSTGRES_URL, name))
        return self._settings(f"sqlite://{self.scratch / f'db{number}.sqlite3'}")

    def new(self) -> Settings:
        """A fresh database with every migration applied."""
        number = next(self.counter)
        if POSTGRES_URL:
            name = f"{self.prefix}_{number}"
            template = urlsplit(self.template).path.lstrip("/")
            _run(_pg(POSTGRES_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
            return self._settings(_with_database(POSTGRES_URL, name), fast_executor=FAST_EXECUTOR)
        path = self.scratch / f"db{number}.sqlite3"
        shutil.copyfile(self.template.removeprefix("sqlite://"), path)
        return self._settings(f"sqlite://{path}", fast_executor=FAST_EXECUTOR)

    def drop(self, settings: Settings) -> None:
        if POSTGRES_URL:
            name = urlsplit(settings.database_url).path.lstrip("/")
            _run(_pg(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            Path(settings.database_url.removeprefix("sqlite://")).unlink(missing_ok=True)

    def close(self) -> None:
        if POSTGRES_URL:
            self.drop(Settings(database_url=self.template))

    @staticmethod
    def rows(settings: Settings, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Run a query on a database outside the app (write ``$1``-style placeholders)."""
        if POSTGRES_URL:
            return _run(_pg(settings.database_url, sql, *args))  # type: ignore[no-any-return]
        import re
        import sqlite3

        with sqlite3.connect(settings.database_url.removeprefix("sqlite://")) as connection:
            result: Sequence[tuple[Any, ...]] = connection.execute(
                re.sub(r"\$\d+", "?", sql), args
            ).fetchall()
        return [tuple(row) for row in result]


class FreshDatabases:
    """The databases one test makes, dropped when it ends."""

    rows = staticmethod(Databases.rows)

    def __init__(self, pool: Databases) -> None:
        self.pool = pool
        self.made: list[Settings] = []

    def new(self) -> Settings:
        self.made.append(self.pool.new())
        return self.made[-1]

    def empty(self) -> Settings:
        self.made.append(self.pool.empty())
        return self.made[-1]

    def close(self) -> None:
        for settings in self.made:
            self.pool.drop(settings)
