"""The floor: the four example operations answered by hand-written SQL, for benchmarks.

A minimal Starlette app with one endpoint, ``POST /graphql``. It recognises the operations of
``schema/operations/`` (ListPage, ArticlePage, TagPage, Search) by the SHA-256 of their exact
text, reads their variables, runs hand-written SQL and builds the response from plain dicts.
There is no GraphQL here: no parsing, validation, resolvers, DataLoaders, ORM, middleware or
logging. What it returns is meant to be byte-identical to what cms returns for the same request
on the same database (``tests/test_floor.py`` checks that), so that ``bench/suite.py`` can
compare the two on equal work.

It reads what anonymous callers see (PUBLISHED, publishedAt not in the future), selects only
the columns the operations need, and runs the same statements cms runs (one per list, count and
relation), so its SQL-statements-per-request equals cms's. The Markdown body goes through cms's
own ``render_html`` (content logic, not GraphQL).

The database URL picks the backend, as it does for cms:

* ``sqlite://path``: one aiosqlite connection, opened in the lifespan; search is FTS5.
* ``postgres://...`` or ``postgresql://...``: an asyncpg pool (1 to 10 connections), opened in
  the lifespan; search is the ``tsvector`` column with ``ts_rank`` and ``ts_headline``, as cms
  runs it. Statements are written once with ``?`` placeholders and numbered (``$1``, ``$2``)
  once per distinct text; date-times are bound as aware datetimes. Query parameters of the URL
  (Tortoise's pool sizes and the like) are dropped.

    python -m uvicorn bench.floor:app --factory          # reads CMS_DATABASE_URL
    python bench/floor.py --database-url sqlite://cms.sqlite3 --port 8001
    python bench/floor.py --database-url postgres://user@127.0.0.1:5432/cms --port 8001
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import html
import json
import os
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiosqlite
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cms.content.markdown import render_html

OPERATIONS = Path(__file__).resolve().parent.parent / "schema" / "operations"
#: The page size for an explicit null ``first``, and the largest it may be (cms's defaults).
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
#: The one ordering the example operations page by, as cms names it in cursors.
ARTICLES_ORDERING = "articles:PUBLISHED_AT:desc"
SEARCH_ORDERING = "search"
#: Search: words beyond this many are ignored; snippet length; title/summary/body weights.
MAX_QUERY_WORDS = 32
SNIPPET_TOKENS = 24
WEIGHTS = "10.0, 5.0, 1.0"
#: cms's head tier (a word in the title or summary) ranks by those two alone.
HEAD_WEIGHTS = "10.0, 5.0, 0.0"
#: The largest hit index a search cursor may hold.
MAX_SEARCH_INDEX = 2**53
#: Milliseconds a statement waits for a writer's lock (cms's default busy timeout).
BUSY_TIMEOUT_MS = 5000
#: The PostgreSQL pool's size.
POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 10
#: PostgreSQL: stand-ins for "<" and ">" in the text given to ts_headline (as cms: the
#: headline parser would take them for markup and drop tags).
ANGLES = "\ue002\ue003"
#: PostgreSQL ranks by the search's lexemes joined by OR, as cms does: every word must match
#: (plainto_tsquery), and ts_rank scores each word apart and averages, with no proximity term.
OR_WORDS = (
    "(SELECT string_agg('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''',"
    " ' | ')::tsquery FROM unnest(tsvector_to_array(to_tsvector('cms_search', ?))) AS lexeme)"
)

_WORD = re.compile(r"\w+", re.UNICODE)
_PLACEHOLDER = re.compile(r"\?")

Row = Sequence[Any]
JSONObject = dict[str, Any]
#: A stored date-time as a driver returns it: text from SQLite, an aware datetime from asyncpg.
Stored = str | datetime


class FloorError(ValueError):
    """A request the floor does not answer (unknown operation, bad or unsupported variable)."""


# --- values as cms writes them ----------------------------------------------------------------


def _stored_datetime(value: Stored) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _datetime_out(value: Stored | None) -> str | None:
    """A stored date-time as the DateTime scalar writes it: UTC, ISO-8601, ``Z``."""
    if value is None:
        return None
    text = _stored_datetime(value).astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _article_out(published_at: Stored | None, pk: int) -> tuple[str | None, str]:
    """An article's publishedAt as served, and its cursor in newest-first order."""
    if published_at is None:
        return None, _cursor([ARTICLES_ORDERING, None, pk])
    stored = _stored_datetime(published_at)
    stamp = stored.isoformat()  # ISO-8601 needs no JSON escaping: write the JSON directly
    raw = f'["{ARTICLES_ORDERING}","{stamp}",{pk}]'.encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    served = stored.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"
    return served, cursor


