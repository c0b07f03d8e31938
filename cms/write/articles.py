"""Article operations behind the mutations: create, update, publish, unpublish, restore, delete.

Input is the camelCase shape of the GraphQL inputs with only the keys the caller gave. Each
operation is one transaction; problems come back as :class:`FieldError` values and leave the
database as it was. A change bumps ``version`` and ``updatedAt`` and keeps the previous state as
a revision; the version check and the write are one conditional ``UPDATE``, so two writers
holding the same version cannot both win.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cms.content.credits import parse_credit
from cms.content.markdown import derived_columns
from cms.content.slugs import slugify
from cms.content.state import ArticleState, CreditState, changed_fields
from cms.content.validation import ErrorCode, FieldError, validate_article
from cms.fixtures.snapshot import StoredArticle, load_article
from cms.models import Article, ArticleRevision, ArticleStatus, Tag
from cms.write.names import resolve_contributors, resolve_tags
from cms.write.relations import delete_relations, insert_credits, insert_tag_links
from cms.write.revisions import revision_row


@dataclass
class Outcome:
    """What a write did: the article's id (None when refused or deleted) and the problems."""

    article_id: int | None
    errors: list[FieldError] = dataclasses.field(default_factory=list)


class _Refused(Exception):
    """Raised inside a transaction to roll it back and report ``errors``."""

    def __init__(self, *errors: FieldError) -> None:
        self.errors = list(errors)


def _not_found(pk: int) -> _Refused:
    return _Refused(FieldError("id", f"no article with this id ({pk})", ErrorCode.NOT_FOUND))


def _conflict(expected: int, current: int) -> _Refused:
    return _Refused(
        FieldError(
            "expectedVersion",
            f"the article is at version {current}, not {expected}: reload it and try again",
            ErrorCode.CONFLICT,
        )
    )


@dataclass
class _Relations:
    """Tag ids and contributor ids resolved for a new state."""

    tag_ids: list[int] = dataclasses.field(default_factory=list)
    people_ids: dict[str, int] = dataclasses.field(default_factory=dict)


async def _credits(
    given: Sequence[Mapping[str, Any]], relations: _Relations
) -> tuple[tuple[CreditState, ...], list[FieldError]]:
    credits: list[CreditState] = []
    errors: list[FieldError] = []
    for position, data in enumerate(given):
        text = data["text"].strip()
        parsed = parse_credit(text)
        names = data.get("contributors")
        if names is None:
            names = list(parsed.contributors)
        people, problems = await resolve_contributors(
            names, f"imageCredits.{position}.contributors"
        )
        errors.extend(problems)
        relations.people_ids.update(people)
        credits.append(
            CreditState(
                text=text,
                organization=data.get("organization", parsed.organization),
                role=data.get("role", parsed.role),
                contributors=tuple(slug for slug, _ in people),
                image_url=data.get("imageUrl"),
                caption=data.get("caption"),
                alt_text=data.get("altText"),
            )
        )
    return tuple(credits), errors


async def _fields(
    data: Mapping[str, Any], relations: _Relations
) -> tuple[dict[str, Any], list[FieldError]]:
    """``ArticleState`` fields from the input's given keys (tags and credits resolved)."""
    fields: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key, name in (
        ("slug", "slug"),
        ("title", "title"),
        ("summary", "summary"),
        ("body", "body"),
        ("publishedAt", "published_at"),
    ):
        if key in data:
            fields[name] = data[key]
    if data.get("status") is not None:
        fields["status"] = ArticleStatus(data["status"])
    if data.get("tags") is not None:
        tags, problems = await resolve_tags(data["tags"])
        errors.extend(problems)
        fields["tags"] = tuple(slug for slug, _ in tags)
        relations.tag_ids = [pk for _, pk in tags]
    if data.get("imageCredits") is not None:
        fields["image_credits"], problems = await _credits(data["imageCredits"], relations)
        errors.extend(problems)
    return fields, errors


def _published(state: ArticleState, before: ArticleState | None, now: datetime) -> ArticleState:
    """A published article always has a publication time: the one it had, or now."""
    if state.status is ArticleStatus.PUBLISHED and state.published_at is None:
        kept = before.published_at if before else None
        return dataclasses.replace(state, published_at=kept or now)
    return state


def _columns(state: ArticleState) -> dict[str, Any]:
    return {
        "slug": state.slug,
        "title": state.title,
        "summary": state.summary,
        **derived_columns(state.body),
        "status": state.status,
        "published_at": state.published_at,
    }


async def _slug_taken(slug: str, pk: int | None = None) -> bool:
    query = Article.filter(slug=slug)
    if pk is not None:
        query = query.exclude(id=pk)
    return await query.exists()


def _duplicate(slug: str) -> _Refused:
    return _Refused(
        FieldError("slug", f"another article already uses the slug {slug!r}", ErrorCode.DUPLICATE)
    )


