"""The content model: articles, their image credits and tags, and the people credited.

Ordered relations (an article's tags, a credit's contributors, an article's credits) carry an
explicit ``position`` so that the order an editor gave survives every database.
Timestamps are set by the domain code, never by the ORM: a fixture load keeps the
``created_at``/``updated_at``/``version`` it was given, so a dump loads back unchanged.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from cms.timeutil import utcnow

#: Longest title, slug and name the model stores (validation limits live in the domain code).
TITLE_MAX_LENGTH = 300
SLUG_MAX_LENGTH = 200
NAME_MAX_LENGTH = 200


class ArticleStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


class TokenScope(StrEnum):
    """What an access token may do: ``read`` sees what anonymous callers see, ``preview`` also
    drafts, archived and scheduled articles, ``write`` also changes content."""

    READ = "read"
    PREVIEW = "preview"
    WRITE = "write"


class TagKind(StrEnum):
    TOPIC = "TOPIC"
    PERSON = "PERSON"
    PLACE = "PLACE"
    ORGANIZATION = "ORGANIZATION"


class Article(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=SLUG_MAX_LENGTH, unique=True)
    title = fields.CharField(max_length=TITLE_MAX_LENGTH)
    summary = fields.TextField(null=True)
    #: Markdown, stored exactly as given.
    body = fields.TextField()
    #: The body as plain text, derived on every write: what search indexes and snippets show.
    body_text = fields.TextField(default="")
    #: Words of ``body_text`` (derived on every write).
    word_count = fields.IntField(default=0)
    status = fields.CharEnumField(ArticleStatus, max_length=16, default=ArticleStatus.DRAFT)
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(default=utcnow)
    updated_at = fields.DatetimeField(default=utcnow)
    #: Starts at 1 and grows by one on every change.
    version = fields.IntField(default=1)

    tag_links: fields.ReverseRelation[ArticleTag]
    image_credits: fields.ReverseRelation[ImageCredit]

    class Meta:
        table = "article"
        indexes = (
            Index(fields=("published_at", "id"), name="article_published_at_id_idx"),
            Index(fields=("status", "published_at", "id"), name="article_status_published_idx"),
            Index(fields=("updated_at", "id"), name="article_updated_at_id_idx"),
            # Covers the visibility check by id, so joins from the search index (or a tag's
            # links) need not read the article rows, bodies and all.
            Index(fields=("id", "status", "published_at"), name="article_visibility_idx"),
        )

    def __str__(self) -> str:
        return self.slug


class Tag(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=SLUG_MAX_LENGTH, unique=True)
    name = fields.CharField(max_length=NAME_MAX_LENGTH)
    kind = fields.CharEnumField(TagKind, max_length=16, default=TagKind.TOPIC)
    description = fields.TextField(null=True)

    article_links: fields.ReverseRelation[ArticleTag]

    class Meta:
        table = "tag"
        indexes = (
            Index(fields=("name", "id"), name="tag_name_id_idx"),
            Index(fields=("kind", "name", "id"), name="tag_kind_name_id_idx"),
        )

    def __str__(self) -> str:
        return self.slug


class ArticleTag(Model):
    """An article carries a tag, at a position in the article's tag list."""

    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "cms.Article", related_name="tag_links", on_delete=fields.CASCADE, db_index=True
    )
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField(
        "cms.Tag", related_name="article_links", on_delete=fields.CASCADE, db_index=True
    )
    position = fields.IntField()

    article_id: int
    tag_id: int

    class Meta:
        table = "article_tag"
        unique_together = (("article", "tag"), ("article", "position"))
        indexes = (Index(fields=("tag_id", "article_id"), name="article_tag_tag_article_idx"),)


