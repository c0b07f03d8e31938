"""The committed migrations: in step with the models, repeatable, and indexing what we query."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from cms import db
from cms.settings import Settings


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


async def test_migrate_is_idempotent(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite://{tmp_path / 'db.sqlite3'}")
    first = await db.migrate(settings)
    assert first and first[0] == "cms.0001_initial"
    assert await db.migrate(settings) == []


def _indexes(path: Path) -> dict[str, list[tuple[str, ...]]]:
    """Every index of every table, as the column names it covers."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found: dict[str, list[tuple[str, ...]]] = {}
        for table in tables:
            for _, name, *_ in conn.execute(f'PRAGMA index_list("{table}")'):
                columns = tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{name}")'))
                found.setdefault(table, []).append(columns)
    return found


def test_indexes_cover_foreign_keys_default_order_and_status(template_db: Path) -> None:
    indexes = _indexes(template_db)
    # An index over a name that is not a column (SQLite reads it as a string) shows as None.
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
