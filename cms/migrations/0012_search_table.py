"""PostgreSQL: the search columns move to a narrow table of their own, ``article_search``.

A search's count and its ranking visit the row of every article they consider, for its
visibility (status, published_at) and, ranking, for its title-and-summary vector. In the
article table those rows are wide (title, summary, slug and the rest inline, about 1 KB each):
a common word's count read every page of it (12,600 pages at 100,000 articles, 60 ms).
``article_search`` holds per article only its visibility and its two vectors (``search_vector``
in TOAST, ``search_head`` in the row): about 4,800 pages, and an index on each vector.

A trigger keeps it in step in the writing transaction, on every write path (the write core,
fixture loads, raw SQL): an article's row is made when it is inserted and follows a change of
its text or visibility (the vectors are made again only when the text changed); deleting an
article deletes it (ON DELETE CASCADE). The vectors are made as the generated columns made
them (0002, 0010), which are dropped from ``article``. SQLite needs nothing: its search index
(``article_fts``) is already a table of its own.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

_HEAD = """
    setweight(to_tsvector('cms_search'::regconfig, coalesce({row}title, '')), 'A') ||
    setweight(to_tsvector('cms_search'::regconfig, coalesce({row}summary, '')), 'B')
"""
_BODY = "setweight(to_tsvector('cms_search'::regconfig, coalesce({row}body_text, '')), 'C')"

POSTGRES_FORWARD = [
    """
    CREATE TABLE article_search (
        id integer PRIMARY KEY REFERENCES article (id) ON DELETE CASCADE,
        status varchar(16) NOT NULL,
        published_at timestamptz,
        search_head tsvector NOT NULL,
        search_vector tsvector NOT NULL
    )
    """,
    """
    INSERT INTO article_search (id, status, published_at, search_head, search_vector)
    SELECT id, status, published_at, search_head, search_vector FROM article
    """,
    "ALTER TABLE article DROP COLUMN search_head, DROP COLUMN search_vector",
    f"""
    CREATE FUNCTION cms_article_search_row() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        head tsvector;
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.title IS NOT DISTINCT FROM OLD.title
            AND NEW.summary IS NOT DISTINCT FROM OLD.summary
            AND NEW.body_text IS NOT DISTINCT FROM OLD.body_text THEN
            UPDATE article_search SET status = NEW.status, published_at = NEW.published_at
            WHERE id = NEW.id;
            RETURN NULL;
        END IF;
        head := {_HEAD.format(row="NEW.")};
        INSERT INTO article_search AS s (id, status, published_at, search_head, search_vector)
        VALUES (NEW.id, NEW.status, NEW.published_at, head, head || {_BODY.format(row="NEW.")})
        ON CONFLICT (id) DO UPDATE SET status = excluded.status,
            published_at = excluded.published_at, search_head = excluded.search_head,
            search_vector = excluded.search_vector;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER article_search_row
    AFTER INSERT OR UPDATE OF title, summary, body_text, status, published_at ON article
    FOR EACH ROW EXECUTE FUNCTION cms_article_search_row()
    """,
    "CREATE INDEX article_search_vector_idx ON article_search USING GIN (search_vector)",
    "CREATE INDEX article_search_head_idx ON article_search USING GIN (search_head)",
    "ANALYZE article_search",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS article_search_row ON article",
    "DROP FUNCTION IF EXISTS cms_article_search_row()",
    "DROP TABLE IF EXISTS article_search",
    f"""
    ALTER TABLE article
        ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
            {_HEAD.format(row="")} || {_BODY.format(row="")}) STORED,
        ADD COLUMN search_head tsvector GENERATED ALWAYS AS ({_HEAD.format(row="")})
            STORED
    """,
    "CREATE INDEX article_search_vector_idx ON article USING GIN (search_vector)",
    "CREATE INDEX article_search_head_idx ON article USING GIN (search_head)",
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
    dependencies = [("cms", "0011_article_tag_visibility")]

    operations = [ops.RunPython(forward, backward)]
