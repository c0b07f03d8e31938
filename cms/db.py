"""The database lifecycle: Tortoise configuration, migrations, opening and closing connections,
and the one line an operator reads when a database cannot be used.

Errors, each with a message that names the database (password hidden) and the fix::

    DatabaseError
     ├── DatabaseUnavailable   bad URL, missing driver, file, directory or database, a login
     │                         refused, a server that cannot be reached
     └── NotMigratedError      migrations this version of cms needs are not applied
"""

from __future__ import annotations

import asyncio
import importlib
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.context import TortoiseContext
from tortoise.exceptions import ConfigurationError
from tortoise.migrations.api import migrate as migrate_api
from tortoise.migrations.executor import MigrationExecutor

from cms.settings import Settings, get_settings

#: The Tortoise app label of every cms model.
APP_LABEL = "cms"


#: The connection name reads use when read replicas are configured.
REPLICA = "replica"

#: Seconds to wait for a PostgreSQL server to accept a connection; a URL's own ``?timeout=N``
#: wins. Opening a database waits at most twice as long for its first answer.
CONNECT_TIMEOUT_SECONDS = 5

#: The URL shapes cms takes, as error messages quote them.
URL_SHAPES = "sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/NAME"
_SET_URL = "--database-url or CMS_DATABASE_URL"

#: Engines cms runs on, with the module each needs and how to install it.
_DRIVERS = {
    "cms.sqlite_engine": ("aiosqlite", "pip install aiosqlite"),
    "tortoise.backends.asyncpg": ("asyncpg", "pip install 'cms[postgres]'"),
    "tortoise.backends.psycopg": ("psycopg", "pip install 'tortoise-orm[psycopg]'"),
}


class DatabaseError(RuntimeError):
    """A database cms cannot use; the message is one line naming it and the fix."""


class DatabaseUnavailable(DatabaseError):
    """The database cannot be opened: its URL, driver, file, server or login is wrong."""


class NotMigratedError(DatabaseError):
    """The database lacks migrations this version of cms needs."""


_SECRET_PARAMS = re.compile(r"(?i)([?&](?:password|passwd|sslpassword)=)[^&#]*")


def redacted(url: str) -> str:
    """``url`` with its password (and password parameters) replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if scheme == "sqlite":
        return url
    if not sep:  # not a URL; whatever comes before an "@" may be a password
        _, at, host = url.rpartition("@")
        return f"***@{host}" if at else url
    userinfo, at, hostpart = rest.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        rest = f"{user}:***@{hostpart}" if colon else rest
    return _SECRET_PARAMS.sub(r"\1***", f"{scheme}://{rest}")


def _sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names, or None for an in-memory or URI-style one."""
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path)


def describe(url: str) -> str:
    """How messages name a database: the URL without its password; an SQLite file by its
    absolute path (so a command run from another directory shows which file it meant)."""
    if url.startswith("sqlite://") and (path := _sqlite_file(url)) is not None:
        return f"sqlite://{path.absolute()}"
    return redacted(url)


def _expand(url: str, shown: str) -> dict[str, Any]:
    """Tortoise's configuration for ``url``; :class:`DatabaseUnavailable` for one cms cannot
    use (not a URL, another database, a driver that is not installed), named as ``shown``."""
    name = redacted(shown)
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme:
        raise DatabaseUnavailable(
            f"{name!r} is not a database URL: give {URL_SHAPES} with {_SET_URL}"
        )
    try:
        config = expand_db_url(url)
    except (ConfigurationError, ValueError) as exc:
        raise DatabaseUnavailable(
            f"{name} is not a database URL cms can use ({exc}): give {URL_SHAPES} with {_SET_URL}"
        ) from None
    if config["engine"] == "tortoise.backends.sqlite":
        config["engine"] = "cms.sqlite_engine"
    if config["engine"] not in _DRIVERS:
        raise DatabaseUnavailable(
            f"{name}: cms does not run on {scheme} databases: give {URL_SHAPES} with {_SET_URL}"
        )
    module, install = _DRIVERS[config["engine"]]
    try:
        importlib.import_module(module)
    except ImportError:
        raise DatabaseUnavailable(
            f"{name} needs the database driver {module}, which is not installed: {install}"
        ) from None
    return config


