"""Tag entries and contributor names, as inputs write them, turned into rows: one resolver for
one article (a mutation) and for many (a fixture load).

An entry (a tag in ``tags``, a name in a credit's ``contributors``) is, in this order: the
tag/contributor whose slug is exactly the entry; else the one whose name is exactly the entry
(in a fixture load, the load's own records before stored rows); else the one whose slug the
entry makes; else a new one (tags as TOPIC), named as written. Duplicates within one list are
dropped, keeping the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import zip_longest
from typing import Any

from tortoise.expressions import Q

from cms.content.slugs import slugify
from cms.content.state import TagState
from cms.content.validation import FieldError
from cms.models import Contributor, Tag, TagKind
from cms.write.commands import LoadContributor, LoadTag
from cms.write.stored import CHUNK, chunked

TAG_COLUMNS = ("id", "slug", "name", "kind", "description")
CONTRIBUTOR_COLUMNS = ("id", "slug", "name")


async def _rows(
    model: type[Tag] | type[Contributor],
    columns: tuple[str, ...],
    slugs: Iterable[str],
    names: Iterable[str],
) -> list[dict[str, Any]]:
    """The rows whose slug is one of ``slugs`` or whose name is one of ``names``, in id order
    (one statement per 500 slugs and 500 names)."""
    rows: list[dict[str, Any]] = []
    for by_slug, by_name in zip_longest(
        chunked(sorted(set(slugs))), chunked(sorted(set(names))), fillvalue=()
    ):
        found = Q(slug__in=list(by_slug)) if by_slug else None
        if by_name:
            named = Q(name__in=list(by_name))
            found = named if found is None else found | named
        if found is not None:
            rows.extend(await model.filter(found).values(*columns))
    unique = {row["id"]: row for row in rows}
    return [unique[pk] for pk in sorted(unique)]


class _Kind:
    """The rows of one kind (tags or contributors) an input can name."""

    def __init__(self, records: dict[str, str]) -> None:
        #: Records of this load: slug -> name, and name -> slug (the first record wins).
        self.records = records
        self.record_names: dict[str, str] = {}
        for slug, name in records.items():
            self.record_names.setdefault(name, slug)
        #: Stored rows: slug -> row, and name -> slug (the oldest row wins).
        self.stored: dict[str, dict[str, Any]] = {}
        self.stored_names: dict[str, str] = {}
        #: Entries that name nothing yet: slug -> name, created by :meth:`Names.create_missing`.
        self.new: dict[str, str] = {}
        #: Slug -> id of every row looked up or created.
        self.ids: dict[str, int] = {}

    def remember(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.stored.setdefault(row["slug"], row)
            self.stored_names.setdefault(row["name"], row["slug"])
            self.ids[row["slug"]] = row["id"]

    def slug(self, entry: str) -> str | None:
        entry = entry.strip()
        if entry in self.records or entry in self.stored or entry in self.new:
            # (``new``: made by an earlier entry of the same batch, as if stored already.)
            return entry
        named = self.record_names.get(entry) or self.stored_names.get(entry)
        if named:
            return named
        slug = slugify(entry)
        if not slug:
            return None
        if slug not in self.records and slug not in self.stored:
            self.new.setdefault(slug, entry)
        return slug

    def slugs(
        self, entries: Sequence[str], field: str, what: str
    ) -> tuple[tuple[str, ...], list[FieldError]]:
        found: list[str] = []
        errors: list[FieldError] = []
        for index, entry in enumerate(entries):
            slug = self.slug(entry)
            if slug is None:
                message = f"cannot make a {what} slug from {entry.strip()!r}"
                errors.append(FieldError(f"{field}.{index}", message))
            elif slug not in found:
                found.append(slug)
        return tuple(found), errors


class Names:
    """Resolves tag entries and contributor names to slugs, creating what is missing.

    Use: :meth:`look_up` every entry and name at once, then :meth:`tags` / :meth:`people` per
    list (pure lookups that note what is missing), then :meth:`create_missing` once; ``tag_ids``
    and ``people_ids`` then hold the id of every slug handed out.
    """

    def __init__(
        self, tags: Sequence[LoadTag] = (), contributors: Sequence[LoadContributor] = ()
    ) -> None:
        records: dict[str, str] = {}
        for tag in tags:
            records.setdefault(tag.slug, str(tag.fields.name))
        self._tags = _Kind(records)
        people: dict[str, str] = {}
        for person in contributors:
            people.setdefault(person.slug, person.name)
        self._people = _Kind(people)
        #: The tags :meth:`create_missing` created, with their ids.
        self.created_tags: list[tuple[int, TagState]] = []

    @property
    def stored_tags(self) -> dict[str, dict[str, Any]]:
        return self._tags.stored

    @property
    def stored_people(self) -> dict[str, dict[str, Any]]:
        return self._people.stored

    @property
    def tag_ids(self) -> dict[str, int]:
        return self._tags.ids

    @property
    def people_ids(self) -> dict[str, int]:
        return self._people.ids

    async def look_up(self, tag_entries: Iterable[str], person_names: Iterable[str]) -> None:
        """Read the stored rows these entries and names (and this load's records) may mean."""
        entries = {entry.strip() for entry in tag_entries}
        slugs = entries | {slugify(entry) for entry in entries} | set(self._tags.records)
        self._tags.remember(await _rows(Tag, TAG_COLUMNS, slugs, entries))
        names = {name.strip() for name in person_names}
        slugs = names | {slugify(name) for name in names} | set(self._people.records)
        self._people.remember(await _rows(Contributor, CONTRIBUTOR_COLUMNS, slugs, names))

    def tags(
        self, entries: Sequence[str], field: str = "tags"
    ) -> tuple[tuple[str, ...], list[FieldError]]:
        """The slugs of these entries, distinct, in order, and the entries that make none."""
        return self._tags.slugs(entries, field, "tag")

    def people(self, names: Sequence[str], field: str) -> tuple[tuple[str, ...], list[FieldError]]:
        """The slugs of these contributor names, distinct, in order."""
        return self._people.slugs(names, field, "contributor")

    async def create_missing(
        self, tags: Sequence[TagState] = (), people: Sequence[tuple[str, str]] = ()
    ) -> tuple[int, int]:
        """Create ``tags`` and ``people`` (slug, name) and the rows entries named that nothing
        defines; how many tags and contributors were created."""
        new_tags = [t for t in tags if t.slug not in self._tags.stored] + [
            TagState(slug, name, kind=TagKind.TOPIC)
            for slug, name in self._tags.new.items()
            if slug not in self._tags.records
        ]
        new_people = [(s, n) for s, n in people if s not in self._people.stored] + [
            (slug, name)
            for slug, name in self._people.new.items()
            if slug not in self._people.records
        ]
        self._tags.new.clear()
        self._people.new.clear()
        await _create(
            Tag,
            [
                Tag(slug=t.slug, name=t.name, kind=t.kind, description=t.description)
                for t in new_tags
            ],
            self._tags.ids,
        )
        await _create(
            Contributor, [Contributor(slug=s, name=n) for s, n in new_people], self._people.ids
        )
        self.created_tags += [(self._tags.ids[tag.slug], tag) for tag in new_tags]
        return len(new_tags), len(new_people)


async def _create(
    model: type[Tag] | type[Contributor], rows: Sequence[Tag | Contributor], ids: dict[str, int]
) -> None:
    """Insert ``rows`` and note their ids: one INSERT for one row, else bulk INSERTs and one
    SELECT per 500 slugs."""
    if len(rows) == 1:
        (row,) = rows
        await row.save()
        ids[row.slug] = row.id
    elif rows:
        await model.bulk_create(list(rows), batch_size=CHUNK)  # type: ignore[arg-type]
        for chunk in chunked([row.slug for row in rows]):
            for slug, pk in await model.filter(slug__in=list(chunk)).values_list("slug", "id"):
                ids[slug] = pk
