"""The change log (an outbox appended in each write's transaction), its bookkeeping row, and
the publications waiting for their time (see cms.changes)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from cms.models import ChangeKind, ContentType
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

async def _state_row(apps, schema_editor):
    await schema_editor.client.execute_query(
        "INSERT INTO change_log_state (id, pruned_through) VALUES (1, 0)"
    )


async def _no_state_row(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [('cms', '0007_bump_version_once_per_transaction')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChangeEntry',
            fields=[
                ('position', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('type', fields.CharEnumField(description='ARTICLE: ARTICLE\nTAG: TAG', enum_type=ContentType, max_length=16)),
                ('content_id', fields.IntField(description="The article's or tag's id (no foreign key: entries outlive what they are about).")),
                ('at', fields.DatetimeField(description='When the change took effect (a scheduled publication: its publishedAt).', auto_now=False, auto_now_add=False)),
                ('kind', fields.CharEnumField(null=True, description='PUBLISHED: PUBLISHED\nUPDATED: UPDATED\nREMOVED: REMOVED', enum_type=ChangeKind, max_length=16)),
                ('slug', fields.CharField(max_length=200)),
                ('public_kind', fields.CharEnumField(null=True, description='PUBLISHED: PUBLISHED\nUPDATED: UPDATED\nREMOVED: REMOVED', enum_type=ChangeKind, max_length=16)),
                ('public_slug', fields.CharField(null=True, max_length=200)),
                ('cache_tags', fields.JSONField(default=list, description='The Cache-Tag keys of the responses the change makes stale.', encoder=JSON_DUMPS, decoder=loads)),
                ('tags', fields.JSONField(default=list, description="Slugs of the tags involved: an article's tags before and after, a tag's own slug.", encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'change_entry', 'app': 'cms', 'indexes': [Index(fields=['at'], name='change_entry_at_idx')], 'pk_attr': 'position', 'table_description': 'One entry of the change log: one article or tag changed by one committed write.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChangeLogState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pruned_through', fields.BigIntField(default=0, description='The newest position retention has deleted: a cursor before it is expired.')),
            ],
            options={'table': 'change_log_state', 'app': 'cms', 'pk_attr': 'id', 'table_description': "The change log's one row of bookkeeping."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ScheduledPublication',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('article', fields.OneToOneField('cms.Article', source_field='article_id', db_constraint=True, to_field='id', related_name='scheduled', on_delete=OnDelete.CASCADE)),
                ('published_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'scheduled_publication', 'app': 'cms', 'pk_attr': 'id', 'table_description': 'An article published for a future time: the scheduler appends its PUBLISHED entry when'},
            bases=['Model'],
        ),
        ops.RunPython(_state_row, _no_state_row),
    ]
