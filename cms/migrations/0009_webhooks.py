"""Signed webhooks: the endpoints, their deliveries (one per change log entry taken), and
the delivery log of every attempt (see cms.webhooks)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from cms.models import DeliveryStatus
from cms.timeutil import utcnow
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('cms', '0008_change_log')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('url', fields.TextField(unique=False)),
                ('secret', fields.CharField(description='The Standard Webhooks signing secret, ``whsec_<base64>`` (printed once, at ``add``).', max_length=100)),
                ('events', fields.JSONField(default=list, description='Event types delivered, e.g. ["article.published"] (empty: all).', encoder=JSON_DUMPS, decoder=loads)),
                ('types', fields.JSONField(default=list, description='Content types delivered, e.g. ["ARTICLE"] (empty: all).', encoder=JSON_DUMPS, decoder=loads)),
                ('enabled', fields.BooleanField(default=True)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_reason', fields.TextField(null=True, description='Why it was disabled (a receiver that answered 410 Gone).', unique=False)),
                ('created_at', fields.DatetimeField(default=utcnow, auto_now=False, auto_now_add=False)),
                ('position', fields.BigIntField(default=0, description='The change log position fanned out into deliveries so far.')),
            ],
            options={'table': 'webhook_endpoint', 'app': 'cms', 'pk_attr': 'id', 'table_description': "A URL that receives the change log's anonymous view as signed webhooks."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('endpoint', fields.ForeignKeyField('cms.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('position', fields.BigIntField(description="The change log entry delivered: an endpoint's deliveries go out in this order.")),
                ('message_id', fields.CharField(unique=True, description='``msg_<...>``, the ``webhook-id`` of every attempt.', max_length=64)),
                ('event_type', fields.CharField(description='E.g. ``article.published``.', max_length=32)),
                ('payload', fields.TextField(description='The JSON body sent, exactly (signatures cover these bytes).', unique=False)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: PENDING\nDELIVERED: DELIVERED\nFAILED: FAILED', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.IntField(default=0, description='Attempts started so far (an attempt cut short by a stopped process counts).')),
                ('next_attempt_at', fields.DatetimeField(default=utcnow, description='When the next attempt may start (while one runs: when its lease runs out).', auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, description='While an attempt runs: when another process may take the delivery over.', auto_now=False, auto_now_add=False)),
                ('lease_owner', fields.CharField(null=True, description='Who holds the lease (a random token per attempt): only it records the outcome.', max_length=32)),
                ('last_status_code', fields.IntField(null=True)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(default=utcnow, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(default=utcnow, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_delivery', 'app': 'cms', 'unique_together': (('endpoint', 'position'),), 'indexes': [Index(fields=['endpoint_id', 'status', 'position'], name='webhook_delivery_queue_idx'), Index(fields=['status', 'next_attempt_at'], name='webhook_delivery_due_idx')], 'pk_attr': 'id', 'table_description': 'One change log entry for one endpoint: the message, sent until it is answered with 2xx'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('cms.WebhookDelivery', source_field='delivery_id', db_index=True, db_constraint=True, to_field='id', related_name='attempt_log', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField(description='1 for the first attempt.')),
                ('started_at', fields.DatetimeField(default=utcnow, auto_now=False, auto_now_add=False)),
                ('duration_ms', fields.IntField(null=True)),
                ('status_code', fields.IntField(null=True)),
                ('error', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'webhook_attempt', 'app': 'cms', 'pk_attr': 'id', 'table_description': 'One attempt at a delivery, as the delivery log shows it: when, how long, and the status'},
            bases=['Model'],
        ),
    ]