def _connection(url: str, settings: Settings) -> dict[str, Any]:
    """One connection's configuration: our SQLite engine, or PostgreSQL with a sized pool."""
    full = url
    if url.startswith("sqlite://") and "busy_timeout" not in url:
        sep = "&" if "?" in url else "?"
        full = f"{url}{sep}busy_timeout={settings.sqlite_busy_timeout_ms}"
    config = _expand(full, shown=url)
    if config["engine"] in ("tortoise.backends.asyncpg", "tortoise.backends.psycopg"):
        config["credentials"].setdefault("maxsize", settings.db_pool_size)
        config["credentials"].setdefault("minsize", 1)
        config["credentials"].setdefault("timeout", CONNECT_TIMEOUT_SECONDS)
        if config["engine"] == "tortoise.backends.asyncpg":
            config["credentials"].setdefault("reset", keep_session)
    return config


async def keep_session(connection: Any) -> None:
    """asyncpg's pool resets a connection's session each time it is released (RESET ALL,
    UNLISTEN, CLOSE ALL, advisory unlocks): one more round trip per statement. cms sets no
    session state, listens to nothing and takes no advisory locks, so there is nothing to reset
    (an open transaction is still rolled back by asyncpg before this is called)."""


def replica_names(settings: Settings) -> list[str]:
    """The connection names of the read replicas in :func:`tortoise_config`."""
    return [f"{REPLICA}{index}" for index in range(len(settings.replica_urls))]


def _apps() -> dict[str, Any]:
    return {
        APP_LABEL: {
            "models": ["cms.models"],
            "migrations": "cms.migrations",
            "default_connection": "default",
        }
    }


def tortoise_config(settings: Settings | None = None) -> dict[str, Any]:
    """The Tortoise configuration for ``settings`` (the process settings by default); raises
    :class:`DatabaseUnavailable` for a URL cms cannot use."""
    settings = settings or get_settings()
    connections = {"default": _connection(settings.database_url, settings)}
    for name, url in zip(replica_names(settings), settings.replica_urls, strict=True):
        connections[name] = _connection(url, settings)
    return {
        "connections": connections,
        "apps": _apps(),
        "use_tz": True,
        "timezone": "UTC",
    }


def _check_file(url: str, *, must_exist: bool) -> None:
    """Refuse an SQLite file whose directory is missing, or (``must_exist``) that is missing:
    SQLite would create an empty database there, or fail with "unable to open"."""
    if not url.startswith("sqlite://") or (path := _sqlite_file(url)) is None:
        return
    if not path.absolute().parent.is_dir():
        raise DatabaseUnavailable(
            f"cannot open {describe(url)}: the directory {path.absolute().parent} does not "
            f"exist; create it, or give another database with {_SET_URL}"
        )
    if must_exist and not path.exists():
        raise DatabaseUnavailable(
            f"the database {describe(url)} does not exist: run `cms migrate` to create it, "
            f"or give an existing database with {_SET_URL}"
        )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def unavailable(url: str, exc: BaseException) -> DatabaseUnavailable:
    """The one-line error for a database at ``url`` that failed with ``exc`` when connecting."""
    name = describe(url)
    causes = list(_causes(exc))
    root = causes[-1]
    detail = (str(root).strip().splitlines() or [type(root).__name__])[0]
    states = (getattr(c, "sqlstate", None) for c in causes)
    sqlstate = next((state for state in states if isinstance(state, str)), "")
    if sqlstate.startswith("28"):  # invalid authorization: no such role, wrong password
        return DatabaseUnavailable(
            f"cannot log in to {name}: {detail}; check the user and password in the URL "
            f"({_SET_URL})"
        )
    if sqlstate == "3D000":  # invalid catalog name
        return DatabaseUnavailable(
            f"the database {name} does not exist on its server ({detail}): create it "
            "(e.g. `createdb NAME`), then run `cms migrate`"
        )
    if any(isinstance(c, TimeoutError) for c in causes):
        return DatabaseUnavailable(
            f"cannot reach {name}: the connection timed out; check the "
            "host and port, and that the database server is running"
        )
    if any(isinstance(c, OSError) for c in causes):
        return DatabaseUnavailable(
            f"cannot reach {name}: {detail}; check the host and port, and that the database "
            "server is running"
        )
    if any(isinstance(c, sqlite3.Error) for c in causes):
        return DatabaseUnavailable(f"cannot open {name}: {detail}")
    return DatabaseUnavailable(f"cannot use {name}: {type(root).__name__}: {detail}")


