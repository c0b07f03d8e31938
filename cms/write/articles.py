"""Article commands applied one at a time, as the mutations do: create, update, publish,
unpublish, restore, delete.

Each command is one transaction; problems come back as :class:`FieldError` values (domain field
paths) and leave the database as it was. The next state comes from :mod:`.core`; a change bumps
``version`` and ``updated_at`` and keeps the previous state as a revision; the version check
and the write are one conditional ``UPDATE``, so two writers holding the same version cannot
both win.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cms.changes import record
from cms.changes.entries import append
from cms.changes.record import ArticleChange, TagChange
from cms.content.state import OMITTED, ArticleFields, ArticleState
from cms.content.validation import ErrorCode, FieldError, validate_article
from cms.models import Article, ArticleRevision, Tag
from cms.write import core
from cms.write.commands import (
    CreateArticle,
    DeleteArticle,
    PublishArticle,
    RestoreArticle,
    UnpublishArticle,
    UpdateArticle,
)
from cms.write.names import Names
from cms.write.relations import delete_relations, insert_credits, insert_tag_links
from cms.write.stored import StoredArticle, load_article


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
            "expected_version",
            f"the article is at version {current}, not {expected}: reload it and try again",
            ErrorCode.CONFLICT,
        )
    )


def _duplicate(slug: str) -> _Refused:
    return _Refused(
        FieldError("slug", f"another article already uses the slug {slug!r}", ErrorCode.DUPLICATE)
    )


async def _slug_taken(slug: str, pk: int | None = None) -> bool:
    query = Article.filter(slug=slug)
    if pk is not None:
        query = query.exclude(id=pk)
    return await query.exists()


async def _resolved(fields: ArticleFields) -> tuple[dict[str, object], Names]:
    """The state values ``fields`` give, with tags and contributors found or created."""
    names = Names()
    tags, people = core.names_in(fields)
    if fields.tags is not OMITTED or fields.image_credits is not OMITTED:
        await names.look_up(tags, people)
    values, problems = core.resolve(fields, names)
    if problems:
        raise _Refused(*problems)
    await names.create_missing()
    return values, names


async def _write_relations(pk: int, write: core.ArticleWrite, names: Names) -> None:
    """Replace the tag links and credits that changed (ids from ``names``)."""
    retag, recredit = write.retag, write.recredit
    if write.before is not None:
        await delete_relations([pk] if retag else [], [pk] if recredit else [])
    if retag and write.state.tags:
        await insert_tag_links([(pk, [names.tag_ids[slug] for slug in write.state.tags])])
    if recredit and write.state.image_credits:
        await insert_credits([(pk, write.state.image_credits)], names.people_ids)


async def _log(names: Names, changes: list[ArticleChange], now: datetime) -> None:
    """Append the change log's entries of this write: the tags it created, then the articles."""
    created = [TagChange(pk, None, tag) for pk, tag in names.created_tags]
    entries = record.tag_entries(created, now) + await record.article_entries(changes, now)
    await append(entries)


async def create_article(command: CreateArticle, now: datetime) -> Outcome:
    if errors := validate_article(command.fields):
        return Outcome(None, errors)
    slug = core.article_slug(command.fields)
    if isinstance(slug, FieldError):
        return Outcome(None, [slug])
    try:
        async with in_transaction("default"):
            if await _slug_taken(slug):
                raise _duplicate(slug)
            values, names = await _resolved(command.fields)
            write = core.plan(None, core.next_state(None, values, now, slug), now)
            article = await Article.create(**core.columns(write.state, write.meta))
            await _write_relations(article.id, write, names)
            await _log(names, [ArticleChange(article.id, None, write.state)], now)
    except _Refused as refused:
        return Outcome(None, refused.errors)
    except IntegrityError:
        return Outcome(None, _duplicate(slug).errors)
    return Outcome(article.id)


Change = Callable[[StoredArticle], Awaitable[tuple[ArticleState, Names]]]