class Contributor(Model):
    """A person credited for images."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=SLUG_MAX_LENGTH, unique=True)
    name = fields.CharField(max_length=NAME_MAX_LENGTH)

    credit_links: fields.ReverseRelation[CreditContributor]

    class Meta:
        table = "contributor"
        indexes = (Index(fields=("name", "id"), name="contributor_name_id_idx"),)

    def __str__(self) -> str:
        return self.slug


class ImageCredit(Model):
    """The credit for an image shown with an article, as printed and as parsed."""

    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "cms.Article", related_name="image_credits", on_delete=fields.CASCADE, db_index=True
    )
    position = fields.IntField()
    #: The credit line as printed, e.g. "CGTN’s Reporter You Yang, Cai Jingxuan".
    text = fields.TextField()
    organization = fields.CharField(max_length=NAME_MAX_LENGTH, null=True)
    role = fields.CharField(max_length=NAME_MAX_LENGTH, null=True)
    image_url = fields.TextField(null=True)
    caption = fields.TextField(null=True)
    alt_text = fields.TextField(null=True)

    article_id: int
    contributor_links: fields.ReverseRelation[CreditContributor]

    class Meta:
        table = "image_credit"
        unique_together = (("article", "position"),)


class CreditContributor(Model):
    """A contributor named on an image credit, at a position in the credit's list."""

    id = fields.IntField(primary_key=True)
    credit: fields.ForeignKeyRelation[ImageCredit] = fields.ForeignKeyField(
        "cms.ImageCredit", related_name="contributor_links", on_delete=fields.CASCADE, db_index=True
    )
    contributor: fields.ForeignKeyRelation[Contributor] = fields.ForeignKeyField(
        "cms.Contributor", related_name="credit_links", on_delete=fields.CASCADE, db_index=True
    )
    position = fields.IntField()

    credit_id: int
    contributor_id: int

    class Meta:
        table = "credit_contributor"
        unique_together = (("credit", "contributor"), ("credit", "position"))


class ArticleRevision(Model):
    """The state of an article before one of its changes (credits are not versioned)."""

    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "cms.Article", related_name="revisions", on_delete=fields.CASCADE, db_index=True
    )
    #: The version the article had in this state.
    version = fields.IntField()
    #: When this state was replaced.
    created_at = fields.DatetimeField(default=utcnow)
    #: Fields the replacing change touched, e.g. ["title", "tags"].
    changed_fields: fields.Field[list[str]] = fields.JSONField(default=list)
    slug = fields.CharField(max_length=SLUG_MAX_LENGTH)
    title = fields.CharField(max_length=TITLE_MAX_LENGTH)
    summary = fields.TextField(null=True)
    body = fields.TextField()
    status = fields.CharEnumField(ArticleStatus, max_length=16)
    published_at = fields.DatetimeField(null=True)
    #: Tag slugs, in order.
    tags: fields.Field[list[str]] = fields.JSONField(default=list)

    article_id: int

    class Meta:
        table = "article_revision"
        unique_together = (("article", "version"),)


class AccessToken(Model):
    """An API token. The secret is shown once at creation, and only its SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=NAME_MAX_LENGTH, unique=True)
    scope = fields.CharEnumField(TokenScope, max_length=16)
    #: The public part of the token, used to find the row (the secret is compared by hash).
    key = fields.CharField(max_length=32, unique=True)
    secret_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(default=utcnow)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "access_token"

    def __str__(self) -> str:
        return self.name


class ChangeKind(StrEnum):
    """How a change looks to a caller: content appeared, changed, or went away."""

    PUBLISHED = "PUBLISHED"
    UPDATED = "UPDATED"
    REMOVED = "REMOVED"


class ContentType(StrEnum):
    ARTICLE = "ARTICLE"
    TAG = "TAG"


class ChangeEntry(Model):
    """One entry of the change log: one article or tag changed by one committed write.

    ``position`` orders the log: it is taken under a lock held until the write commits, so
    entries become visible in position order (see :mod:`cms.changes.log`). An entry holds two
    views of the change: ``kind``/``slug`` as callers who see everything see it, and
    ``public_kind``/``public_slug`` as anonymous callers see it (None: invisible to them).
    """

    position = fields.BigIntField(primary_key=True)
    type = fields.CharEnumField(ContentType, max_length=16)
    #: The article's or tag's id (no foreign key: entries outlive what they are about).
    content_id = fields.IntField()
    #: When the change took effect (a scheduled publication: its publishedAt).
    at = fields.DatetimeField()
    #: The change as preview and write callers see it (None: nothing for them).
    kind = fields.CharEnumField(ChangeKind, max_length=16, null=True)
    slug = fields.CharField(max_length=SLUG_MAX_LENGTH)
    #: The change as anonymous and read callers see it (None: they cannot see it).
    public_kind = fields.CharEnumField(ChangeKind, max_length=16, null=True)
    public_slug = fields.CharField(max_length=SLUG_MAX_LENGTH, null=True)
    #: The Cache-Tag keys of the responses the change makes stale.
    cache_tags: fields.Field[list[str]] = fields.JSONField(default=list)
    #: Slugs of the tags involved: an article's tags before and after, a tag's own slug.
    tags: fields.Field[list[str]] = fields.JSONField(default=list)

    class Meta:
        table = "change_entry"
        indexes = (Index(fields=("at",), name="change_entry_at_idx"),)


class ChangeLogState(Model):
    """The change log's one row of bookkeeping."""

    id = fields.IntField(primary_key=True)
    #: The newest position retention has deleted: a cursor before it is expired.
    pruned_through = fields.BigIntField(default=0)

    class Meta:
        table = "change_log_state"


