"""PostgreSQL: the words of an article's title and summary as their own small tsvector, with a
GIN index, so a one-word search can rank the articles that have the word there first.

``search_head`` is ``search_vector``'s first two parts (same weights, same positions: the
title's and then the summary's words come first in ``search_vector``), small enough to stay in
the row, where ``search_vector`` (the body's words too) is read out of TOAST. cms.read.search
explains why ranking those matches first gives the same best hits as ranking every match.
SQLite needs nothing: its search index ranks without reading the articles.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES_FORWARD = [
    """
    ALTER TABLE article ADD COLUMN search_head tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('cms_search'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('cms_search'::regconfig, coalesce(summary, '')), 'B')
    ) STORED
    """,
    "CREATE INDEX article_search_head_idx ON article USING GIN (search_head)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS article_search_head_idx",
    "ALTER TABLE article DROP COLUMN IF EXISTS search_head",
]


async def _run(schema_editor, statements):
    if schema_editor.DIALECT == "sqlite":
        return
    if schema_editor.DIALECT != "postgres":
        raise RuntimeError(f"cms supports SQLite and PostgreSQL, not {schema_editor.DIALECT}")
    for statement in statements:
        await schema_editor.client.execute_query(statement)


async def forward(apps, schema_editor):
    await _run(schema_editor, POSTGRES_FORWARD)


async def backward(apps, schema_editor):
    await _run(schema_editor, POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("cms", "0009_webhooks")]

    operations = [ops.RunPython(forward, backward)]
