"""PostgreSQL: bump the content version once per transaction, not once per statement.

Migration 0004's trigger updated the one content_version row after every statement that
changed content. A fixture load is one transaction of many statements, and PostgreSQL keeps
every version of a row a transaction updates, each update walking the chain of those before
it: loading 10,000 articles took 106 s, growing faster than the number of articles. The
version only has to differ once the transaction commits (nobody sees it before), so the
trigger now bumps it on the transaction's first change and notes that in a setting local to
the transaction. SQLite has no such chains and keeps its per-row triggers.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

ONCE = """
CREATE OR REPLACE FUNCTION cms_bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('cms.version_bumped', true) IS DISTINCT FROM 'yes' THEN
        UPDATE content_version SET version = version + 1 WHERE id = 1;
        PERFORM set_config('cms.version_bumped', 'yes', true);
    END IF;
    RETURN NULL;
END $$
"""

EVERY_STATEMENT = """
CREATE OR REPLACE FUNCTION cms_bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$
"""


async def forward(apps, schema_editor):
    if schema_editor.DIALECT == "postgres":
        await schema_editor.client.execute_query(ONCE)


async def backward(apps, schema_editor):
    if schema_editor.DIALECT == "postgres":
        await schema_editor.client.execute_query(EVERY_STATEMENT)


class Migration(migrations.Migration):
    dependencies = [("cms", "0006_newest_first_indexes")]

    operations = [ops.RunPython(forward, backward)]
