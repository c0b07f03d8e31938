"""A content version: one counter that every change to published content bumps.

Response caches key their entries by it, so a write through any process (or a fixture load)
invalidates every process's cache on its next request, with no message bus. Triggers bump it
in the writing transaction: readers never see a new version before the data it stands for.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

TABLES = ("article", "tag", "article_tag", "image_credit", "credit_contributor", "contributor")


def _sqlite_forward():
    statements = [
        "CREATE TABLE content_version (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " version INTEGER NOT NULL)",
        "INSERT INTO content_version (id, version) VALUES (1, 1)",
    ]
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_{event.lower()}_bumps_version AFTER {event} ON {table}"
                " BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END"
            )
    return statements


def _postgres_forward():
    statements = [
        "CREATE TABLE content_version (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " version BIGINT NOT NULL)",
        "INSERT INTO content_version (id, version) VALUES (1, 1)",
        """
        CREATE FUNCTION cms_bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE content_version SET version = version + 1 WHERE id = 1;
            RETURN NULL;
        END $$
        """,
    ]
    for table in TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_bumps_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION cms_bump_content_version()"
        )
    return statements


def _backward(dialect):
    statements = []
    for table in TABLES:
        if dialect == "postgres":
            statements.append(f"DROP TRIGGER IF EXISTS {table}_bumps_version ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                statements.append(f"DROP TRIGGER IF EXISTS {table}_{event}_bumps_version")
    if dialect == "postgres":
        statements.append("DROP FUNCTION IF EXISTS cms_bump_content_version()")
    statements.append("DROP TABLE IF EXISTS content_version")
    return statements


async def _run(schema_editor, statements):
    for statement in statements:
        await schema_editor.client.execute_query(statement)


async def forward(apps, schema_editor):
    dialect = schema_editor.DIALECT
    if dialect not in ("sqlite", "postgres"):
        raise RuntimeError(f"cms supports SQLite and PostgreSQL, not {dialect}")
    await _run(schema_editor, _postgres_forward() if dialect == "postgres" else _sqlite_forward())


async def backward(apps, schema_editor):
    await _run(schema_editor, _backward(schema_editor.DIALECT))


class Migration(migrations.Migration):
    dependencies = [("cms", "0003_revisions_and_tokens")]

    operations = [ops.RunPython(forward, backward)]
