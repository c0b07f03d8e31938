"""The committed migrations: in step with the models, repeatable, and indexing what we query."""

from __future__ import annotations

from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from cms import db
from cms.settings import Settings
from tests.databases import DIALECT, FreshDatabases


async def test_models_and_migrations_agree() -> None:
    """Fails when a model changed without a migration ("no changes detected" must hold)."""
    config = db.tortoise_config(Settings(database_url="sqlite://:memory:"))
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        assert ctx.apps is not None
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
        pending = [op.describe() for writer in writers for op in writer.operations]
        await ctx.close_connections()
    assert pending == [], f"models changed without a migration: {pending}"


async def test_migrate_is_idempotent(databases: FreshDatabases) -> None:
    settings = databases.empty()
    first = await db.migrate(settings)
    assert first and first[0] == "cms.0001_initial"
    assert await db.migrate(settings) == []


#: Every index of the public tables, as (table, index, position, column or NULL for an expression).
POSTGRES_INDEXES = """
SELECT t.relname, i.relname, k.n, a.attname
FROM pg_index x
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE t.relnamespace = 'public'::regnamespace
"""


def _indexes(settings: Settings) -> dict[str, list[tuple[str | None, ...]]]:
    """Every index of every table, as the column names it covers (None for an expression)."""
    found: dict[str, list[tuple[str | None, ...]]] = {}
    if DIALECT == "postgres":
        columns: dict[tuple[str, str], dict[int, str | None]] = {}
        for table, index, position, column in FreshDatabases.rows(settings, POSTGRES_INDEXES):
            columns.setdefault((table, index), {})[position] = column
        for (table, _), by_position in columns.items():
            found.setdefault(table, []).append(tuple(by_position[n] for n in sorted(by_position)))
        return found
    tables = [
        r[0]
        for r in FreshDatabases.rows(settings, "SELECT name FROM sqlite_master WHERE type='table'")
    ]
    for table in tables:
        for _, name, *_ in FreshDatabases.rows(settings, f'PRAGMA index_list("{table}")'):
            info = FreshDatabases.rows(settings, f'PRAGMA index_info("{name}")')
            found.setdefault(table, []).append(tuple(r[2] for r in info))
    return found


def test_indexes_cover_foreign_keys_default_order_and_status(db_settings: Settings) -> None:
    indexes = _indexes(db_settings)
    # An index over a name that is not a column (SQLite reads it as a string) shows as None;
    # the only expression index we mean to have is PostgreSQL's search vector (a column).
    assert all(None not in cols for table in indexes.values() for cols in table), indexes

    def leading(table: str, *columns: str) -> bool:
        return any(cols[: len(columns)] == columns for cols in indexes[table])

    assert leading("article", "published_at", "id")
    assert leading("article", "status")
    assert leading("article", "slug")
    for table, column in [
        ("article_tag", "article_id"),
        ("article_tag", "tag_id"),
        ("image_credit", "article_id"),
        ("credit_contributor", "credit_id"),
        ("credit_contributor", "contributor_id"),
    ]:
        assert leading(table, column), f"{table}.{column} has no index"
    assert leading("tag", "slug") and leading("contributor", "slug")
