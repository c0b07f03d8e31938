"""Tags and contributors named in an input: found by slug or name, created when missing.

Tags: an entry that is a tag's slug or exact name is that tag; otherwise the tag whose slug the
entry makes, or a new TOPIC tag named as written. Contributors: the one whose slug the name
makes, or a new one with that name.
"""

from __future__ import annotations

from collections.abc import Sequence

from cms.content.slugs import slugify
from cms.content.validation import FieldError
from cms.models import Contributor, Tag, TagKind


async def resolve_tags(
    entries: Sequence[str], field: str = "tags"
) -> tuple[list[tuple[str, int]], list[FieldError]]:
    """(slug, id) for each distinct entry, in order, creating missing TOPIC tags."""
    wanted = [entry.strip() for entry in entries]
    candidates = {e for e in wanted} | {slugify(e) for e in wanted}
    by_slug = {t.slug: t for t in await Tag.filter(slug__in=list(candidates))}
    by_name = {t.name: t for t in await Tag.filter(name__in=wanted)}
    result: list[tuple[str, int]] = []
    errors: list[FieldError] = []
    for index, entry in enumerate(wanted):
        tag = by_slug.get(entry) or by_name.get(entry) or by_slug.get(slugify(entry))
        if tag is None:
            slug = slugify(entry)
            if not slug:
                errors.append(
                    FieldError(f"{field}.{index}", f"cannot make a tag slug from {entry!r}")
                )
                continue
            tag = await Tag.create(slug=slug, name=entry, kind=TagKind.TOPIC)
            by_slug[slug] = tag
        if (tag.slug, tag.id) not in result:
            result.append((tag.slug, tag.id))
    return result, errors


async def resolve_contributors(
    names: Sequence[str], field: str
) -> tuple[list[tuple[str, int]], list[FieldError]]:
    """(slug, id) for each distinct name, in order, creating missing contributors."""
    wanted = [name.strip() for name in names]
    slugs = [slugify(name) for name in wanted]
    by_slug = {c.slug: c for c in await Contributor.filter(slug__in=[s for s in slugs if s])}
    result: list[tuple[str, int]] = []
    errors: list[FieldError] = []
    for index, (name, slug) in enumerate(zip(wanted, slugs, strict=True)):
        if not slug:
            errors.append(FieldError(f"{field}.{index}", f"cannot make a slug from {name!r}"))
            continue
        person = by_slug.get(slug)
        if person is None:
            person = by_slug[slug] = await Contributor.create(slug=slug, name=name)
        if (slug, person.id) not in result:
            result.append((slug, person.id))
    return result, errors
