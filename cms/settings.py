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


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def _env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = _env_str(name, default).lower()
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


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
    #: Deepest selection an operation may nest (``CMS_MAX_DEPTH``; introspection excluded).
    max_depth: int = 10
    #: Most aliased fields in one operation (``CMS_MAX_ALIASES``).
    max_aliases: int = 30
    #: Most tokens in one GraphQL document (``CMS_MAX_TOKENS``).
    max_tokens: int = 5_000
    #: Largest query text in bytes, refused before it is parsed (``CMS_MAX_QUERY_BYTES``).
    max_query_bytes: int = 64 * 1024
    #: Most fields a document selects once its fragments are expanded, introspection
    #: included; checked before validation (``CMS_MAX_FIELDS``).
    max_fields: int = 1_000
    #: Most times one selection may ask for the same field (``CMS_MAX_FIELD_REPEATS``).
    max_field_repeats: int = 10
    #: Largest cost an operation may have: every field costs 1, and a connection multiplies
    #: what it selects by its page size (``first``/``last``, else the default) (``CMS_MAX_COST``).
    max_cost: int = 25_000
    #: Most fields introspection may answer with in one operation, counted in the cost too
    #: (``CMS_MAX_INTROSPECTION_COST``; GraphiQL's full introspection query answers with
    #: about 4,000 here).
    max_introspection_cost: int = 8_000
    #: Largest request body in bytes; more is refused with 413 (``CMS_MAX_BODY_BYTES``).
    max_body_bytes: int = 8 * 1024 * 1024
    #: Answer introspection queries (``CMS_INTROSPECTION``; GraphiQL needs it).
    introspection: bool = True
    #: Origins allowed to call the API from a browser (``CMS_CORS_ORIGINS``, comma-separated;
    #: ``*`` for any; empty: no CORS headers).
    cors_origins: tuple[str, ...] = ()
    #: Persisted queries (``CMS_PERSISTED_QUERIES``): ``apq`` accepts Apollo's automatic
    #: persisted queries and any other operation; ``allowlist`` runs only the registered
    #: operations (``schema/operations/`` or ``CMS_PERSISTED_QUERIES_FILE``); ``off``.
    persisted_queries: str = "apq"
    #: A JSON file of registered operations for the allow-list: ``{"<sha256>": "query ..."}``
    #: or a list of query strings (``CMS_PERSISTED_QUERIES_FILE``).
    persisted_queries_file: str | None = None
    #: Cache what anonymous and read callers see, invalidated by every write in any process
    #: and expiring at the next scheduled publication (``CMS_RESPONSE_CACHE``).
    response_cache: bool = True
    #: Most bytes of responses the cache keeps per service (``CMS_RESPONSE_CACHE_BYTES``).
    response_cache_bytes: int = 64 * 1024 * 1024
    #: Largest response the cache keeps, in bytes (``CMS_RESPONSE_CACHE_ENTRY_BYTES``).
    response_cache_entry_bytes: int = 1024 * 1024
    #: Most bytes of parsed and validated operations kept per service, with what the executor
    #: and the cost check keep per operation (``CMS_OPERATION_CACHE_BYTES``).
    operation_cache_bytes: int = 16 * 1024 * 1024
    #: Most bytes of query texts registered by automatic persisted queries, per service
    #: (``CMS_PERSISTED_QUERIES_BYTES``).
    persisted_queries_bytes: int = 8 * 1024 * 1024
    #: Most bytes of counts and search rankings kept per service between writes
    #: (``CMS_KEPT_RESULTS_BYTES``).
    kept_results_bytes: int = 16 * 1024 * 1024
    #: Most bytes of rendered article bodies (HTML, text) kept per service
    #: (``CMS_RENDER_CACHE_BYTES``).
    render_cache_bytes: int = 32 * 1024 * 1024
    #: ``max-age`` for cacheable responses, in seconds (``CMS_CACHE_MAX_AGE``). The default,
    #: 0, makes clients and CDNs revalidate with the ETag; more accepts that much staleness.
    cache_max_age: int = 0
    #: Serve the GraphiQL explorer at ``GET /graphql`` (``CMS_GRAPHIQL``; turn it off in
    #: production if the API should not be explorable).
    graphiql: bool = True
    #: Run read queries on cms's own executor (``CMS_FAST_EXECUTOR``); false runs every
    #: operation through graphql-core's (same answers, slower): a switch for when an upgrade of
    #: Strawberry or graphql-core breaks the fast path.
    fast_executor: bool = True
    #: Serve Prometheus metrics at ``GET /metrics`` (``CMS_METRICS``). Unset: on for
    #: ``cms serve`` and the standalone app, off when mounted into a host app.
    metrics: bool | None = None
    #: Days the change log keeps its entries; a cursor older than that is CURSOR_EXPIRED
    #: (``CMS_CHANGES_RETENTION_DAYS``).
    changes_retention_days: float = 30
    #: Run the scheduler in this process (``CMS_SCHEDULER``): it appends the change-log entry
    #: of each scheduled publication when its time comes, and prunes the log. Any number of
    #: processes may run it: one at a time does the work.
    scheduler: bool = True
    #: Seconds between two looks of the scheduler for due publications
    #: (``CMS_SCHEDULER_INTERVAL_SECONDS``).
    scheduler_interval_seconds: float = 1.0
    #: Milliseconds between two looks at the change log for live subscribers
    #: (``CMS_CHANGES_POLL_MS``): a write through any process reaches them within that.
    changes_poll_ms: int = 200
    #: Most live subscriptions (WebSocket and SSE) one process serves at once
    #: (``CMS_MAX_SUBSCRIBERS``); one more is refused with a clear error.
    max_subscribers: int = 1000
    #: Seconds between heartbeats on an idle subscription (``CMS_SUBSCRIPTION_HEARTBEAT_SECONDS``).
    subscription_heartbeat_seconds: float = 15.0
    #: Deliver webhooks from this process (``CMS_WEBHOOK_DELIVERY``); however many processes
    #: do, each attempt is made by one. Off: run ``cms webhooks worker`` instead.
    webhook_delivery: bool = True
    #: Seconds before the first retry of a failed webhook delivery; each retry waits twice as
    #: long as the one before (``CMS_WEBHOOK_RETRY_SECONDS``).
    webhook_retry_seconds: float = 5.0
    #: Attempts per delivery before it is given up (``CMS_WEBHOOK_MAX_ATTEMPTS``): 15 attempts
    #: from 5 s doubling span about a day.
    webhook_max_attempts: int = 15
    #: Seconds a webhook receiver has to answer (``CMS_WEBHOOK_TIMEOUT_SECONDS``).
    webhook_timeout_seconds: float = 10.0
    #: Allow webhook URLs on private, loopback and link-local addresses
    #: (``CMS_WEBHOOK_ALLOW_PRIVATE``).
    webhook_allow_private: bool = False
    #: Longest ``Cache-Tag`` (and ``Surrogate-Key``) header value, in bytes
    #: (``CMS_CACHE_TAG_MAX_BYTES``): a response that shows more falls back to coarser keys.
    cache_tag_max_bytes: int = 4096


