"""Appending to the change log, inside the transaction of the write that made the change.

The write core calls these after it wrote its rows and before it commits: the entries commit
with the write or not at all. Each entry holds two views of one change (see
:class:`cms.models.ChangeEntry`):

- as ``preview`` and ``write`` callers see it: an article or tag that appeared is PUBLISHED,
  one that changed UPDATED, one deleted REMOVED;
- as anonymous and ``read`` callers see it, by the contract's visibility rule applied at the
  time of the change: PUBLISHED when it becomes visible, UPDATED when it changes while
  visible, REMOVED when it stops being visible, and nothing when they could see it neither
  before nor after. A tag is visible to them while a visible article carries it, so an article
  write can also make its tags appear or disappear: those get entries of their own.

An article published for a future time gets a :class:`cms.models.ScheduledPublication` row;
the scheduler (:mod:`cms.write.schedule`) appends its PUBLISHED entry when the time comes. A
write that finds the time passed but the row still there (the scheduler has not run yet)
announces the publication itself and deletes the row.

The entries are inserted in commit order by :mod:`.entries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cms.changes.entries import INSERT_CHUNK, Entries, Entry, execute
from cms.changes.keys import ARTICLES, CONTRIBUTORS, TAGS, article_key, tag_key
from cms.content.state import ArticleState, TagState
from cms.models import ArticleStatus, ChangeKind, ContentType, ScheduledPublication
from cms.read.sql import as_datetime, fetch, placeholders


def is_visible(state: ArticleState | None, at: datetime) -> bool:
    """Whether anonymous callers see an article in this state at ``at`` (the contract's rule,
    as :class:`cms.read.visibility.Viewer` applies it in SQL)."""
    return (
        state is not None
        and state.status is ArticleStatus.PUBLISHED
        and state.published_at is not None
        and state.published_at <= at
    )


def is_scheduled(state: ArticleState | None, at: datetime) -> bool:
    """Published for a time after ``at``."""
    return (
        state is not None
        and state.status is ArticleStatus.PUBLISHED
        and state.published_at is not None
        and state.published_at > at
    )


@dataclass(frozen=True)
class ArticleChange:
    """One article written: its state before (None: new) and after (None: deleted)."""

    id: int
    before: ArticleState | None
    after: ArticleState | None
    #: When the stored state was last written (tells whether a publication that came due may
    #: still wait for the scheduler: it was scheduled when written).
    before_updated_at: datetime | None = None
    #: Whether anonymous callers saw the article before, when the caller knows better than
    #: the state's own times (the scheduler: not yet announced).
    was_visible: bool | None = None


@dataclass(frozen=True)
class TagChange:
    """One tag written: its state before (None: new) and after (None: deleted)."""

    id: int
    before: TagState | None
    after: TagState | None
    #: Whether anonymous callers see the tag (an article they see carries it).
    public: bool = False


def _kind(before: bool, after: bool) -> ChangeKind | None:
    if before and after:
        return ChangeKind.UPDATED
    if after:
        return ChangeKind.PUBLISHED
    if before:
        return ChangeKind.REMOVED
    return None


async def _waiting(changes: Sequence[ArticleChange], at: datetime) -> set[int]:
    """Articles among ``changes`` whose publication time has passed but whose scheduled row is
    still there: nobody has announced them yet."""
    maybe = [
        change.id
        for change in changes
        if change.was_visible is None
        and change.before is not None
        and is_visible(change.before, at)
        and change.before_updated_at is not None
        and change.before.published_at is not None
        and change.before.published_at > change.before_updated_at
    ]
    if not maybe:
        return set()
    rows = await fetch(
        f"SELECT article_id FROM scheduled_publication WHERE article_id IN"
        f" ({placeholders(len(maybe))})",
        maybe,
        quick=False,
        primary=True,
    )
    return {int(row[0]) for row in rows}


@dataclass(frozen=True)
class _TagSeen:
    id: int
    slug: str
    #: An article outside the changes carries it and is visible.
    elsewhere: bool


async def _tags_seen(slugs: set[str], exclude: Sequence[int], at: datetime) -> dict[str, _TagSeen]:
    """The stored tags of these slugs, and whether an article other than ``exclude`` that
    anonymous callers see at ``at`` carries each."""
    if not slugs:
        return {}
    excluded = f" AND l.article_id NOT IN ({placeholders(len(exclude))})" if exclude else ""
    wanted = sorted(slugs)
    rows = await fetch(
        "SELECT t.id, t.slug, EXISTS (SELECT 1 FROM article_tag l JOIN article a"
        " ON a.id = l.article_id WHERE l.tag_id = t.id AND a.status = ? AND a.published_at <= ?"
        f"{excluded}) FROM tag t WHERE t.slug IN ({placeholders(len(wanted))})",
        [ArticleStatus.PUBLISHED.value, at, *exclude, *wanted],
        quick=False,
        primary=True,
    )
    return {row[1]: _TagSeen(int(row[0]), row[1], bool(row[2])) for row in rows}


def _credits_matter(change: ArticleChange, before: bool, after: bool) -> bool:
    """Whether pages of contributors go stale: the credits anonymous callers see changed."""
    seen_before = change.before.image_credits if before and change.before else ()
    seen_after = change.after.image_credits if after and change.after else ()
    return seen_before != seen_after


def _tags_matter(change: ArticleChange, before: bool, after: bool) -> bool:
    """Whether pages of its tags go stale: which tags anonymous callers see it carry, or its
    place in their lists (ordered by publication time), changed."""
    old, new = change.before, change.after
    if before != after or old is None or new is None:
        return True
    return old.tags != new.tags or old.published_at != new.published_at


async def article_entries(changes: Sequence[ArticleChange], at: datetime) -> list[Entry]:
    """The entries of what ``changes`` did to articles (and to their tags' visibility) at
    ``at``; keeps the scheduled publications in step. Call inside the write's transaction,
    after its writes, and :func:`append` what it returns."""
    if not changes:
        return []
    waiting = await _waiting(changes, at)
    entries = Entries()
    seen: list[tuple[ArticleChange, bool, bool]] = []
    for change in changes:
        if change.was_visible is not None:
            before = change.was_visible
        else:
            before = is_visible(change.before, at) and change.id not in waiting
        after = is_visible(change.after, at)
        seen.append((change, before, after))

    # The tags anonymous callers see on either side, for their keys and their own visibility.
    wanted: set[str] = set()
    for change, before, after in seen:
        if (before or after) and _tags_matter(change, before, after):
            wanted.update(change.before.tags if before and change.before else ())
            wanted.update(change.after.tags if after and change.after else ())
    tags = await _tags_seen(wanted, [change.id for change, _, _ in seen], at)

    carried_before: set[str] = set()
    carried_after: set[str] = set()
    for change, before, after in seen:
        old, new = change.before, change.after
        state = new or old
        assert state is not None
        if old is None:
            kind = ChangeKind.PUBLISHED
        elif new is None:
            kind = ChangeKind.REMOVED
        else:
            kind = ChangeKind.UPDATED
        public = _kind(before, after)
        keys = [article_key(change.id), ARTICLES]
        if public is not None and _tags_matter(change, before, after):
            shown = (old.tags if before and old else ()) + (new.tags if after and new else ())
            keys += [tag_key(tags[slug].id) for slug in shown if slug in tags]
        if public is not None and _credits_matter(change, before, after):
            keys.append(CONTRIBUTORS)
        if before and old:
            carried_before.update(old.tags)
        if after and new:
            carried_after.update(new.tags)
        entries.add(
            ContentType.ARTICLE,
            change.id,
            at,
            kind,
            state.slug,
            public,
            (new.slug if after and new else old.slug if old else None),
            keys,
            (old.tags if old else ()) + (new.tags if new else ()),
        )

    for slug in sorted(carried_before | carried_after):
        tag = tags.get(slug)
        if tag is None:
            continue
        public = _kind(
            tag.elsewhere or slug in carried_before, tag.elsewhere or slug in carried_after
        )
        if public is not None and public is not ChangeKind.UPDATED:
            entries.add(
                ContentType.TAG,
                tag.id,
                at,
                None,
                slug,
                public,
                slug,
                [tag_key(tag.id), TAGS],
                [slug],
            )

    await _keep_schedule(seen, waiting, at)
    return entries.rows


async def _keep_schedule(
    seen: Sequence[tuple[ArticleChange, bool, bool]], waiting: set[int], at: datetime
) -> None:
    """Drop the scheduled rows that no longer hold, and add those of new future publications."""
    clear: list[int] = []
    add: list[ScheduledPublication] = []
    for change, _, _ in seen:
        if change.after is None:
            continue  # deleted: its row goes with it
        if change.id in waiting or is_scheduled(change.before, at):
            clear.append(change.id)
        if is_scheduled(change.after, at):
            if change.before is not None and change.id not in clear:
                clear.append(change.id)  # a new article has no row yet
            published_at = change.after.published_at
            assert published_at is not None
            add.append(ScheduledPublication(article_id=change.id, published_at=published_at))
    if clear:
        await execute(
            f"DELETE FROM scheduled_publication WHERE article_id IN ({placeholders(len(clear))})",
            clear,
        )
    if add:
        await ScheduledPublication.bulk_create(add, batch_size=INSERT_CHUNK)


async def tag_public(pk: int, at: datetime) -> bool:
    """Whether anonymous callers see this tag at ``at`` (an article they see carries it)."""
    rows = await fetch(
        "SELECT 1 FROM article_tag l JOIN article a ON a.id = l.article_id"
        " WHERE l.tag_id = ? AND a.status = ? AND a.published_at <= ? LIMIT 1",
        [pk, ArticleStatus.PUBLISHED.value, at],
        quick=False,
        primary=True,
    )
    return bool(rows)


def tag_entries(changes: Sequence[TagChange], at: datetime) -> list[Entry]:
    """The entries of what ``changes`` did to tags, to :func:`append`."""
    entries = Entries()
    for change in changes:
        state = change.after or change.before
        assert state is not None
        if change.before is None:
            kind = ChangeKind.PUBLISHED
        elif change.after is None:
            kind = ChangeKind.REMOVED
        else:
            kind = ChangeKind.UPDATED
        public: ChangeKind | None = None
        if change.public and change.before is not None:
            public = ChangeKind.REMOVED if change.after is None else ChangeKind.UPDATED
        slugs = [s.slug for s in (change.before, change.after) if s is not None]
        entries.add(
            ContentType.TAG,
            change.id,
            at,
            kind,
            state.slug,
            public,
            state.slug if public else None,
            [tag_key(change.id), TAGS],
            slugs,
        )
    return entries.rows


async def renamed_entries(ids: Sequence[int], at: datetime) -> list[Entry]:
    """An UPDATED entry for every article that credits one of these contributors (their
    credits now show another name), to :func:`append`."""
    if not ids:
        return []
    rows = await fetch(
        "SELECT DISTINCT a.id, a.slug, a.status, a.published_at FROM credit_contributor cc"
        " JOIN image_credit c ON c.id = cc.credit_id JOIN article a ON a.id = c.article_id"
        f" WHERE cc.contributor_id IN ({placeholders(len(ids))}) ORDER BY a.id",
        list(ids),
        quick=False,
        primary=True,
    )
    entries = Entries()
    for pk, slug, status, published_at in rows:
        when = as_datetime(published_at)
        visible = status == ArticleStatus.PUBLISHED.value and when is not None and when <= at
        public = ChangeKind.UPDATED if visible else None
        entries.add(
            ContentType.ARTICLE,
            int(pk),
            at,
            ChangeKind.UPDATED,
            slug,
            public,
            slug if visible else None,
            [article_key(int(pk)), CONTRIBUTORS],
        )
    return entries.rows
