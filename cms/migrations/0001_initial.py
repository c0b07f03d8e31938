from tortoise import migrations
from tortoise.migrations import operations as ops
from cms.models import ArticleStatus, TagKind
from cms.timeutil import utcnow
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Article',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=200)),
                ('title', fields.CharField(max_length=300)),
                ('summary', fields.TextField(null=True, unique=False)),
                ('body', fields.TextField(description='Markdown, stored exactly as given.', unique=False)),
                ('body_text', fields.TextField(default='', description='The body as plain text, derived on every write: what search indexes and snippets show.', unique=False)),
                ('word_count', fields.IntField(default=0, description='Words of ``body_text`` (derived on every write).')),
                ('status', fields.CharEnumField(default=ArticleStatus.DRAFT, description='DRAFT: DRAFT\nPUBLISHED: PUBLISHED\nARCHIVED: ARCHIVED', enum_type=ArticleStatus, max_length=16)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(default=utcnow, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(default=utcnow, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1, description='Starts at 1 and grows by one on every change.')),
            ],
            options={'table': 'article', 'app': 'cms', 'indexes': [Index(fields=['published_at', 'id'], name='article_published_at_id_idx'), Index(fields=['status', 'published_at', 'id'], name='article_status_published_idx'), Index(fields=['updated_at', 'id'], name='article_updated_at_id_idx')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Contributor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=200)),
                ('name', fields.CharField(max_length=200)),
            ],
            options={'table': 'contributor', 'app': 'cms', 'indexes': [Index(fields=['name', 'id'], name='contributor_name_id_idx')], 'pk_attr': 'id', 'table_description': 'A person credited for images.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImageCredit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('article', fields.ForeignKeyField('cms.Article', source_field='article_id', db_index=True, db_constraint=True, to_field='id', related_name='image_credits', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('text', fields.TextField(description='The credit line as printed, e.g. "CGTN’s Reporter You Yang, Cai Jingxuan".', unique=False)),
                ('organization', fields.CharField(null=True, max_length=200)),
                ('role', fields.CharField(null=True, max_length=200)),
                ('image_url', fields.TextField(null=True, unique=False)),
                ('caption', fields.TextField(null=True, unique=False)),
                ('alt_text', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'image_credit', 'app': 'cms', 'unique_together': (('article', 'position'),), 'pk_attr': 'id', 'table_description': 'The credit for an image shown with an article, as printed and as parsed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CreditContributor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('credit', fields.ForeignKeyField('cms.ImageCredit', source_field='credit_id', db_index=True, db_constraint=True, to_field='id', related_name='contributor_links', on_delete=OnDelete.CASCADE)),
                ('contributor', fields.ForeignKeyField('cms.Contributor', source_field='contributor_id', db_index=True, db_constraint=True, to_field='id', related_name='credit_links', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
            ],
            options={'table': 'credit_contributor', 'app': 'cms', 'unique_together': (('credit', 'contributor'), ('credit', 'position')), 'pk_attr': 'id', 'table_description': "A contributor named on an image credit, at a position in the credit's list."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Tag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=200)),
                ('name', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(default=TagKind.TOPIC, description='TOPIC: TOPIC\nPERSON: PERSON\nPLACE: PLACE\nORGANIZATION: ORGANIZATION', enum_type=TagKind, max_length=16)),
                ('description', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'tag', 'app': 'cms', 'indexes': [Index(fields=['name', 'id'], name='tag_name_id_idx'), Index(fields=['kind', 'name', 'id'], name='tag_kind_name_id_idx')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ArticleTag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('article', fields.ForeignKeyField('cms.Article', source_field='article_id', db_index=True, db_constraint=True, to_field='id', related_name='tag_links', on_delete=OnDelete.CASCADE)),
                ('tag', fields.ForeignKeyField('cms.Tag', source_field='tag_id', db_index=True, db_constraint=True, to_field='id', related_name='article_links', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
            ],
            options={'table': 'article_tag', 'app': 'cms', 'unique_together': (('article', 'tag'), ('article', 'position')), 'indexes': [Index(fields=['tag_id', 'article_id'], name='article_tag_tag_article_idx')], 'pk_attr': 'id', 'table_description': "An article carries a tag, at a position in the article's tag list."},
            bases=['Model'],
        ),
    ]
