from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from cms.models import ArticleStatus, TokenScope
from cms.timeutil import utcnow
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('cms', '0002_search')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('scope', fields.CharEnumField(description='READ: read\nPREVIEW: preview\nWRITE: write', enum_type=TokenScope, max_length=16)),
                ('key', fields.CharField(unique=True, description='The public part of the token, used to find the row (the secret is compared by hash).', max_length=32)),
                ('secret_hash', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(default=utcnow, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'access_token', 'app': 'cms', 'pk_attr': 'id', 'table_description': 'An API token. The secret is shown once at creation, and only its SHA-256 is stored.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ArticleRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('article', fields.ForeignKeyField('cms.Article', source_field='article_id', db_index=True, db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField(description='The version the article had in this state.')),
                ('created_at', fields.DatetimeField(default=utcnow, description='When this state was replaced.', auto_now=False, auto_now_add=False)),
                ('changed_fields', fields.JSONField(default=list, description='Fields the replacing change touched, e.g. ["title", "tags"].', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('slug', fields.CharField(max_length=200)),
                ('title', fields.CharField(max_length=300)),
                ('summary', fields.TextField(null=True, unique=False)),
                ('body', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(description='DRAFT: DRAFT\nPUBLISHED: PUBLISHED\nARCHIVED: ARCHIVED', enum_type=ArticleStatus, max_length=16)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('tags', fields.JSONField(default=list, description='Tag slugs, in order.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'article_revision', 'app': 'cms', 'unique_together': (('article', 'version'),), 'pk_attr': 'id', 'table_description': 'The state of an article before one of its changes (credits are not versioned).'},
            bases=['Model'],
        ),
    ]
