"""Configuration, read once from environment variables with documented defaults.

Every setting the service reads lives here (the CLI only adds option defaults for `cms serve`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

#: Default database: an SQLite file in the working directory.
DEFAULT_DATABASE_URL = "sqlite://cms.sqlite3"


def _env_str(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value.strip()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, got {value!r}")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


@dataclass(frozen=True)
class Settings:
    """The service's configuration. Build it with :func:`load_settings`."""

    #: Tortoise database URL (``CMS_DATABASE_URL``): ``sqlite://path`` or
    #: ``postgres://user:password@host:port/name``.
    database_url: str = DEFAULT_DATABASE_URL
    #: Busy timeout in milliseconds for SQLite (``CMS_SQLITE_BUSY_TIMEOUT_MS``).
    sqlite_busy_timeout_ms: int = 5000
    #: Page size of a connection when neither ``first`` nor ``last`` is given
    #: (``CMS_DEFAULT_PAGE_SIZE``).
    default_page_size: int = 20
    #: Largest ``first``/``last`` a connection accepts; more is an error, never a silent cut
    #: (``CMS_MAX_PAGE_SIZE``).
    max_page_size: int = 100
    #: Most connections each process keeps to PostgreSQL (``CMS_DB_POOL_SIZE``).
    db_pool_size: int = 10
    #: Read replicas of a PostgreSQL primary (``CMS_DATABASE_REPLICA_URLS``, comma-separated):
    #: reads go to them, writes (and reads later in a request that wrote) to the primary.
    replica_urls: tuple[str, ...] = ()
    #: Request log lines as JSON objects (``CMS_LOG_JSON``); plain text when false.
    log_json: bool = True
    #: Seconds ``cms serve`` lets in-flight requests finish on shutdown
    #: (``CMS_GRACEFUL_SHUTDOWN_SECONDS``).
    graceful_shutdown_seconds: int = 30
    #: Serve the GraphiQL explorer at ``GET /graphql`` (``CMS_GRAPHIQL``; turn it off in
    #: production if the API should not be explorable).
    graphiql: bool = True


def load_settings() -> Settings:
    """Read the settings from the environment (call again to see changes)."""
    return Settings(
        database_url=_env_str("CMS_DATABASE_URL", DEFAULT_DATABASE_URL),
        sqlite_busy_timeout_ms=_env_int("CMS_SQLITE_BUSY_TIMEOUT_MS", 5000),
        default_page_size=_env_int("CMS_DEFAULT_PAGE_SIZE", 20),
        max_page_size=_env_int("CMS_MAX_PAGE_SIZE", 100),
        graphiql=_env_bool("CMS_GRAPHIQL", True),
        db_pool_size=_env_int("CMS_DB_POOL_SIZE", 10),
        replica_urls=tuple(
            url.strip()
            for url in os.environ.get("CMS_DATABASE_REPLICA_URLS", "").split(",")
            if url.strip()
        ),
        log_json=_env_bool("CMS_LOG_JSON", True),
        graceful_shutdown_seconds=_env_int("CMS_GRACEFUL_SHUTDOWN_SECONDS", 30),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return load_settings()
