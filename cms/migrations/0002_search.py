"""Full-text search over title, summary and the plain-text body.

SQLite: an FTS5 table with the article table as external content, kept in step by triggers
(so every write path, fixture loads included, updates the index in the same transaction).
PostgreSQL: a generated, weighted tsvector column with a GIN index.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE article_fts USING fts5(
        title, summary, body_text,
        content='article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN
        INSERT INTO article_fts(rowid, title, summary, body_text)
        VALUES (new.id, new.title, new.summary, new.body_text);
    END
    """,
    """
    CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, summary, body_text)
        VALUES ('delete', old.id, old.title, old.summary, old.body_text);
    END
    """,
    """
    CREATE TRIGGER article_fts_update AFTER UPDATE OF title, summary, body_text ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, summary, body_text)
        VALUES ('delete', old.id, old.title, old.summary, old.body_text);
        INSERT INTO article_fts(rowid, title, summary, body_text)
        VALUES (new.id, new.title, new.summary, new.body_text);
    END
    """,
    "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS article_fts_update",
    "DROP TRIGGER IF EXISTS article_fts_delete",
    "DROP TRIGGER IF EXISTS article_fts_insert",
    "DROP TABLE IF EXISTS article_fts",
]
POSTGRES_FORWARD = [
    # English stemming after removing accents, like SQLite's porter + remove_diacritics, and
    # no stop words, so that every word a person types must match on both databases.
    # (unaccent is a trusted extension: a database owner may create it.)
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH DICTIONARY cms_stem (TEMPLATE = snowball, Language = english)",
    "CREATE TEXT SEARCH CONFIGURATION cms_search (COPY = english)",
    """
    ALTER TEXT SEARCH CONFIGURATION cms_search
        ALTER MAPPING FOR asciihword, asciiword, hword, hword_asciipart, hword_part, word
        WITH unaccent, cms_stem
    """,
    """
    ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('cms_search'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('cms_search'::regconfig, coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('cms_search'::regconfig, coalesce(body_text, '')), 'C')
    ) STORED
    """,
    "CREATE INDEX article_search_vector_idx ON article USING GIN (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS article_search_vector_idx",
    "ALTER TABLE article DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS cms_search",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS cms_stem",
]


async def _run(schema_editor, statements_by_dialect):
    if schema_editor.DIALECT not in statements_by_dialect:
        raise RuntimeError(f"cms supports SQLite and PostgreSQL, not {schema_editor.DIALECT}")
    for statement in statements_by_dialect[schema_editor.DIALECT]:
        # One statement per call: the SQLite editor splits scripts on ";", which would cut
        # the trigger bodies apart.
        await schema_editor.client.execute_query(statement)


async def forward(apps, schema_editor):
    await _run(schema_editor, {"sqlite": SQLITE_FORWARD, "postgres": POSTGRES_FORWARD})


async def backward(apps, schema_editor):
    await _run(schema_editor, {"sqlite": SQLITE_BACKWARD, "postgres": POSTGRES_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("cms", "0001_initial")]

    operations = [ops.RunPython(forward, backward)]
