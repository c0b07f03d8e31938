"""The write core: what every command does to the domain state, in one place.

Given the stored state and a command's fields, these functions give the next state and
bookkeeping, the columns to write, which relations to replace and the revision to keep. The
mutations (:mod:`.articles`, :mod:`.tags`) apply one command in one transaction; a fixture load
(:mod:`cms.fixtures.apply`) applies many in one transaction, in bulk. The rules:

- A PUBLISHED article without a publication time gets ``now`` on its first publication and
  keeps it afterwards; unpublishing clears it.
- In an image credit, ``organization``, ``role`` and ``contributors`` left out are parsed from
  ``text``; given as None (or no contributors) they mean none.
- Tag entries and contributor names resolve as :mod:`.names` says.
- A change that changes nothing writes nothing; a change bumps the version by one and sets
  ``updated_at`` (unless a fixture record from a newer copy gives its own bookkeeping) and keeps
  the state it replaced as a revision; relations are replaced only when they changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from cms.content.credits import parse_credit
from cms.content.markdown import derived_columns
from cms.content.slugs import slugify
from cms.content.state import (
    OMITTED,
    ArticleFields,
    ArticleMeta,
    ArticleState,
    CreditFields,
    CreditState,
    TagFields,
    TagState,
    changed_fields,
)
from cms.content.validation import FieldError
from cms.models import ArticleRevision, ArticleStatus, TagKind
from cms.write.commands import Bookkeeping
from cms.write.names import Names
from cms.write.stored import StoredArticle


def article_slug(fields: ArticleFields) -> str | FieldError:
    """The slug a new article gets: the one given, else one made from the title."""
    if isinstance(fields.slug, str) and fields.slug:
        return fields.slug
    slug = slugify(fields.title) if isinstance(fields.title, str) else ""
    return slug or FieldError("title", "cannot make a slug from this title; give a slug")


#: Credit lines parsed lately: one line is parsed for its names, then for the rest of it.
_parsed = lru_cache(maxsize=1024)(parse_credit)


def _credit_names(credit: CreditFields) -> tuple[str, ...]:
    if credit.contributors is OMITTED:
        return _parsed(credit.text.strip()).contributors
    return credit.contributors or ()


def names_in(fields: ArticleFields) -> tuple[Iterator[str], Iterator[str]]:
    """The tag entries and contributor names ``fields`` give (what to look up first)."""
    tags = iter(fields.tags if isinstance(fields.tags, tuple) else ())
    credits = fields.image_credits if isinstance(fields.image_credits, tuple) else ()
    people = (name for credit in credits for name in _credit_names(credit))
    return tags, people


def _credit(credit: CreditFields, names: Names, field: str) -> tuple[CreditState, list[FieldError]]:
    text = credit.text.strip()
    people, errors = names.people(_credit_names(credit), f"{field}.contributors")
    organization, role = credit.organization, credit.role
    if organization is OMITTED or role is OMITTED:  # (parsing is the dearest part of a load)
        parsed = _parsed(text)
        organization = parsed.organization if organization is OMITTED else organization
        role = parsed.role if role is OMITTED else role
    state = CreditState(
        text=text,
        organization=organization,
        role=role,
        contributors=people,
        image_url=credit.image_url,
        caption=credit.caption,
        alt_text=credit.alt_text,
    )
    return state, errors


def resolve(fields: ArticleFields, names: Names) -> tuple[dict[str, Any], list[FieldError]]:
    """The :class:`ArticleState` values of the fields given (slug aside): tag entries and
    contributor names as slugs, credits completed from their text."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name in ("title", "summary", "body", "status", "published_at"):
        value = getattr(fields, name)
        if value is not OMITTED:
            values[name] = value
    if fields.tags is not OMITTED:
        values["tags"], problems = names.tags(fields.tags or ())
        errors.extend(problems)
    if fields.image_credits is not OMITTED:
        credits: list[CreditState] = []
        for position, given in enumerate(fields.image_credits or ()):
            credit, problems = _credit(given, names, f"image_credits.{position}")
            credits.append(credit)
            errors.extend(problems)
        values["image_credits"] = tuple(credits)
    return values, errors


def next_state(
    before: ArticleState | None, values: dict[str, Any], now: datetime, slug: str | None = None
) -> ArticleState:
    """The article after a change of ``values`` (from :func:`resolve`): the values given over
    the stored ones (a new article: over the defaults)."""
    if slug is not None:
        values = {**values, "slug": slug}
    state = ArticleState(**values) if before is None else dataclasses.replace(before, **values)
    return published(state, before, now)


