from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('cms', '0004_content_version')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Article',
            index=Index(fields=['id', 'status', 'published_at'], name='article_visibility_idx'),
        ),
    ]
