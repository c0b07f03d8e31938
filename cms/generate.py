"""Deterministic generator of realistic synthetic content, for tests and benchmarks.

:func:`generate` returns a fixture document (``"format": "cms-fixture/1"``): tags,
contributors and articles with camelCase keys mirroring the GraphQL inputs. The output is
identical for the same ``articles``, ``seed`` and ``now``: all randomness comes from one
``random.Random(seed)`` and nothing depends on hash or set iteration order. For speed,
bodies are built from a pool of 3,000 paragraph skeletons filled with each article's tags,
so paragraph wording repeats across large fixtures.

A key the generator has no value for (a tag's ``description``, an article's ``summary``, a
draft's ``publishedAt``) is left out rather than written as ``null``: on load, a key left out
keeps what is stored, while ``null`` would clear it (a generated file loaded over the bundled
tags would wipe their descriptions).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any, TypeVar

from cms import wordlists as w
from cms.content.slugs import slugify

__all__ = ["FORMAT", "generate"]

FORMAT = "cms-fixture/1"

_T = TypeVar("_T")

_MINUTE = 60
_HOUR = 3600
_DAY = 86400
_FIVE_YEARS = 5 * 365 * _DAY

_TAG_COUNTS = {"PLACE": 76, "ORGANIZATION": 60, "PERSON": 100}  # plus every topic (64)
_CONTRIBUTOR_POOL = 200
_SENTENCE_POOL = 2000
_PARAGRAPH_POOL = 3000
_DESCRIPTION_RATE = 0.15

# Article statuses in percent; SCHEDULED is PUBLISHED with a publish date after now.
_STATUS_WEIGHTS = {"DRAFT": 10.0, "ARCHIVED": 2.5, "SCHEDULED": 1.0, "PUBLISHED": 86.5}

_TAGS_PER_ARTICLE = (2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6)
_CREDITS_PER_ARTICLE = (0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 3)
_CONTRIBUTORS_PER_CREDIT = (1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3)
_VERSIONS = (1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4)
_CHINESE_OUTLETS = ("Xinhua", "CGTN")


def generate(articles: int, seed: int, now: datetime | None = None) -> dict[str, Any]:
    """Return a fixture document with ``articles`` articles, about 300 tags and their credits.

    ``now`` is the reference time for publish dates (drafts and past publications fall in
    the five years before it, scheduled articles up to 60 days after it). It defaults to
    the start of the current UTC day; a naive ``now`` is taken to be UTC. The output is
    identical for the same ``articles``, ``seed`` and ``now``.
    """
    if articles < 0:
        raise ValueError(f"articles must not be negative, got {articles}")
    if now is None:
        now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return _Generator(random.Random(seed), int(now.timestamp())).document(articles)


def _timestamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class _Generator:
    def __init__(self, rng: random.Random, now: int) -> None:
        self._rng = rng
        self._random = rng.random
        self._now = now
        self._slugs: set[str] = set()  # membership only, never iterated
        self._tags: list[dict[str, Any]] = []
        self._roles: dict[str, str] = {}  # person tag name -> role, for quotes
        self._make_tags()
        self._topics = [i for i, tag in enumerate(self._tags) if tag["kind"] == "TOPIC"]
        self._all = _Context()
        for tag in self._tags:
            self._all.add(tag)
        # Zipf-like popularity over a shuffled order, so a few tags are used a lot.
        order = list(range(len(self._tags)))
        rng.shuffle(order)
        weights = [0.0] * len(order)
        for rank, index in enumerate(order):
            weights[index] = 1.0 / (rank + 5)
        self._tag_cum = list(accumulate(weights))
        self._topic_cum = list(accumulate(weights[i] for i in self._topics))
        self._contributor_slugs: dict[str, str] = {}  # name -> slug, for the whole pool
        self._staff = self._make_staff()
        self._outlets = list(self._staff)
        self._used_contributors: dict[str, str] = {}  # name -> slug
        # Bodies are made of paragraph skeletons from a pool, filled in per article.
        sentences = [self._skeleton(markup=True) for _ in range(_SENTENCE_POOL)]
        self._paragraphs = [self._compose(sentences) for _ in range(_PARAGRAPH_POOL)]
        self._titles: set[str] = set()
        self._article_slugs: set[str] = set()

    def _pick(self, seq: Sequence[_T]) -> _T:
        return seq[int(self._random() * len(seq))]

    # -- tags and contributors --------------------------------------------------------

    def _add_tag(self, name: str, kind: str) -> bool:
        slug = slugify(name)
        if slug in self._slugs:
            return False
        self._slugs.add(slug)
        if kind == "PERSON":
            self._roles[name] = self._pick(w.PERSON_ROLES)
        description = None
        if self._random() < _DESCRIPTION_RATE:
            description = self._pick(w.DESCRIPTIONS[kind]).format(
                name=name,
                lower=name.lower(),
                role=self._roles.get(name, ""),
                city=self._pick(w.CITIES),
            )
        tag = {"slug": slug, "name": name, "kind": kind}
        if description is not None:
            tag["description"] = description
        self._tags.append(tag)
        return True

    def _make_tags(self) -> None:
        for topic in w.TOPICS:
            self._add_tag(topic, "TOPIC")
        places = [*w.CITIES, *w.COUNTRIES, *w.REGIONS]
        for place in self._rng.sample(places, _TAG_COUNTS["PLACE"]):
            self._add_tag(place, "PLACE")
        added = sum(self._add_tag(name, "ORGANIZATION") for name in w.INSTITUTIONS)
        while added < _TAG_COUNTS["ORGANIZATION"]:
            added += self._add_tag(self._organization_name(), "ORGANIZATION")
        added = 0
        while added < _TAG_COUNTS["PERSON"]:
            added += self._add_tag(self._person_name(self._random() < 0.2), "PERSON")

    def _organization_name(self) -> str:
        if self._random() < 0.4:
            return f"{self._pick(w.COMPANY_STEMS)} {self._pick(w.COMPANY_SUFFIXES)}"
        return self._pick(w.ORG_PATTERNS).format(
            field=self._pick(w.ORG_FIELDS),
            country=self._pick(w.COUNTRIES),
            city=self._pick(w.CITIES),
        )

    def _person_name(self, chinese: bool) -> str:
        if chinese:
            return f"{self._pick(w.CHINESE_FAMILY_NAMES)} {self._pick(w.CHINESE_GIVEN_NAMES)}"
        return f"{self._pick(w.FIRST_NAMES)} {self._pick(w.LAST_NAMES)}"

    def _make_staff(self) -> dict[str, list[str]]:
        """Return outlet -> photographers; Chinese names work for Xinhua and CGTN."""
        outlets = [*w.CREDIT_AGENCIES, *w.CREDIT_PUBLICATIONS]
        staff: dict[str, list[str]] = {outlet: [] for outlet in outlets}
        others = [outlet for outlet in outlets if outlet not in _CHINESE_OUTLETS]
        seen: set[str] = set()
        while len(seen) < _CONTRIBUTOR_POOL:
            chinese = self._random() < 0.25
            name = self._person_name(chinese)
            slug = slugify(name)
            if slug in seen:
                continue
            seen.add(slug)
            self._contributor_slugs[name] = slug
            staff[self._pick(_CHINESE_OUTLETS if chinese else others)].append(name)
        # Every outlet needs enough people for a three-photographer credit.
        return {outlet: names for outlet, names in staff.items() if len(names) >= 3}

    # -- articles ---------------------------------------------------------------------

    def document(self, count: int) -> dict[str, Any]:
        statuses = self._rng.choices(list(_STATUS_WEIGHTS), list(_STATUS_WEIGHTS.values()), k=count)
        if count >= 20 and "SCHEDULED" not in statuses:
            published = [i for i, status in enumerate(statuses) if status == "PUBLISHED"]
            statuses[self._pick(published or range(count))] = "SCHEDULED"
        articles = [self._article(status) for status in statuses]
        contributors = [
            {"slug": slug, "name": name}
            for name, slug in sorted(self._used_contributors.items(), key=lambda item: item[1])
        ]
        return {
            "format": FORMAT,
            "tags": sorted(self._tags, key=lambda tag: str(tag["slug"])),
            "contributors": contributors,
            "articles": articles,
        }

    def _article(self, status: str) -> dict[str, Any]:
        tags = self._article_tags()
        ctx = _Context()
        for index in tags:
            ctx.add(self._tags[index])
        ctx.people = ctx.people or self._all.people
        ctx.places = ctx.places or self._all.places
        ctx.locations = ctx.locations or self._all.locations
        title = self._title(ctx)
        slug = base = slugify(title)
        suffix = 2
        while slug in self._article_slugs:
            slug, suffix = f"{base}-{suffix}", suffix + 1
        self._article_slugs.add(slug)
        article: dict[str, Any] = {"slug": slug, "title": title}
        if self._random() >= 0.1:
            article["summary"] = self._fill(self._skeleton(False), ctx)
        article["body"] = self._body(ctx)
        article.update(self._dates(status))
        article["tags"] = [self._tags[i]["slug"] for i in tags]
        article["imageCredits"] = [
            self._credit(ctx) for _ in range(self._pick(_CREDITS_PER_ARTICLE))
        ]
        return article

    def _article_tags(self) -> list[int]:
        count = self._pick(_TAGS_PER_ARTICLE)
        choices = self._rng.choices
        chosen = [self._topics[choices(range(len(self._topics)), cum_weights=self._topic_cum)[0]]]
        population = range(len(self._tags))
        while len(chosen) < count:
            index = choices(population, cum_weights=self._tag_cum)[0]
            if index not in chosen:
                chosen.append(index)
        return chosen

    def _dates(self, status: str) -> dict[str, Any]:
        now, randint = self._now, self._rng.randint
        version = self._pick(_VERSIONS)
        published: int | None = None
        if status == "DRAFT":
            created = now - randint(_HOUR, _FIVE_YEARS)
            first_update, last_update = created + _MINUTE, now
        elif status == "SCHEDULED":
            published = now + _DAY + _MINUTE * randint(0, 59 * 24 * 60)
            created = now - randint(_HOUR, 14 * _DAY)
            first_update, last_update = created + _MINUTE, now
        else:
            oldest = 30 * _DAY if status == "ARCHIVED" else _HOUR
            published = now - _MINUTE * randint(oldest // _MINUTE, _FIVE_YEARS // _MINUTE)
            created = published - randint(30 * _MINUTE, 48 * _HOUR)
            first_update, last_update = created + _MINUTE, min(now, published + 30 * _DAY)
            if status == "ARCHIVED":  # archiving is an edit some time after publication
                version = max(version, 2)
                first_update, last_update = published + _DAY, now
        updated = created if version == 1 else randint(first_update, last_update)
        dates: dict[str, Any] = {"status": "PUBLISHED" if status == "SCHEDULED" else status}
        if published is not None:
            dates["publishedAt"] = _timestamp(published)
        dates.update(createdAt=_timestamp(created), updatedAt=_timestamp(updated), version=version)
        return dates

    # -- text -------------------------------------------------------------------------

    def _title(self, ctx: _Context) -> str:
        pick, random_ = self._pick, self._random
        for _ in range(100):
            if ctx.actors and random_() < 0.6:
                subject, verb = pick(ctx.actors), pick(w.HEADLINE_VERBS)[0]
            else:
                subject, verb = pick(w.HEADLINE_SUBJECTS), pick(w.HEADLINE_VERBS)[1]
                if random_() < 0.3:
                    subject = f"{pick(ctx.places)} {subject.lower()}"
            obj = pick(w.HEADLINE_OBJECTS).format(topic=pick(ctx.topics))
            tail = pick(w.HEADLINE_TAILS).format(place=pick(ctx.locations))
            title = " ".join(part for part in (subject, verb, obj, tail) if part)
            if 6 <= title.count(" ") + 1 <= 12 and title not in self._titles:
                self._titles.add(title)
                return title
        raise RuntimeError("could not generate a unique title")  # pragma: no cover

    def _skeleton(self, markup: bool) -> str:
        """Return a sentence with {topic}, {person}, {role}, {place} and {actor} slots."""
        pick, r = self._pick, self._random()
        if r < 0.12:
            return f'"{pick(w.QUOTES)}," said {{person}}, the {{role}}.'
        if r < 0.3:
            return pick(w.ANALYSIS) + "."
        subject = "{Actor}" if self._random() < 0.35 else pick(w.SENTENCE_SUBJECTS)
        obj = pick(w.SENTENCE_OBJECTS)
        if markup:
            obj = self._markup(obj)
        clause = f"{subject} {pick(w.SENTENCE_VERBS)} {obj}{pick(w.SENTENCE_TAILS)}"
        if r < 0.5:
            return f"{pick(w.OPENERS)}, {_lower_first(clause)}."
        if r < 0.6:
            return f"In {{place}}, {_lower_first(clause)}."
        return clause + "."

    def _markup(self, phrase: str) -> str:
        r = self._random()
        if r < 0.04:
            return f"**{phrase}**"
        if r < 0.08:
            return f"*{phrase}*"
        if r < 0.11:
            path = slugify(phrase.replace("{topic}", ""))
            return f"[{phrase}](https://example.com/{self._pick(w.LINK_SECTIONS)}/{path})"
        return phrase

    def _fill(self, text: str, ctx: _Context) -> str:
        pick = self._pick
        person = pick(ctx.people)
        actor = pick(ctx.subjects) if ctx.subjects else pick(w.SENTENCE_SUBJECTS).lower()
        return text.format(
            topic=pick(ctx.topics),
            person=person,
            role=self._roles[person],
            place=pick(ctx.locations),
            actor=actor,
            Actor=actor[0].upper() + actor[1:],
        )

    def _compose(self, sentences: list[str]) -> str:
        """Return a paragraph skeleton of about 40 to 120 words, no sentence repeated."""
        target = self._rng.randint(40, 120)
        chosen: list[str] = []
        words = 0
        while words < target:
            sentence = self._pick(sentences)
            length = sentence.count(" ") + 1 + sentence.count("{")  # a slot is ~2 words
            if words >= 40 and words + length > 120:
                break
            if sentence not in chosen:
                chosen.append(sentence)
                words += length
        return " ".join(chosen)

    def _body(self, ctx: _Context) -> str:
        pick, fill, paragraphs = self._pick, self._fill, self._paragraphs
        blocks = [fill(pick(paragraphs), ctx)]
        for _ in range(self._rng.randint(3, 12) - 1):
            r = self._random()
            block = fill(pick(paragraphs), ctx)
            if r < 0.08:
                block = f"## {self._pick(w.SUBHEADINGS)}\n{block}"
            elif r < 0.14:
                items = self._rng.sample(w.BULLETS, self._rng.randint(2, 4))
                block += " The package includes:\n" + "\n".join(f"- {item}" for item in items)
            blocks.append(block)
        return "\n\n".join(blocks)

    # -- image credits ----------------------------------------------------------------

    def _credit(self, ctx: _Context) -> dict[str, Any]:
        outlet = self._pick(self._outlets)
        people = self._rng.sample(self._staff[outlet], self._pick(_CONTRIBUTORS_PER_CREDIT))
        for name in people:
            self._used_contributors[name] = self._contributor_slugs[name]
        text, role = self._credit_text(outlet, people)
        caption = self._pick(w.CAPTIONS).format(
            person=self._pick(ctx.people), place=self._pick(ctx.locations)
        )
        return {
            "text": text,
            "organization": outlet,
            "role": role,
            "contributors": people,
            "imageUrl": f"https://images.example.com/{self._rng.getrandbits(64):016x}.jpg",
            "caption": caption,
            "altText": self._pick(w.ALT_TEXTS),
        }

    def _credit_text(self, outlet: str, people: list[str]) -> tuple[str, str | None]:
        """Return (text, role) in one of the shapes parse_credit reads; outlet is the org."""
        names = people[0] if len(people) == 1 else f"{', '.join(people[:-1])} and {people[-1]}"
        if outlet in w.CREDIT_PUBLICATIONS:
            return f"Photo by {names} for {outlet}", "Photo"
        shape, role = self._pick(w.CREDIT_SHAPES)
        if role == "*":
            role = self._pick(w.CREDIT_ROLES)
        return shape.format(org=outlet, names=names, listed=", ".join(people), role=role), role


class _Context:
    """Names an article's text draws on: its own tags, falling back to all tags."""

    __slots__ = ("actors", "locations", "people", "places", "subjects", "topics")

    def __init__(self) -> None:
        self.topics: list[str] = []
        self.actors: list[str] = []  # people and organizations, for headlines
        self.subjects: list[str] = []  # the same in running text ("the World Bank")
        self.people: list[str] = []
        self.places: list[str] = []  # bare names, for headlines ("Balkans farmers")
        self.locations: list[str] = []  # names in running text ("in the Balkans")

    def add(self, tag: dict[str, Any]) -> None:
        name, kind = tag["name"], tag["kind"]
        if kind == "TOPIC":
            self.topics.append(name.lower())
        elif kind == "PLACE":
            self.places.append(name)
            self.locations.append(f"the {name}" if name in w.THE_PLACES else name)
        elif kind == "PERSON":
            self.actors.append(name)
            self.subjects.append(name)
            self.people.append(name)
        else:
            bare = name in w.BARE_ORGANIZATIONS or name.rsplit(" ", 1)[-1] in w.COMPANY_SUFFIXES
            self.actors.append(name)
            self.subjects.append(name if bare else f"the {name}")


def _lower_first(text: str) -> str:
    """Lowercase a leading "The" (or use the lowercase slot) so a clause can follow an opener."""
    if text.startswith("{Actor}"):
        return "{actor}" + text[7:]
    return "the" + text[3:] if text.startswith("The ") else text
