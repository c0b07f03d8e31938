"""Tag commands applied one at a time, as the mutations do: create, update, delete."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cms.changes import record
from cms.changes.entries import append
from cms.changes.record import TagChange
from cms.content.slugs import slugify
from cms.content.state import TagState
from cms.content.validation import ErrorCode, FieldError, validate_tag
from cms.models import Tag
from cms.timeutil import utcnow
from cms.write.commands import CreateTag, DeleteTag, UpdateTag
from cms.write.core import next_tag


@dataclass
class TagOutcome:
    tag_id: int | None
    errors: list[FieldError] = field(default_factory=list)


def _duplicate(slug: str) -> list[FieldError]:
    return [FieldError("slug", f"another tag already uses the slug {slug!r}", ErrorCode.DUPLICATE)]


def _not_found(pk: int) -> list[FieldError]:
    return [FieldError("id", f"no tag with this id ({pk})", ErrorCode.NOT_FOUND)]


async def create_tag(command: CreateTag) -> TagOutcome:
    fields = command.fields
    if errors := validate_tag(fields):
        return TagOutcome(None, errors)
    name = str(fields.name).strip()
    slug = fields.slug if isinstance(fields.slug, str) and fields.slug else slugify(name)
    if not slug:
        return TagOutcome(
            None, [FieldError("name", "cannot make a slug from this name; give a slug")]
        )
    if await Tag.filter(slug=slug).exists():
        return TagOutcome(None, _duplicate(slug))
    state = next_tag(None, slug, fields)
    try:
        async with in_transaction("default"):
            tag = await Tag.create(
                slug=state.slug, name=state.name, kind=state.kind, description=state.description
            )
            await append(record.tag_entries([TagChange(tag.id, None, state)], utcnow()))
    except IntegrityError:
        return TagOutcome(None, _duplicate(slug))
    return TagOutcome(tag.id)


async def update_tag(command: UpdateTag) -> TagOutcome:
    fields, pk = command.fields, command.id
    if errors := validate_tag(fields, partial=True):
        return TagOutcome(None, errors)
    async with in_transaction("default"):
        tag = await Tag.get_or_none(id=pk)
        if tag is None:
            return TagOutcome(None, _not_found(pk))
        slug = fields.slug if isinstance(fields.slug, str) else tag.slug
        if slug != tag.slug and await Tag.filter(slug=slug).exists():
            return TagOutcome(None, _duplicate(slug))
        before = TagState(tag.slug, tag.name, tag.kind, tag.description)
        state = next_tag(before, slug, fields)
        if state == before:
            return TagOutcome(pk)
        tag.slug, tag.name, tag.kind = state.slug, state.name, state.kind
        tag.description = state.description  # type: ignore[assignment]
        try:
            await tag.save()
        except IntegrityError:
            return TagOutcome(None, _duplicate(slug))
        now = utcnow()
        change = TagChange(pk, before, state, public=await record.tag_public(pk, now))
        await append(record.tag_entries([change], now))
    return TagOutcome(pk)


async def delete_tag(command: DeleteTag) -> TagOutcome:
    """Delete a tag; articles that carried it lose it (their versions are unchanged)."""
    pk = command.id
    async with in_transaction("default"):
        tag = await Tag.get_or_none(id=pk)
        if tag is None:
            return TagOutcome(None, _not_found(pk))
        now = utcnow()
        before = TagState(tag.slug, tag.name, tag.kind, tag.description)
        change = TagChange(pk, before, None, public=await record.tag_public(pk, now))
        if not await Tag.filter(id=pk).delete():
            return TagOutcome(None, _not_found(pk))
        await append(record.tag_entries([change], now))
    return TagOutcome(None)