def _decode_cursor(ordering: str, cursor: Any) -> list[Any]:
    if not isinstance(cursor, str):
        raise FloorError("`after` must be a string")
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise FloorError("`after` is not a valid cursor") from None
    if not isinstance(plain, list) or not plain or plain[0] != ordering:
        raise FloorError("`after` is a cursor from another list or ordering")
    return plain[1:]


def _sql_time(value: datetime) -> str:
    """A date-time parameter for SQLite, written the way stored values are (as cms binds them)."""
    return value.astimezone(UTC).isoformat(" ")


def _page_size(variables: JSONObject, default: int) -> int:
    """``first``: the operation's default when left out, cms's default page size when null."""
    if "first" not in variables:
        return default
    value = variables["first"]
    name = "first"
    if value is None:
        return DEFAULT_PAGE_SIZE
    if type(value) is not int or not 0 <= value <= MAX_PAGE_SIZE:
        raise FloorError(f"`{name}` must be a whole number from 0 to {MAX_PAGE_SIZE}")
    return value


def _text(variables: JSONObject, name: str) -> str:
    value = variables.get(name)
    if not isinstance(value, str):
        raise FloorError(f"`{name}` must be a string")
    return value


def _after_stamp(variables: JSONObject) -> tuple[datetime | None, int] | None:
    """The (publishedAt, id) an ``after`` cursor in newest-first order holds, if one is given."""
    after = variables.get("after")
    if after is None:
        return None
    values = _decode_cursor(ARTICLES_ORDERING, after)
    if len(values) != 2:
        raise FloorError("the cursor does not fit this ordering")
    stamp, pk = values
    if type(pk) is not int:
        raise FloorError("the cursor does not fit this ordering")
    if stamp is None:
        return None, pk
    try:
        parsed = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise FloorError("the cursor does not fit this ordering")
    return parsed, pk


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


@lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, ...`` (cached: the texts repeat)."""
    counter = iter(range(1, 1_000_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def _words(query: str) -> list[str]:
    return _WORD.findall(query)[:MAX_QUERY_WORDS]


def _match_expression(words: list[str]) -> str:
    """FTS5's MATCH text: every word a quoted string (so none is read as FTS5 syntax)."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def _score(tier: int, relevance: float) -> float:
    """A hit's score as cms shows it: its tier's range (1 to 2, or 0 to 1), and its relevance
    within it."""
    return tier + relevance / (1.0 + relevance)


def _scored(found: list[Row]) -> list[Row]:
    """Hits as (slug, title, published_at, score, raw snippet), from rows that hold the tier and
    the relevance in the score's place."""
    return [
        (slug, title, published_at, _score(tier, relevance), snippet)
        for slug, title, published_at, tier, relevance, snippet in found
    ]


def _headline_options(opening: str, closing: str) -> str:
    """PostgreSQL's ts_headline options, as cms writes them."""
    return (
        f'StartSel="{opening}", StopSel="{closing}", MaxWords={SNIPPET_TOKENS + 11}, '
        'MinWords=15, MaxFragments=2, FragmentDelimiter=" … "'
    )


def _snippet(raw: str | None, opening: str, closing: str) -> str:
    # As cms: its PostgreSQL angle-bracket stand-ins become brackets, then the text is escaped
    # and the (random, never escaped) match markers become <mark> tags.
    text = (raw or "").replace(ANGLES[0], "<").replace(ANGLES[1], ">")
    escaped = html.escape(text, quote=False)
    return escaped.replace(opening, "<mark>").replace(closing, "</mark>")


# --- the floor --------------------------------------------------------------------------------