async def _change(pk: int, expected_version: int | None, now: datetime, change: Change) -> Outcome:
    """Apply ``change`` (gives the new state, or raises :class:`_Refused`) atomically."""
    try:
        async with in_transaction("default"):
            before = await load_article(pk)
            if before is None:
                raise _not_found(pk)
            if expected_version is not None and expected_version != before.meta.version:
                raise _conflict(expected_version, before.meta.version)
            state, names = await change(before)
            state = core.published(state, before.state, now)
            write = core.plan(before, state, now)
            if write.unchanged:
                return Outcome(pk)
            if state.slug != before.state.slug and await _slug_taken(state.slug, pk):
                raise _duplicate(state.slug)
            version = before.meta.version
            try:
                updated = await Article.filter(id=pk, version=version).update(
                    **core.columns(write.state, write.meta)
                )
            except IntegrityError:  # the slug was taken since we looked
                raise _duplicate(state.slug) from None
            # (SQLite counts rows that triggers touch too, so test for none rather than one.)
            if not updated:  # another writer got there between our read and this write
                raise _conflict(expected_version or version, version + 1)
            if revision := write.revision(now):
                await revision.save()
            await _write_relations(pk, write, names)
            logged = ArticleChange(pk, before.state, write.state, before.meta.updated_at)
            await _log(names, [logged], now)
    except _Refused as refused:
        return Outcome(None, refused.errors)
    return Outcome(pk)


async def update_article(command: UpdateArticle, now: datetime) -> Outcome:
    if errors := validate_article(command.fields, partial=True):
        return Outcome(None, errors)

    async def change(before: StoredArticle) -> tuple[ArticleState, Names]:
        values, names = await _resolved(command.fields)
        slug = command.fields.slug if isinstance(command.fields.slug, str) else None
        return core.next_state(before.state, values, now, slug), names

    return await _change(command.id, command.expected_version, now, change)


async def publish_article(command: PublishArticle, now: datetime) -> Outcome:
    async def change(before: StoredArticle) -> tuple[ArticleState, Names]:
        return core.publish(before.state, command.published_at, now), Names()

    return await _change(command.id, command.expected_version, now, change)


async def unpublish_article(command: UnpublishArticle, now: datetime) -> Outcome:
    async def change(before: StoredArticle) -> tuple[ArticleState, Names]:
        return core.unpublish(before.state), Names()

    return await _change(command.id, command.expected_version, now, change)


async def restore_revision(command: RestoreArticle, now: datetime) -> Outcome:
    """Bring back a revision's state as a new version (credits stay as they are; tags deleted
    since then are left out)."""

    async def change(before: StoredArticle) -> tuple[ArticleState, Names]:
        revision = await ArticleRevision.get_or_none(article_id=command.id, version=command.version)
        if revision is None:
            raise _Refused(
                FieldError(
                    "version", f"the article has no revision {command.version}", ErrorCode.NOT_FOUND
                )
            )
        names = Names()
        found = await Tag.filter(slug__in=list(revision.tags)).values_list("slug", "id")
        names.tag_ids.update(found)
        return core.restored(before.state, revision, names.tag_ids), names

    return await _change(command.id, command.expected_version, now, change)


async def delete_article(command: DeleteArticle, now: datetime) -> Outcome:
    """Delete an article (its credits, tag links and revisions go with it)."""
    pk, expected_version = command.id, command.expected_version
    try:
        async with in_transaction("default"):
            before = await load_article(pk)
            if before is None:
                raise _not_found(pk)
            version = before.meta.version
            if expected_version is not None and expected_version != version:
                raise _conflict(expected_version, version)
            if not await Article.filter(id=pk, version=version).delete():
                raise _conflict(expected_version or version, version + 1)
            change = ArticleChange(pk, before.state, None, before.meta.updated_at)
            await _log(Names(), [change], now)
    except _Refused as refused:
        return Outcome(None, refused.errors)
    return Outcome(None)
