"""The database lifecycle: Tortoise configuration, migrations, and opening/closing connections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as migrate_api
from tortoise.migrations.executor import MigrationExecutor

from cms.settings import Settings, get_settings

#: The Tortoise app label of every cms model.
APP_LABEL = "cms"


#: The connection name reads use when read replicas are configured.
REPLICA = "replica"


def _connection(url: str, settings: Settings) -> dict[str, Any]:
    """One connection's configuration: our SQLite engine, or PostgreSQL with a sized pool."""
    if url.startswith("sqlite://") and "busy_timeout" not in url:
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}busy_timeout={settings.sqlite_busy_timeout_ms}"
    config = expand_db_url(url)
    if config["engine"] == "tortoise.backends.sqlite":
        config["engine"] = "cms.sqlite_engine"
    elif config["engine"] in ("tortoise.backends.asyncpg", "tortoise.backends.psycopg"):
        config["credentials"].setdefault("maxsize", settings.db_pool_size)
        config["credentials"].setdefault("minsize", 1)
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


def tortoise_config(settings: Settings | None = None) -> dict[str, Any]:
    """The Tortoise configuration for ``settings`` (the process settings by default)."""
    settings = settings or get_settings()
    connections = {"default": _connection(settings.database_url, settings)}
    for name, url in zip(replica_names(settings), settings.replica_urls, strict=True):
        connections[name] = _connection(url, settings)
    return {
        "connections": connections,
        "apps": {
            APP_LABEL: {
                "models": ["cms.models"],
                "migrations": "cms.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(settings: Settings | None = None) -> list[str]:
    """Apply every pending migration; return the names of those applied."""
    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(f"{app_label}.{name}")

    config = tortoise_config(settings)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        await migrate_api(config=config, progress=progress)
    return applied


class NotMigratedError(RuntimeError):
    """The database lacks migrations this version of cms needs."""


async def pending_migrations() -> list[str]:
    """Migrations not yet applied to the open database (run inside :func:`database`)."""
    apps = tortoise_config()["apps"]
    executor = MigrationExecutor(get_connection("default"), apps)
    steps = await executor.plan()
    return [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]


async def require_migrated() -> None:
    """Raise :class:`NotMigratedError` naming what is missing, with the command that fixes it."""
    if pending := await pending_migrations():
        raise NotMigratedError(
            f"the database is not migrated (pending: {', '.join(pending)}); run `cms migrate`"
        )


@asynccontextmanager
async def database(settings: Settings | None = None) -> AsyncIterator[TortoiseContext]:
    """Open the database for the duration of the block; close it on the way out."""
    settings = settings or get_settings()
    config = tortoise_config(settings)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        try:
            yield ctx
        finally:
            await ctx.close_connections()
