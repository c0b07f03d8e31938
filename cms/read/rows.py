"""Row types the read queries return and the GraphQL types resolve from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cms.models import ArticleStatus, TagKind
from cms.read.sql import Row, as_datetime

#: Stored values to enum members (a dict lookup: calling the enum class costs ~10x more).
_STATUSES = {status.value: status for status in ArticleStatus}
_KINDS = {kind.value: kind for kind in TagKind}


@dataclass(slots=True)
class ArticleRow:
    pk: int
    slug: str
    title: str
    summary: str | None
    #: None when read by a list (see LIST_COLUMNS): the resolver then loads it when selected.
    body: str | None
    status: ArticleStatus
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    word_count: int


#: The select list :func:`article_row` reads, for the table aliased ``a``.
ARTICLE_COLUMNS = (
    "a.id, a.slug, a.title, a.summary, a.body, a.status, a.published_at, a.created_at,"
    " a.updated_at, a.version, a.word_count"
)
#: The same without the body, for lists and pages: bodies are kilobytes each, carried through
#: sorts and window functions and rarely asked for in a list (ArticleRow.body is then None).
LIST_COLUMNS = ARTICLE_COLUMNS.replace("a.body,", "NULL,")


def article_row(r: Row) -> ArticleRow:
    return ArticleRow(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        _STATUSES[r[5]],
        as_datetime(r[6]),
        as_datetime(r[7]),  # type: ignore[arg-type]
        as_datetime(r[8]),  # type: ignore[arg-type]
        r[9],
        r[10],
    )


@dataclass(slots=True)
class TagRow:
    pk: int
    slug: str
    name: str
    kind: TagKind
    description: str | None


TAG_COLUMNS = "t.id, t.slug, t.name, t.kind, t.description"


def tag_row(r: Row) -> TagRow:
    return TagRow(r[0], r[1], r[2], _KINDS[r[3]], r[4])


@dataclass(slots=True)
class ContributorRow:
    pk: int
    slug: str
    name: str


CONTRIBUTOR_COLUMNS = "c.id, c.slug, c.name"


def contributor_row(r: Row) -> ContributorRow:
    return ContributorRow(r[0], r[1], r[2])


@dataclass(slots=True)
class CreditRow:
    pk: int
    article_id: int
    position: int
    text: str
    organization: str | None
    role: str | None
    image_url: str | None
    caption: str | None
    alt_text: str | None


CREDIT_COLUMNS = (
    "ic.id, ic.article_id, ic.position, ic.text, ic.organization, ic.role, ic.image_url,"
    " ic.caption, ic.alt_text"
)


def credit_row(r: Row) -> CreditRow:
    return CreditRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8])
