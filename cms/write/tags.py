"""Tag operations behind the mutations: create, update, delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cms.content.slugs import slugify
from cms.content.validation import ErrorCode, FieldError, validate_tag
from cms.models import Tag, TagKind


@dataclass
class TagOutcome:
    tag_id: int | None
    errors: list[FieldError] = field(default_factory=list)


def _duplicate(slug: str) -> list[FieldError]:
    return [FieldError("slug", f"another tag already uses the slug {slug!r}", ErrorCode.DUPLICATE)]


def _not_found(pk: int) -> list[FieldError]:
    return [FieldError("id", f"no tag with this id ({pk})", ErrorCode.NOT_FOUND)]


async def create_tag(data: Mapping[str, Any]) -> TagOutcome:
    if errors := validate_tag(data):
        return TagOutcome(None, errors)
    name = data["name"].strip()
    slug = data.get("slug") or slugify(name)
    if not slug:
        return TagOutcome(
            None, [FieldError("name", "cannot make a slug from this name; give a slug")]
        )
    if await Tag.filter(slug=slug).exists():
        return TagOutcome(None, _duplicate(slug))
    try:
        tag = await Tag.create(
            slug=slug,
            name=name,
            kind=TagKind(data.get("kind") or TagKind.TOPIC),
            description=data.get("description"),
        )
    except IntegrityError:
        return TagOutcome(None, _duplicate(slug))
    return TagOutcome(tag.id)


async def update_tag(pk: int, data: Mapping[str, Any]) -> TagOutcome:
    if errors := validate_tag(data, partial=True):
        return TagOutcome(None, errors)
    for key in ("slug", "name", "kind"):
        if key in data and data[key] is None:
            return TagOutcome(None, [FieldError(key, "must not be null")])
    async with in_transaction("default"):
        tag = await Tag.get_or_none(id=pk)
        if tag is None:
            return TagOutcome(None, _not_found(pk))
        slug = data.get("slug", tag.slug)
        if slug != tag.slug and await Tag.filter(slug=slug).exists():
            return TagOutcome(None, _duplicate(slug))
        tag.slug = slug
        tag.name = data["name"].strip() if "name" in data else tag.name
        tag.kind = TagKind(data["kind"]) if "kind" in data else tag.kind
        tag.description = data.get("description", tag.description)
        try:
            await tag.save()
        except IntegrityError:
            return TagOutcome(None, _duplicate(slug))
    return TagOutcome(pk)


async def delete_tag(pk: int) -> TagOutcome:
    """Delete a tag; articles that carried it lose it (their versions are unchanged)."""
    deleted = await Tag.filter(id=pk).delete()
    return TagOutcome(None, [] if deleted else _not_found(pk))