def published(state: ArticleState, before: ArticleState | None, now: datetime) -> ArticleState:
    """A PUBLISHED article always has a publication time: the one it had, or now."""
    if state.status is ArticleStatus.PUBLISHED and state.published_at is None:
        kept = before.published_at if before else None
        return dataclasses.replace(state, published_at=kept or now)
    return state


def publish(before: ArticleState, when: datetime | None, now: datetime) -> ArticleState:
    """Published at ``when``; else at the time it was published, if it is; else now."""
    if when is None and before.status is ArticleStatus.PUBLISHED:
        when = before.published_at
    return dataclasses.replace(before, status=ArticleStatus.PUBLISHED, published_at=when or now)


def unpublish(before: ArticleState) -> ArticleState:
    """Back to DRAFT, without a publication time."""
    return dataclasses.replace(before, status=ArticleStatus.DRAFT, published_at=None)


def restored(before: ArticleState, revision: ArticleRevision, tags: dict[str, int]) -> ArticleState:
    """A revision's content as the next state: credits stay as they are; tags deleted since
    (not in ``tags``, the stored ones by slug) are left out."""
    return dataclasses.replace(
        before,
        slug=revision.slug,
        title=revision.title,
        summary=revision.summary,
        body=revision.body,
        status=ArticleStatus(revision.status),
        published_at=revision.published_at,
        tags=tuple(slug for slug in revision.tags if slug in tags),
    )


def next_meta(
    before: StoredArticle | None, state: ArticleState, given: Bookkeeping, now: datetime
) -> ArticleMeta:
    """The bookkeeping after a change to ``state``: version 1 for a new article, the stored one
    when nothing changed, else one more (``given``: what a fixture record says, kept for a new
    article and for a record from a newer copy)."""
    if before is None:
        created = given.created_at or given.updated_at or now
        return ArticleMeta(created, given.updated_at or created, given.version or 1)
    if state == before.state:
        return before.meta
    if given.version is not None and given.version > before.meta.version:
        # A record from a newer copy (e.g. another instance's dump): keep its bookkeeping.
        return ArticleMeta(
            given.created_at or before.meta.created_at, given.updated_at or now, given.version
        )
    return ArticleMeta(before.meta.created_at, now, before.meta.version + 1)


def columns(state: ArticleState, meta: ArticleMeta | None = None) -> dict[str, Any]:
    """The article table's columns for this state (and bookkeeping, when given)."""
    result: dict[str, Any] = {
        "slug": state.slug,
        "title": state.title,
        "summary": state.summary,
        **derived_columns(state.body),
        "status": state.status,
        "published_at": state.published_at,
    }
    if meta is not None:
        result |= {
            "created_at": meta.created_at,
            "updated_at": meta.updated_at,
            "version": meta.version,
        }
    return result


@dataclass(frozen=True)
class ArticleWrite:
    """One article's next state and bookkeeping, and what writing them involves."""

    before: StoredArticle | None
    state: ArticleState
    meta: ArticleMeta

    @property
    def unchanged(self) -> bool:
        return self.before is not None and (self.state, self.meta) == (
            self.before.state,
            self.before.meta,
        )

    @property
    def changed(self) -> list[str]:
        """The API names of the content fields that change (none for a new article)."""
        if self.before is None:
            return []
        return changed_fields(self.before.state, self.state)

    @property
    def retag(self) -> bool:
        return self.before is None or self.state.tags != self.before.state.tags

    @property
    def recredit(self) -> bool:
        return self.before is None or self.state.image_credits != self.before.state.image_credits

    def revision(self, now: datetime) -> ArticleRevision | None:
        """The revision that keeps the state replaced (None: new, or the content is the same)."""
        if self.before is None or self.before.state == self.state:
            return None
        before = self.before.state
        return ArticleRevision(
            article_id=self.before.id,
            version=self.before.meta.version,
            created_at=now,
            changed_fields=self.changed,
            slug=before.slug,
            title=before.title,
            summary=before.summary,
            body=before.body,
            status=before.status,
            published_at=before.published_at,
            tags=list(before.tags),
        )


def plan(
    before: StoredArticle | None,
    state: ArticleState,
    now: datetime,
    given: Bookkeeping | None = None,
) -> ArticleWrite:
    """The write that takes ``before`` to ``state``."""
    return ArticleWrite(before, state, next_meta(before, state, given or Bookkeeping(), now))


def next_tag(before: TagState | None, slug: str, fields: TagFields) -> TagState:
    """A tag after a change of ``fields`` (a new tag: over the defaults)."""
    current = before or TagState(slug=slug, name="", kind=TagKind.TOPIC)
    return TagState(
        slug=slug,
        name=current.name if not isinstance(fields.name, str) else fields.name.strip(),
        kind=current.kind if not isinstance(fields.kind, TagKind) else fields.kind,
        description=current.description if fields.description is OMITTED else fields.description,
    )