async def _probe(name: str, url: str, config: dict[str, Any]) -> None:
    """Connect ``name`` and run ``SELECT 1``, within twice its connect timeout."""
    timeout = float(config["connections"][name]["credentials"].get("timeout", 0))
    try:
        async with asyncio.timeout(2 * max(timeout, CONNECT_TIMEOUT_SECONDS)):
            await get_connection(name).execute_query("SELECT 1")
    except Exception as exc:
        raise unavailable(url, exc) from exc


async def migrate(settings: Settings | None = None) -> list[str]:
    """Apply every pending migration; return the names of those applied."""
    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(f"{app_label}.{name}")

    settings = settings or get_settings()
    config = tortoise_config(settings)
    _check_file(settings.database_url, must_exist=False)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        await _probe("default", settings.database_url, config)
        await migrate_api(config=config, progress=progress)
    return applied


async def pending_migrations() -> list[str]:
    """Migrations not yet applied to the open database (run inside :func:`database`)."""
    executor = MigrationExecutor(get_connection("default"), _apps())
    steps = await executor.plan()
    return [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]


async def require_migrated(settings: Settings | None = None) -> None:
    """Raise :class:`NotMigratedError` naming the database, what is missing and the fix."""
    if pending := await pending_migrations():
        url = (settings or get_settings()).database_url
        raise NotMigratedError(
            f"the database {describe(url)} is not migrated (pending: {', '.join(pending)}): "
            "run `cms migrate` on it"
        )


@asynccontextmanager
async def database(
    settings: Settings | None = None, *, check: bool = False
) -> AsyncIterator[TortoiseContext]:
    """Open the database for the duration of the block; close it on the way out.

    A URL cms cannot use raises :class:`DatabaseUnavailable` at once. Otherwise connections
    open on first use, unless ``check`` asks to prove now that every configured database
    exists, answers (see :data:`CONNECT_TIMEOUT_SECONDS`) and is migrated, raising a
    :class:`DatabaseError` if not: what commands and ``cms serve`` need. A mounted service
    opens without ``check`` and reports such problems on ``/readyz``.
    """
    settings = settings or get_settings()
    config = tortoise_config(settings)
    urls = {"default": settings.database_url}
    urls.update(zip(replica_names(settings), settings.replica_urls, strict=True))
    if check:
        for url in urls.values():
            _check_file(url, must_exist=True)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        try:
            if check:
                for name, url in urls.items():
                    await _probe(name, url, config)
                await require_migrated(settings)
            yield ctx
        finally:
            await ctx.close_connections()


async def check(settings: Settings | None = None) -> None:
    """Raise :class:`DatabaseError` unless the database can be served (see :func:`database`)."""
    async with database(settings, check=True):
        pass


@dataclass(frozen=True)
class PoolUse:
    """The connections one configured database (``default``, ``replica0``, ...) holds now."""

    name: str
    #: Connections open.
    open: int
    #: Open connections serving a statement or a transaction now.
    in_use: int
    #: Most connections it will open.
    max: int

    @property
    def idle(self) -> int:
        return self.open - self.in_use


def pool_use(tortoise: TortoiseContext) -> list[PoolUse]:
    """How each database of an open Tortoise context uses its connections: an asyncpg or
    psycopg pool's size and idle connections; on SQLite, the connection statements run on
    (in use while it runs one or a transaction) and the quick-read connection, once open."""
    handler = tortoise.connections
    return [_pool_use(name, handler.get(name)) for name in handler.db_config]


def _pool_use(name: str, client: Any) -> PoolUse:
    pool: Any = getattr(client, "_pool", None)
    if hasattr(pool, "get_idle_size"):  # asyncpg
        size = pool.get_size()
        return PoolUse(name, size, size - pool.get_idle_size(), pool.get_max_size())
    if hasattr(pool, "get_stats"):  # psycopg_pool
        stats = pool.get_stats()
        size = int(stats.get("pool_size", 0))
        return PoolUse(name, size, size - int(stats.get("pool_available", 0)), pool.max_size)
    if hasattr(client, "pool_maxsize"):  # PostgreSQL, no pool until the first statement
        return PoolUse(name, 0, 0, int(client.pool_maxsize))
    opened = int(getattr(client, "_connection", None) is not None)
    reader = int(getattr(client, "_reader", None) is not None)
    lock = getattr(client, "_lock", None)
    busy = int(opened and isinstance(lock, asyncio.Lock) and lock.locked())
    return PoolUse(name, opened + reader, busy, 2)
