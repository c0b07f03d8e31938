"""Tag commands applied one at a time, as the mutations do: create, update, delete."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cms.content.slugs import slugify
from cms.content.state import TagState
from cms.content.validation import ErrorCode, FieldError, validate_tag
from cms.models import Tag
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
        tag = await Tag.create(
            slug=state.slug, name=state.name, kind=state.kind, description=state.description
        )
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
    return TagOutcome(pk)


async def delete_tag(command: DeleteTag) -> TagOutcome:
    """Delete a tag; articles that carried it lose it (their versions are unchanged)."""
    deleted = await Tag.filter(id=command.id).delete()
    return TagOutcome(None, [] if deleted else _not_found(command.id))