def sqlite_path(database_url: str) -> str:
    """The file of a ``sqlite://path`` URL (query parameters dropped)."""
    if not database_url.startswith("sqlite://"):
        raise ValueError(f"expected sqlite://..., got {database_url.split('://')[0]}://...")
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if not path:
        raise ValueError("the SQLite URL names no file")
    return path


def postgres_dsn(database_url: str) -> str:
    """asyncpg's DSN for a ``postgres://`` or ``postgresql://`` URL (query parameters dropped:
    Tortoise's, such as pool sizes, mean nothing to asyncpg)."""
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"expected postgres://..., got {parts.scheme}://...")
    return urlunsplit(parts._replace(scheme="postgresql", query="", fragment=""))


class Floor:
    """The four operations, each a few statements; a backend below opens and runs them.

    Statements are written once, with ``?`` placeholders and ANSI SQL; what differs between
    the databases (how a join keeps its order, how a date-time is bound, full-text search) is
    the backend's.
    """

    #: The join that keeps the written table order as the loop order (``ordered_join()`` in
    #: cms: SQLite's planner needs ``CROSS JOIN`` to start from the link table).
    ordered_join = "JOIN"

    def __init__(self) -> None:
        #: Statements run since the floor opened (what bench/suite.py reports per request).
        self.statements = 0
        handlers: dict[str, Callable[[JSONObject], Awaitable[JSONObject]]] = {
            "ListPage": self.list_page,
            "ArticlePage": self.article_page,
            "TagPage": self.tag_page,
            "Search": self.search,
        }
        self.operations = {
            hashlib.sha256(text.encode()).hexdigest(): handlers[name]
            for name, text in operation_texts().items()
        }

    # -- what a backend provides -----------------------------------------------------------------

    async def open(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def run(self, sql: str, params: Sequence[Any]) -> list[Row]:
        """Run one statement written with ``?`` placeholders; rows in select-list order."""
        raise NotImplementedError

    def time(self, value: datetime) -> Any:
        """A date-time as this database's driver binds it."""
        raise NotImplementedError

    async def search_hits(
        self, words: list[str], first: int, start: int, markers: tuple[str, str]
    ) -> tuple[list[Row], int]:
        """Up to ``first + 1`` hits from ``start`` on, best first, as (slug, title, published_at,
        score, raw snippet); and how many hits there are. Two statements, as cms."""
        raise NotImplementedError

    # -- shared --------------------------------------------------------------------------------

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.statements += 1
        return await self.run(sql, params)

    def now(self) -> Any:
        """The request time, bound as the visibility rule's ``published_at <= ?``."""
        return self.time(datetime.now(UTC))

    def after_articles(self, variables: JSONObject) -> tuple[str, list[Any]]:
        """The keyset condition for ``after`` in newest-first order (visible rows are never
        null, so cms's ``OR a.published_at IS NULL`` alternative can never hold here)."""
        after = _after_stamp(variables)
        if after is None:
            return "", []
        stamp, pk = after
        if stamp is None:  # after the last visible article: only articles without a date follow
            return " AND a.published_at IS NULL AND a.id < ?", [pk]
        when = self.time(stamp)
        return " AND (a.published_at < ? OR (a.published_at = ? AND a.id < ?))", [when, when, pk]

    async def endpoint(self, request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
            if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
                raise FloorError("the body must be a JSON object with a `query` string")
            handler = self.operations.get(hashlib.sha256(payload["query"].encode()).hexdigest())
            if handler is None:
                raise FloorError("the floor answers only the operations in schema/operations/")
            variables = payload.get("variables") or {}
            if not isinstance(variables, dict):
                raise FloorError("`variables` must be an object")
            data = await handler(variables)
        except ValueError as exc:  # FloorError, bad JSON, bad UTF-8
            body = {"errors": [{"message": str(exc), "extensions": {"code": "BAD_REQUEST"}}]}
            return Response(_encode(body), status_code=400, media_type="application/json")
        return Response(_encode({"data": data}), media_type="application/json")

    # -- relations: the same three statements cms's DataLoaders run, with fewer columns --------

    async def tags_of(self, article_ids: list[int], kind: bool) -> dict[int, list[JSONObject]]:
        result: dict[int, list[JSONObject]] = {pk: [] for pk in article_ids}
        if not article_ids:
            return result
        rows = await self.fetch(
            "SELECT at.article_id, t.slug, t.name, t.kind FROM article_tag at"
            " JOIN tag t ON t.id = at.tag_id"
            f" WHERE at.article_id IN ({_placeholders(len(article_ids))})"
            " ORDER BY at.article_id, at.position",
            article_ids,
        )
        for article_id, slug, name, tag_kind in rows:
            tag: JSONObject = {"slug": slug, "name": name}
            if kind:
                tag["kind"] = tag_kind
            result[article_id].append(tag)
        return result

    async def credits_of(self, article_ids: list[int], full: bool) -> dict[int, list[JSONObject]]:
        """Each article's credits in order, each with its contributors in order."""
        result: dict[int, list[JSONObject]] = {pk: [] for pk in article_ids}
        if not article_ids:
            return result
        columns = "ic.image_url, ic.caption, ic.alt_text" if full else "NULL, NULL, NULL"
        rows = await self.fetch(
            f"SELECT ic.id, ic.article_id, ic.text, ic.organization, ic.role, {columns}"
            f" FROM image_credit ic WHERE ic.article_id IN ({_placeholders(len(article_ids))})"
            " ORDER BY ic.article_id, ic.position",
            article_ids,
        )
        if not rows:
            return result
        people: dict[int, list[JSONObject]] = {row[0]: [] for row in rows}
        for credit_id, name, slug in await self.fetch(
            "SELECT cc.credit_id, c.name, c.slug FROM credit_contributor cc"
            " JOIN contributor c ON c.id = cc.contributor_id"
            f" WHERE cc.credit_id IN ({_placeholders(len(people))})"
            " ORDER BY cc.credit_id, cc.position",
            list(people),
        ):
            people[credit_id].append({"name": name, "slug": slug})
        for pk, article_id, text, organization, role, image_url, caption, alt_text in rows:
            credit: JSONObject = {"text": text, "organization": organization, "role": role}
            if full:
                credit["imageUrl"] = image_url
                credit["caption"] = caption
                credit["altText"] = alt_text
            credit["contributors"] = people[pk]
            result[article_id].append(credit)
        return result

    # -- the operations --------------------------------------------------------------------------

    async def list_page(self, variables: JSONObject) -> JSONObject:
        """ListPage: a page of the newest visible articles with tags and credits, and the total."""
        if variables.get("filter") is not None:
            raise FloorError("the floor does not support `filter`")
        first = _page_size(variables, 20)  # ListPage: $first: Int = 20
        offset = variables.get("offset")
        if offset is not None and (type(offset) is not int or offset < 0):
            raise FloorError("`offset` must be a whole number, at least 0")
        if offset is not None and variables.get("after") is not None:
            raise FloorError("`offset` cannot be combined with `after`")
        after, after_params = self.after_articles(variables)
        now = self.now()
        rows = await self.fetch(
            "SELECT a.id, a.slug, a.title, a.summary, a.published_at, a.word_count"
            " FROM article a WHERE a.status = 'PUBLISHED' AND a.published_at <= ?"
            f"{after} ORDER BY a.published_at DESC NULLS LAST, a.id DESC LIMIT ? OFFSET ?",
            [now, *after_params, first + 1, offset or 0],
        )
        total = await self.fetch(
            "SELECT COUNT(*) FROM article a WHERE a.status = 'PUBLISHED' AND a.published_at <= ?",
            [now],
        )
        more = len(rows) > first
        rows = rows[:first]
        ids = [row[0] for row in rows]
        tags = await self.tags_of(ids, kind=True)
        credits = await self.credits_of(ids, full=False)
        edges = []
        for pk, slug, title, summary, published_at, words in rows:
            served, cursor = _article_out(published_at, pk)
            edges.append(
                {
                    "cursor": cursor,
                    "node": {
                        "id": _global_id("Article", pk),
                        "slug": slug,
                        "title": title,
                        "summary": summary,
                        "publishedAt": served,
                        "readingTimeMinutes": max(1, -(-words // 200)),
                        "tags": tags[pk],
                        "imageCredits": credits[pk],
                    },
                }
            )
        return {
            "articles": {
                "totalCount": total[0][0],
                "edges": edges,
                "pageInfo": {
                    "hasNextPage": more,
                    "endCursor": edges[-1]["cursor"] if edges else None,
                },
            }
        }

    async def article_page(self, variables: JSONObject) -> JSONObject:
        """ArticlePage: one visible article by slug, its body as HTML, tags and credits."""
        rows = await self.fetch(
            "SELECT a.id, a.slug, a.title, a.summary, a.body, a.published_at, a.updated_at,"
            " a.word_count FROM article a"
            " WHERE a.slug = ? AND a.status = 'PUBLISHED' AND a.published_at <= ?",
            [_text(variables, "slug"), self.now()],
        )
        if not rows:
            return {"article": None}
        pk, slug, title, summary, body, published_at, updated_at, words = rows[0]
        tags = await self.tags_of([pk], kind=True)
        credits = await self.credits_of([pk], full=True)
        return {
            "article": {
                "id": _global_id("Article", pk),
                "slug": slug,
                "title": title,
                "summary": summary,
                "body": render_html(body),
                "publishedAt": _datetime_out(published_at),
                "updatedAt": _datetime_out(updated_at),
                "wordCount": words,
                "readingTimeMinutes": max(1, -(-words // 200)),
                "tags": tags[pk],
                "imageCredits": credits[pk],
            }
        }

    async def tag_page(self, variables: JSONObject) -> JSONObject:
        """TagPage: a tag, how many visible articles carry it, and a page of them."""
        found = await self.fetch(
            "SELECT t.id, t.slug, t.name, t.kind, t.description FROM tag t WHERE t.slug = ?",
            [_text(variables, "slug")],
        )
        if not found:
            return {"tag": None}
        tag_id, slug, name, kind, description = found[0]
        first = _page_size(variables, 20)  # TagPage: $first: Int = 20
        after, after_params = self.after_articles(variables)
        now = self.now()
        source = f"article_tag at {self.ordered_join} article a ON a.id = at.article_id"
        visible = "at.tag_id = ? AND a.status = 'PUBLISHED' AND a.published_at <= ?"
        count = await self.fetch(f"SELECT COUNT(*) FROM {source} WHERE {visible}", [tag_id, now])
        rows = await self.fetch(
            f"SELECT a.id, a.slug, a.title, a.summary, a.published_at FROM {source}"
            f" WHERE {visible}{after} ORDER BY a.published_at DESC NULLS LAST, a.id DESC LIMIT ?",
            [tag_id, now, *after_params, first + 1],
        )
        more = len(rows) > first
        rows = rows[:first]
        tags = await self.tags_of([row[0] for row in rows], kind=False)
        edges = [
            {
                "node": {
                    "slug": article_slug,
                    "title": title,
                    "summary": summary,
                    "publishedAt": _datetime_out(published_at),
                    "tags": tags[pk],
                }
            }
            for pk, article_slug, title, summary, published_at in rows
        ]
        end = _article_out(rows[-1][4], rows[-1][0])[1] if rows else None
        return {
            "tag": {
                "id": _global_id("Tag", tag_id),
                "slug": slug,
                "name": name,
                "kind": kind,
                "description": description,
                "articleCount": count[0][0],
                "articles": {"edges": edges, "pageInfo": {"hasNextPage": more, "endCursor": end}},
            }
        }

    async def search(self, variables: JSONObject) -> JSONObject:
        """Search: every word must match, best first, with a highlighted snippet each."""
        words = _words(_text(variables, "query"))
        first = _page_size(variables, 10)  # Search: $first: Int = 10
        start = 0
        if variables.get("after") is not None:
            values = _decode_cursor(SEARCH_ORDERING, variables["after"])
            if len(values) != 1 or type(values[0]) is not int:
                raise FloorError("`after` is not a valid cursor")
            if not 0 <= values[0] < MAX_SEARCH_INDEX:
                raise FloorError("`after` is not a valid cursor")
            start = values[0] + 1
        if not words:
            empty = {"hasNextPage": False, "endCursor": None}
            return {"search": {"totalCount": 0, "edges": [], "pageInfo": empty}}
        # The text may hold any character: markers carry a nonce it cannot know in advance.
        nonce = secrets.token_hex(8)
        opening, closing = f"\ue000{nonce}\ue001", f"\ue001{nonce}\ue000"
        rows, total = await self.search_hits(words, first, start, (opening, closing))
        more = len(rows) > first
        edges = [
            {
                "cursor": _cursor([SEARCH_ORDERING, start + index]),
                "score": float(score),
                "snippet": _snippet(snippet, opening, closing),
                "node": {
                    "slug": slug,
                    "title": title,
                    "publishedAt": _datetime_out(published_at),
                },
            }
            for index, (slug, title, published_at, score, snippet) in enumerate(rows[:first])
        ]
        return {
            "search": {
                "totalCount": total,
                "edges": edges,
                "pageInfo": {
                    "hasNextPage": more,
                    "endCursor": edges[-1]["cursor"] if edges else None,
                },
            }
        }


class SQLiteFloor(Floor):
    """One aiosqlite connection; search is the FTS5 table, ranked by bm25."""

    ordered_join = "CROSS JOIN"

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.path = sqlite_path(database_url)
        self.connection: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self.connection = await aiosqlite.connect(self.path, isolation_level=None)
        await self.connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
            self.connection = None

    async def run(self, sql: str, params: Sequence[Any]) -> list[Row]:
        if self.connection is None:
            raise RuntimeError("the floor's database is not open")
        return list(await self.connection.execute_fetchall(sql, params))

    def time(self, value: datetime) -> str:
        return _sql_time(value)

    async def search_hits(
        self, words: list[str], first: int, start: int, markers: tuple[str, str]
    ) -> tuple[list[Row], int]:
        match = _match_expression(words)
        heads = " OR ".join(_match_expression([word]) for word in words)
        now = self.now()
        source = "article_fts CROSS JOIN article a ON a.id = article_fts.rowid"
        where = "article_fts MATCH ? AND a.status = 'PUBLISHED' AND a.published_at <= ?"
        # cms's two tiers: a word in the title or summary (ranked by those alone), then the
        # rest; then each hit's row and snippet.
        found = await self.fetch(
            "SELECT a.slug, a.title, a.published_at, r.tier, r.relevance,"
            f" snippet(article_fts, -1, ?, ?, '…', {SNIPPET_TOKENS}) FROM ("
            f"SELECT a.id AS pk, 1 AS tier, -bm25(article_fts, {HEAD_WEIGHTS}) AS relevance"
            f" FROM {source} WHERE {where} UNION ALL"
            f" SELECT a.id, 0, -bm25(article_fts, {WEIGHTS}) FROM {source} WHERE {where}"
            " ORDER BY tier DESC, relevance DESC, pk DESC LIMIT ? OFFSET ?) AS r"
            " CROSS JOIN article_fts ON article_fts.rowid = r.pk CROSS JOIN article a"
            " ON a.id = r.pk WHERE article_fts MATCH ?"
            " ORDER BY r.tier DESC, r.relevance DESC, r.pk DESC",
            [
                *markers,
                f"({match}) AND {{title summary}}: ({heads})",
                now,
                f"({match}) NOT {{title summary}}: ({heads})",
                now,
                first + 1,
                start,
                match,
            ],
        )
        rows = _scored(found)
        count = await self.fetch(f"SELECT COUNT(*) FROM {source} WHERE {where}", [match, now])
        return rows, count[0][0]


class PostgresFloor(Floor):
    """An asyncpg pool; search is the weighted ``tsvector`` column, as cms queries it."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.dsn = postgres_dsn(database_url)
        self.pool: Any = None  # asyncpg.Pool (asyncpg is optional: imported on open)

    async def open(self) -> None:
        import asyncpg

        self.pool = await asyncpg.create_pool(
            self.dsn, min_size=POOL_MIN_SIZE, max_size=POOL_MAX_SIZE
        )

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    async def run(self, sql: str, params: Sequence[Any]) -> list[Row]:
        if self.pool is None:
            raise RuntimeError("the floor's database is not open")
        rows: list[Row] = await self.pool.fetch(_numbered(sql), *params)
        return rows

    def time(self, value: datetime) -> datetime:
        return value.astimezone(UTC)

    async def search_hits(
        self, words: list[str], first: int, start: int, markers: tuple[str, str]
    ) -> tuple[list[Row], int]:
        # cms's statements: rank the visible matches in cms's two tiers and take the page by id
        # alone, then read those rows and make a headline for each (ts_headline is the costly
        # part).
        terms = " ".join(words)
        now = self.now()
        visible = "a.status = 'PUBLISHED' AND a.published_at <= ?"
        tsquery = f"(SELECT plainto_tsquery('cms_search', ?) AS query, {OR_WORDS} AS ranking) AS q"
        found = await self.fetch(
            "SELECT a.slug, a.title, a.published_at, ranked.tier, ranked.relevance,"
            " ts_headline('cms_search', translate(concat_ws(' … ', a.title, a.summary,"
            " a.body_text), '<>', ?), q.query, ?)"
            " FROM (SELECT a.id AS pk, 1 AS tier,"
            " ts_rank(a.search_head, q.ranking)::float8 AS relevance"
            f" FROM article_search a, {tsquery}"
            f" WHERE a.search_head @@ q.ranking AND a.search_vector @@ q.query AND {visible}"
            " UNION ALL SELECT a.id, 0, ts_rank(a.search_vector, q.ranking)::float8"
            f" FROM article_search a, {tsquery} WHERE a.search_vector @@ q.query"
            f" AND NOT a.search_head @@ q.ranking AND {visible}"
            " ORDER BY tier DESC, relevance DESC, pk DESC LIMIT ? OFFSET ?)"
            " AS ranked JOIN article a ON a.id = ranked.pk"
            " CROSS JOIN plainto_tsquery('cms_search', ?) AS q(query)"
            " ORDER BY ranked.tier DESC, ranked.relevance DESC, ranked.pk DESC",
            [
                ANGLES,
                _headline_options(*markers),
                *[terms, terms, now] * 2,
                first + 1,
                start,
                terms,
            ],
        )
        rows = _scored(found)
        count = await self.fetch(
            "SELECT COUNT(*) FROM article_search a, plainto_tsquery('cms_search', ?) AS q(query)"
            f" WHERE a.search_vector @@ q.query AND {visible}",
            [terms, now],
        )
        return rows, count[0][0]


def connect(database_url: str) -> Floor:
    """The floor for ``database_url``'s database (not yet open)."""
    scheme = database_url.split("://", 1)[0]
    if scheme == "sqlite":
        return SQLiteFloor(database_url)
    if scheme in ("postgres", "postgresql"):
        return PostgresFloor(database_url)
    raise ValueError(f"the floor runs on sqlite:// or postgres:// URLs, not {scheme}://")


def _encode(body: JSONObject) -> bytes:
    """JSON as cms encodes it."""
    return orjson.dumps(body)


def operation_texts() -> dict[str, str]:
    """The example operations by name, exactly as the files hold them."""
    return {path.stem: path.read_text(encoding="utf-8") for path in OPERATIONS.glob("*.graphql")}


def create_floor_app(database_url: str) -> Starlette:
    """The floor as an ASGI app; its lifespan opens the database (``app.state.floor``)."""
    floor = connect(database_url)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await floor.open()
        try:
            yield
        finally:
            await floor.close()

    app = Starlette(routes=[Route("/graphql", floor.endpoint, methods=["POST"])], lifespan=lifespan)
    app.state.floor = floor
    return app


def app() -> Starlette:
    """uvicorn's factory (``bench.floor:app --factory``): the database from CMS_DATABASE_URL."""
    return create_floor_app(os.environ.get("CMS_DATABASE_URL", "sqlite://cms.sqlite3"))


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Serve the floor (bench/floor.py).")
    parser.add_argument("--database-url", default=os.environ.get("CMS_DATABASE_URL"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    options = parser.parse_args()
    url = options.database_url or "sqlite://cms.sqlite3"
    uvicorn.run(create_floor_app(url), host=options.host, port=options.port, log_level="info")


if __name__ == "__main__":
    main()
