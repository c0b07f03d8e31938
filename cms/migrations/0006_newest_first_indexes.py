"""PostgreSQL: indexes in newest-first order, NULLs last, as cms sorts articles.

cms orders articles ``published_at DESC NULLS LAST, id DESC`` (the same on both databases). On
PostgreSQL a plain (published_at, id) index read backwards yields NULLs first, so it cannot serve
that order: every list page read and sorted all visible articles (a sequential scan at 2,000
articles, linear in their number). These indexes hold the order itself, so a page reads its 20
rows. SQLite sorts NULLs last in descending order already and uses the existing indexes.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEXES = {
    "article_status_newest_idx": "(status, published_at DESC NULLS LAST, id DESC)",
    "article_newest_idx": "(published_at DESC NULLS LAST, id DESC)",
}


async def forward(apps, schema_editor):
    if schema_editor.DIALECT != "postgres":
        return
    for name, columns in INDEXES.items():
        await schema_editor.client.execute_query(f"CREATE INDEX {name} ON article {columns}")


async def backward(apps, schema_editor):
    if schema_editor.DIALECT != "postgres":
        return
    for name in INDEXES:
        await schema_editor.client.execute_query(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cms", "0005_article_visibility_index")]

    operations = [ops.RunPython(forward, backward)]
