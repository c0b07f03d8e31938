"""The ``Mutation`` root: each field turns its input into a command (:mod:`cms.write.commands`),
hands it to the write layer and reads the result back through fresh loaders, so the payload
shows what was just written. Errors come back with domain field paths, renamed here to the
API's (``image_credits.0.alt_text`` -> ``imageCredits.0.altText``).

Access (a ``write`` token) is checked for the whole operation before anything runs; see
:mod:`cms.graphql.permissions`.
"""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry

from cms.content.state import api_path
from cms.content.text import unstorable
from cms.content.validation import ErrorCode, FieldError
from cms.graphql.context import Info
from cms.graphql.ids import from_global_id, to_global_id
from cms.graphql.mutation_types import (
    CreateArticleInput,
    CreateArticlePayload,
    CreateTagInput,
    CreateTagPayload,
    DeleteArticleInput,
    DeleteArticlePayload,
    DeleteTagInput,
    DeleteTagPayload,
    PublishArticleInput,
    PublishArticlePayload,
    RestoreArticleRevisionInput,
    RestoreArticleRevisionPayload,
    Result,
    UnpublishArticleInput,
    UnpublishArticlePayload,
    UpdateArticleInput,
    UpdateArticlePayload,
    UpdateTagInput,
    UpdateTagPayload,
    article_fields,
    tag_fields,
)
from cms.timeutil import utcnow
from cms.write import articles, commands, tags
from cms.write.articles import Outcome
from cms.write.tags import TagOutcome


def _pk(global_id: str, type_name: str) -> int | None:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]


def _unknown(type_name: str, global_id: str) -> Result:
    """The payload for an id that names no such object (INVALID when it is not even text)."""
    if problem := unstorable(global_id):
        return Result(errors=[FieldError("id", problem, ErrorCode.INVALID)])
    kind = "an article" if type_name == "Article" else "a tag"
    return Result(errors=[FieldError("id", f"not {kind} id", ErrorCode.NOT_FOUND)])


def _version(value: int | None) -> int | None:
    return None if value is strawberry.UNSET else value


def _errors(errors: list[FieldError]) -> list[FieldError]:
    """Errors with the API's field names."""
    return [FieldError(api_path(e.field), e.message, e.code) for e in errors]


async def _article_result(info: Info, outcome: Awaitable[Outcome]) -> Result:
    done = await outcome
    info.context.reset_loaders()
    if done.errors or done.article_id is None:
        return Result(errors=_errors(done.errors))
    return Result(article=await info.context.loaders.article.load(done.article_id))


async def _tag_result(info: Info, outcome: Awaitable[TagOutcome]) -> Result:
    done = await outcome
    info.context.reset_loaders()
    if done.errors or done.tag_id is None:
        return Result(errors=_errors(done.errors))
    return Result(tag=await info.context.loaders.tag.load(done.tag_id))


async def create_article(info: Info, input: CreateArticleInput) -> Result:
    command = commands.CreateArticle(article_fields(input))
    return await _article_result(info, articles.create_article(command, utcnow()))


async def update_article(info: Info, input: UpdateArticleInput) -> Result:
    pk = _pk(input.id, "Article")
    if pk is None:
        return _unknown("Article", input.id)
    command = commands.UpdateArticle(pk, article_fields(input), _version(input.expected_version))
    return await _article_result(info, articles.update_article(command, utcnow()))


async def publish_article(info: Info, input: PublishArticleInput) -> Result:
    pk = _pk(input.id, "Article")
    if pk is None:
        return _unknown("Article", input.id)
    when = None if input.published_at is strawberry.UNSET else input.published_at
    command = commands.PublishArticle(pk, _version(input.expected_version), when)
    return await _article_result(info, articles.publish_article(command, utcnow()))


async def unpublish_article(info: Info, input: UnpublishArticleInput) -> Result:
    pk = _pk(input.id, "Article")
    if pk is None:
        return _unknown("Article", input.id)
    command = commands.UnpublishArticle(pk, _version(input.expected_version))
    return await _article_result(info, articles.unpublish_article(command, utcnow()))


async def restore_article_revision(info: Info, input: RestoreArticleRevisionInput) -> Result:
    pk = _pk(input.id, "Article")
    if pk is None:
        return _unknown("Article", input.id)
    command = commands.RestoreArticle(pk, input.version, _version(input.expected_version))
    return await _article_result(info, articles.restore_revision(command, utcnow()))


async def delete_article(info: Info, input: DeleteArticleInput) -> Result:
    pk = _pk(input.id, "Article")
    if pk is None:
        return _unknown("Article", input.id)
    command = commands.DeleteArticle(pk, _version(input.expected_version))
    done = await articles.delete_article(command, utcnow())
    info.context.reset_loaders()
    if done.errors:
        return Result(errors=_errors(done.errors))
    return Result(deleted_id=to_global_id("Article", pk))


async def create_tag(info: Info, input: CreateTagInput) -> Result:
    return await _tag_result(info, tags.create_tag(commands.CreateTag(tag_fields(input))))


async def update_tag(info: Info, input: UpdateTagInput) -> Result:
    pk = _pk(input.id, "Tag")
    if pk is None:
        return _unknown("Tag", input.id)
    return await _tag_result(info, tags.update_tag(commands.UpdateTag(pk, tag_fields(input))))


async def delete_tag(info: Info, input: DeleteTagInput) -> Result:
    pk = _pk(input.id, "Tag")
    if pk is None:
        return _unknown("Tag", input.id)
    done = await tags.delete_tag(commands.DeleteTag(pk))
    info.context.reset_loaders()
    if done.errors:
        return Result(errors=_errors(done.errors))
    return Result(deleted_id=to_global_id("Tag", pk))


@strawberry.type
class Mutation:
    create_article: CreateArticlePayload = strawberry.field(resolver=create_article)
    update_article: UpdateArticlePayload = strawberry.field(resolver=update_article)
    publish_article: PublishArticlePayload = strawberry.field(resolver=publish_article)
    unpublish_article: UnpublishArticlePayload = strawberry.field(
        resolver=unpublish_article,
        description="Returns the article to DRAFT (and clears its publication time).",
    )
    restore_article_revision: RestoreArticleRevisionPayload = strawberry.field(
        resolver=restore_article_revision
    )
    delete_article: DeleteArticlePayload = strawberry.field(resolver=delete_article)
    create_tag: CreateTagPayload = strawberry.field(resolver=create_tag)
    update_tag: UpdateTagPayload = strawberry.field(resolver=update_tag)
    delete_tag: DeleteTagPayload = strawberry.field(resolver=delete_tag)
