"""A copy of each article's visibility (status, published_at) on its tag links.

A tag page chose its page of articles by joining every link of the tag to the article's
visibility index, a lookup per article the tag carries: at 100,000 articles the tag page
cost twice what it cost at 1,000. With the two columns copied onto ``article_tag`` and an
index (tag_id, status, published_at, article_id) in the tag page's order, the page's ids
(and the tag's visible count) are read from that index alone, a range as long as the page.

Triggers keep the copy in step in the writing transaction, on every write path (the write
core, fixture loads, raw SQL): a link takes its article's values when it is inserted, and an
article's links follow a change of its status or publication time. Deleting an article
deletes its links (ON DELETE CASCADE). The columns are not fields of the model: only the
triggers write them, as only 0002's write the search index.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE_FORWARD = [
    "ALTER TABLE article_tag ADD COLUMN status VARCHAR(16)",
    "ALTER TABLE article_tag ADD COLUMN published_at TIMESTAMP",
    # SQLite cannot assign to NEW before an insert: the new link is updated after it.
    """
    CREATE TRIGGER article_tag_copies_visibility AFTER INSERT ON article_tag BEGIN
        UPDATE article_tag SET (status, published_at) =
            (SELECT a.status, a.published_at FROM article a WHERE a.id = new.article_id)
        WHERE id = new.id;
    END
    """,
    """
    CREATE TRIGGER article_tag_moves_visibility AFTER UPDATE OF article_id ON article_tag
    BEGIN
        UPDATE article_tag SET (status, published_at) =
            (SELECT a.status, a.published_at FROM article a WHERE a.id = new.article_id)
        WHERE id = new.id;
    END
    """,
    """
    CREATE TRIGGER article_visibility_to_tags AFTER UPDATE OF status, published_at ON article
    WHEN old.status IS NOT new.status OR old.published_at IS NOT new.published_at
    BEGIN
        UPDATE article_tag SET status = new.status, published_at = new.published_at
        WHERE article_id = new.id;
    END
    """,
    """
    UPDATE article_tag SET (status, published_at) =
        (SELECT a.status, a.published_at FROM article a WHERE a.id = article_tag.article_id)
    """,
    # SQLite reads DESC NULLS LAST (its own order for DESC) backwards through an ascending index.
    "CREATE INDEX article_tag_visible_idx ON article_tag (tag_id, status, published_at,"
    " article_id)",
]
SQLITE_BACKWARD = [
    "DROP INDEX IF EXISTS article_tag_visible_idx",
    "DROP TRIGGER IF EXISTS article_visibility_to_tags",
    "DROP TRIGGER IF EXISTS article_tag_moves_visibility",
    "DROP TRIGGER IF EXISTS article_tag_copies_visibility",
    "ALTER TABLE article_tag DROP COLUMN published_at",
    "ALTER TABLE article_tag DROP COLUMN status",
]
POSTGRES_FORWARD = [
    "ALTER TABLE article_tag ADD COLUMN status VARCHAR(16),"
    " ADD COLUMN published_at TIMESTAMPTZ",
    """
    CREATE FUNCTION cms_article_tag_copy_visibility() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT a.status, a.published_at INTO NEW.status, NEW.published_at
        FROM article a WHERE a.id = NEW.article_id;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER article_tag_copies_visibility BEFORE INSERT OR UPDATE OF article_id
    ON article_tag FOR EACH ROW EXECUTE FUNCTION cms_article_tag_copy_visibility()
    """,
    """
    CREATE FUNCTION cms_article_visibility_to_tags() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE article_tag SET status = NEW.status, published_at = NEW.published_at
        WHERE article_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER article_visibility_to_tags AFTER UPDATE OF status, published_at ON article
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.published_at IS DISTINCT FROM NEW.published_at)
    EXECUTE FUNCTION cms_article_visibility_to_tags()
    """,
    """
    UPDATE article_tag l SET status = a.status, published_at = a.published_at
    FROM article a WHERE a.id = l.article_id
    """,
    # In the order cms lists articles (see 0006): the newest first, NULLs last.
    "CREATE INDEX article_tag_visible_idx ON article_tag"
    " (tag_id, status, published_at DESC NULLS LAST, article_id DESC)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS article_tag_visible_idx",
    "DROP TRIGGER IF EXISTS article_visibility_to_tags ON article",
    "DROP TRIGGER IF EXISTS article_tag_copies_visibility ON article_tag",
    "DROP FUNCTION IF EXISTS cms_article_visibility_to_tags()",
    "DROP FUNCTION IF EXISTS cms_article_tag_copy_visibility()",
    "ALTER TABLE article_tag DROP COLUMN IF EXISTS published_at,"
    " DROP COLUMN IF EXISTS status",
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
    dependencies = [("cms", "0010_search_ranking")]

    operations = [ops.RunPython(forward, backward)]