class ScheduledPublication(Model):
    """An article published for a future time: the scheduler appends its PUBLISHED entry when
    the time comes (and deletes this row in the same transaction)."""

    id = fields.IntField(primary_key=True)
    article: fields.OneToOneRelation[Article] = fields.OneToOneField(
        "cms.Article", related_name="scheduled", on_delete=fields.CASCADE
    )
    published_at = fields.DatetimeField(db_index=True)

    article_id: int

    class Meta:
        table = "scheduled_publication"


class DeliveryStatus(StrEnum):
    """Where a webhook delivery stands: waiting for (another) attempt, answered with 2xx, or
    given up (attempts spent, or its endpoint answered 410 Gone)."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookEndpoint(Model):
    """A URL that receives the change log's anonymous view as signed webhooks.

    ``position`` is how far into the log the endpoint's deliveries were made: a new endpoint
    starts at the log's head (it gets changes from then on), and the worker advances it in the
    same transaction that creates the deliveries.
    """

    id = fields.IntField(primary_key=True)
    url = fields.TextField()
    #: The Standard Webhooks signing secret, ``whsec_<base64>`` (printed once, at ``add``).
    secret = fields.CharField(max_length=100)
    #: Event types delivered, e.g. ["article.published"] (empty: all).
    events: fields.Field[list[str]] = fields.JSONField(default=list)
    #: Content types delivered, e.g. ["ARTICLE"] (empty: all).
    types: fields.Field[list[str]] = fields.JSONField(default=list)
    enabled = fields.BooleanField(default=True)
    disabled_at = fields.DatetimeField(null=True)
    #: Why it was disabled (a receiver that answered 410 Gone).
    disabled_reason = fields.TextField(null=True)
    created_at = fields.DatetimeField(default=utcnow)
    #: The change log position fanned out into deliveries so far.
    position = fields.BigIntField(default=0)

    deliveries: fields.ReverseRelation[WebhookDelivery]

    class Meta:
        table = "webhook_endpoint"


class WebhookDelivery(Model):
    """One change log entry for one endpoint: the message, sent until it is answered with 2xx
    or given up. Every attempt of it carries the same ``message_id`` (the ``webhook-id``
    header), so receivers can drop duplicates."""

    id = fields.BigIntField(primary_key=True)
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "cms.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE, db_index=False
    )
    #: The change log entry delivered: an endpoint's deliveries go out in this order.
    position = fields.BigIntField()
    #: ``msg_<...>``, the ``webhook-id`` of every attempt.
    message_id = fields.CharField(max_length=64, unique=True)
    #: E.g. ``article.published``.
    event_type = fields.CharField(max_length=32)
    #: The JSON body sent, exactly (signatures cover these bytes).
    payload = fields.TextField()
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    #: Attempts started so far (an attempt cut short by a stopped process counts).
    attempts = fields.IntField(default=0)
    #: When the next attempt may start (while one runs: when its lease runs out).
    next_attempt_at = fields.DatetimeField(default=utcnow)
    #: While an attempt runs: when another process may take the delivery over.
    lease_until = fields.DatetimeField(null=True)
    #: Who holds the lease (a random token per attempt): only it records the outcome.
    lease_owner = fields.CharField(max_length=32, null=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(default=utcnow)
    updated_at = fields.DatetimeField(default=utcnow)

    endpoint_id: int
    attempt_log: fields.ReverseRelation[WebhookAttempt]

    class Meta:
        table = "webhook_delivery"
        unique_together = (("endpoint", "position"),)
        indexes = (
            # The head of each endpoint's queue: its oldest pending delivery.
            Index(fields=("endpoint_id", "status", "position"), name="webhook_delivery_queue_idx"),
            Index(fields=("status", "next_attempt_at"), name="webhook_delivery_due_idx"),
        )


class WebhookAttempt(Model):
    """One attempt at a delivery, as the delivery log shows it: when, how long, and the status
    code or the error (neither: the process stopped before it learned the outcome)."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "cms.WebhookDelivery", related_name="attempt_log", on_delete=fields.CASCADE, db_index=True
    )
    #: 1 for the first attempt.
    number = fields.IntField()
    started_at = fields.DatetimeField(default=utcnow)
    duration_ms = fields.IntField(null=True)
    status_code = fields.IntField(null=True)
    error = fields.TextField(null=True)

    delivery_id: int

    class Meta:
        table = "webhook_attempt"