async def create_article(data: Mapping[str, Any], now: datetime) -> Outcome:
    if errors := validate_article(data):
        return Outcome(None, errors)
    slug = data.get("slug") or slugify(data["title"])
    if not slug:
        return Outcome(
            None, [FieldError("title", "cannot make a slug from this title; give a slug")]
        )
    try:
        async with in_transaction("default"):
            if await _slug_taken(slug):
                raise _duplicate(slug)
            relations = _Relations()
            fields, problems = await _fields(data, relations)
            if problems:
                raise _Refused(*problems)
            fields["slug"] = slug
            state = _published(ArticleState(**fields), None, now)
            article = await Article.create(
                **_columns(state), created_at=now, updated_at=now, version=1
            )
            await insert_tag_links([(article.id, relations.tag_ids)])
            await insert_credits([(article.id, state.image_credits)], relations.people_ids)
    except _Refused as refused:
        return Outcome(None, refused.errors)
    except IntegrityError:
        return Outcome(None, _duplicate(slug).errors)
    return Outcome(article.id)


async def _change(
    pk: int,
    expected_version: int | None,
    now: datetime,
    change: Callable[[StoredArticle, _Relations], Any],
) -> Outcome:
    """Apply ``change`` (returns the new state, or raises :class:`_Refused`) atomically."""
    try:
        async with in_transaction("default"):
            before = await load_article(pk)
            if before is None:
                raise _not_found(pk)
            if expected_version is not None and expected_version != before.meta.version:
                raise _conflict(expected_version, before.meta.version)
            relations = _Relations()
            state: ArticleState = _published(await change(before, relations), before.state, now)
            if state == before.state:
                return Outcome(pk)
            if state.slug != before.state.slug and await _slug_taken(state.slug, pk):
                raise _duplicate(state.slug)
            version = before.meta.version
            try:
                updated = await Article.filter(id=pk, version=version).update(
                    **_columns(state), updated_at=now, version=version + 1
                )
            except IntegrityError:  # the slug was taken since we looked
                raise _duplicate(state.slug) from None
            # (SQLite counts rows that triggers touch too, so test for none rather than one.)
            if not updated:  # another writer got there between our read and this write
                raise _conflict(expected_version or version, version + 1)
            await revision_row(before, changed_fields(before.state, state), now).save()
            retag = state.tags != before.state.tags
            recredit = state.image_credits != before.state.image_credits
            await delete_relations([pk] if retag else [], [pk] if recredit else [])
            if retag:
                await insert_tag_links([(pk, relations.tag_ids)])
            if recredit:
                await insert_credits([(pk, state.image_credits)], relations.people_ids)
    except _Refused as refused:
        return Outcome(None, refused.errors)
    return Outcome(pk)


async def update_article(
    pk: int, data: Mapping[str, Any], expected_version: int | None, now: datetime
) -> Outcome:
    if errors := validate_article(data, partial=True):
        return Outcome(None, errors)

    async def change(before: StoredArticle, relations: _Relations) -> ArticleState:
        fields, problems = await _fields(data, relations)
        if problems:
            raise _Refused(*problems)
        return dataclasses.replace(before.state, **fields)

    return await _change(pk, expected_version, now, change)


async def publish_article(
    pk: int, expected_version: int | None, published_at: datetime | None, now: datetime
) -> Outcome:
    async def change(before: StoredArticle, relations: _Relations) -> ArticleState:
        when = published_at
        if when is None and before.state.status is ArticleStatus.PUBLISHED:
            when = before.state.published_at
        return dataclasses.replace(
            before.state, status=ArticleStatus.PUBLISHED, published_at=when or now
        )

    return await _change(pk, expected_version, now, change)


async def unpublish_article(pk: int, expected_version: int | None, now: datetime) -> Outcome:
    async def change(before: StoredArticle, relations: _Relations) -> ArticleState:
        return dataclasses.replace(before.state, status=ArticleStatus.DRAFT, published_at=None)

    return await _change(pk, expected_version, now, change)


async def restore_revision(
    pk: int, version: int, expected_version: int | None, now: datetime
) -> Outcome:
    """Bring back a revision's state as a new version (credits stay as they are; tags deleted
    since then are left out)."""

    async def change(before: StoredArticle, relations: _Relations) -> ArticleState:
        revision = await ArticleRevision.get_or_none(article_id=pk, version=version)
        if revision is None:
            raise _Refused(
                FieldError("version", f"the article has no revision {version}", ErrorCode.NOT_FOUND)
            )
        found = dict(await Tag.filter(slug__in=list(revision.tags)).values_list("slug", "id"))
        slugs = [slug for slug in revision.tags if slug in found]
        relations.tag_ids = [found[slug] for slug in slugs]
        return dataclasses.replace(
            before.state,
            slug=revision.slug,
            title=revision.title,
            summary=revision.summary,
            body=revision.body,
            status=ArticleStatus(revision.status),
            published_at=revision.published_at,
            tags=tuple(slugs),
        )

    return await _change(pk, expected_version, now, change)


async def delete_article(pk: int, expected_version: int | None) -> Outcome:
    """Delete an article (its credits, tag links and revisions go with it)."""
    try:
        async with in_transaction("default"):
            current = await Article.filter(id=pk).values_list("version")
            if not current:
                raise _not_found(pk)
            (version,) = current[0]
            if expected_version is not None and expected_version != version:
                raise _conflict(expected_version, version)
            if not await Article.filter(id=pk, version=version).delete():
                raise _conflict(expected_version or version, version + 1)
    except _Refused as refused:
        return Outcome(None, refused.errors)
    return Outcome(None)