def _env_optional_bool(name: str) -> bool | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return _env_bool(name, False)


def load_settings() -> Settings:
    """Read the settings from the environment (call again to see changes)."""
    return Settings(
        database_url=_env_str("CMS_DATABASE_URL", DEFAULT_DATABASE_URL),
        sqlite_busy_timeout_ms=_env_int("CMS_SQLITE_BUSY_TIMEOUT_MS", 5000),
        default_page_size=_env_int("CMS_DEFAULT_PAGE_SIZE", 20),
        max_page_size=_env_int("CMS_MAX_PAGE_SIZE", 100),
        graphiql=_env_bool("CMS_GRAPHIQL", True),
        response_cache=_env_bool("CMS_RESPONSE_CACHE", True),
        response_cache_bytes=_env_int("CMS_RESPONSE_CACHE_BYTES", 64 * 1024 * 1024),
        response_cache_entry_bytes=_env_int("CMS_RESPONSE_CACHE_ENTRY_BYTES", 1024 * 1024),
        operation_cache_bytes=_env_int("CMS_OPERATION_CACHE_BYTES", 16 * 1024 * 1024),
        persisted_queries_bytes=_env_int("CMS_PERSISTED_QUERIES_BYTES", 8 * 1024 * 1024),
        kept_results_bytes=_env_int("CMS_KEPT_RESULTS_BYTES", 16 * 1024 * 1024),
        render_cache_bytes=_env_int("CMS_RENDER_CACHE_BYTES", 32 * 1024 * 1024),
        cache_max_age=_env_int("CMS_CACHE_MAX_AGE", 0),
        db_pool_size=_env_int("CMS_DB_POOL_SIZE", 10),
        replica_urls=_env_list("CMS_DATABASE_REPLICA_URLS"),
        log_json=_env_bool("CMS_LOG_JSON", True),
        graceful_shutdown_seconds=_env_int("CMS_GRACEFUL_SHUTDOWN_SECONDS", 30),
        max_depth=_env_int("CMS_MAX_DEPTH", 10),
        max_aliases=_env_int("CMS_MAX_ALIASES", 30),
        max_tokens=_env_int("CMS_MAX_TOKENS", 5_000),
        max_query_bytes=_env_int("CMS_MAX_QUERY_BYTES", 64 * 1024),
        max_fields=_env_int("CMS_MAX_FIELDS", 1_000),
        max_field_repeats=_env_int("CMS_MAX_FIELD_REPEATS", 10),
        max_cost=_env_int("CMS_MAX_COST", 25_000),
        max_introspection_cost=_env_int("CMS_MAX_INTROSPECTION_COST", 8_000),
        max_body_bytes=_env_int("CMS_MAX_BODY_BYTES", 8 * 1024 * 1024),
        introspection=_env_bool("CMS_INTROSPECTION", True),
        cors_origins=_env_list("CMS_CORS_ORIGINS"),
        persisted_queries=_env_choice("CMS_PERSISTED_QUERIES", ("apq", "allowlist", "off"), "apq"),
        persisted_queries_file=os.environ.get("CMS_PERSISTED_QUERIES_FILE") or None,
        fast_executor=_env_bool("CMS_FAST_EXECUTOR", True),
        metrics=_env_optional_bool("CMS_METRICS"),
        changes_retention_days=_env_float("CMS_CHANGES_RETENTION_DAYS", 30),
        scheduler=_env_bool("CMS_SCHEDULER", True),
        scheduler_interval_seconds=_env_float("CMS_SCHEDULER_INTERVAL_SECONDS", 1.0),
        changes_poll_ms=_env_int("CMS_CHANGES_POLL_MS", 200),
        max_subscribers=_env_int("CMS_MAX_SUBSCRIBERS", 1000),
        subscription_heartbeat_seconds=_env_float("CMS_SUBSCRIPTION_HEARTBEAT_SECONDS", 15.0),
        webhook_delivery=_env_bool("CMS_WEBHOOK_DELIVERY", True),
        webhook_retry_seconds=_env_float("CMS_WEBHOOK_RETRY_SECONDS", 5.0),
        webhook_max_attempts=_env_int("CMS_WEBHOOK_MAX_ATTEMPTS", 15),
        webhook_timeout_seconds=_env_float("CMS_WEBHOOK_TIMEOUT_SECONDS", 10.0),
        webhook_allow_private=_env_bool("CMS_WEBHOOK_ALLOW_PRIVATE", False),
        cache_tag_max_bytes=_env_int("CMS_CACHE_TAG_MAX_BYTES", 4096),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return load_settings()
