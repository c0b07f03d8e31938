"""The write core's next-state functions: stored state + command fields -> state, bookkeeping,
changed fields and revision, without a database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from cms.content.state import (
    ArticleFields,
    ArticleMeta,
    ArticleState,
    CreditFields,
    CreditState,
    TagFields,
    TagState,
)
from cms.models import ArticleStatus, TagKind
from cms.write import core
from cms.write.commands import Bookkeeping
from cms.write.names import Names
from cms.write.stored import StoredArticle

NOW = datetime(2026, 1, 2, tzinfo=UTC)
EARLIER = NOW - timedelta(days=30)
STATE = ArticleState(slug="story", title="Story", body="Body.")
STORED = StoredArticle(7, STATE, ArticleMeta(EARLIER, EARLIER, 3))


def _next(before: StoredArticle | None, fields: ArticleFields) -> core.ArticleWrite:
    values, errors = core.resolve(fields, Names())
    assert errors == []
    state = core.next_state(before.state if before else None, values, NOW, "story")
    return core.plan(before, state, NOW)


def test_a_new_article_gets_the_defaults_and_version_one() -> None:
    write = _next(None, ArticleFields(title="Story", body="Body."))
    assert write.state == STATE
    assert write.meta == ArticleMeta(NOW, NOW, 1)
    assert (write.unchanged, write.changed, write.retag, write.recredit) == (False, [], True, True)
    assert write.revision(NOW) is None


def test_a_new_published_article_is_published_now() -> None:
    write = _next(None, ArticleFields(title="S", body="B", status=ArticleStatus.PUBLISHED))
    assert write.state.published_at == NOW


def test_a_change_of_nothing_keeps_the_bookkeeping_and_keeps_no_revision() -> None:
    write = _next(STORED, ArticleFields(title="Story", summary=None))
    assert write.unchanged and write.meta == STORED.meta
    assert write.revision(NOW) is None


def test_a_change_bumps_the_version_and_keeps_the_state_it_replaced() -> None:
    write = _next(STORED, ArticleFields(title="New", summary="Now with a summary."))
    assert write.state == dataclasses.replace(STATE, title="New", summary="Now with a summary.")
    assert write.meta == ArticleMeta(EARLIER, NOW, 4)
    assert write.changed == ["title", "summary"]
    assert (write.retag, write.recredit) == (False, False)
    revision = write.revision(NOW)
    assert revision is not None
    assert (revision.version, revision.title, revision.changed_fields) == (
        3,
        "Story",
        write.changed,
    )


def test_left_out_fields_stay_and_null_clears() -> None:
    before = dataclasses.replace(STORED, state=dataclasses.replace(STATE, summary="S", tags=("a",)))
    write = _next(before, ArticleFields(summary=None))
    assert (write.state.summary, write.state.tags) == (None, ("a",))
    write = _next(before, ArticleFields(tags=None))
    assert (write.state.summary, write.state.tags, write.retag) == ("S", (), True)


def test_a_published_article_keeps_its_publication_time() -> None:
    published = dataclasses.replace(STATE, status=ArticleStatus.PUBLISHED, published_at=EARLIER)
    before = dataclasses.replace(STORED, state=published)
    assert _next(before, ArticleFields(title="New")).state.published_at == EARLIER
    assert _next(before, ArticleFields(published_at=None)).state.published_at == EARLIER
    assert core.publish(published, None, NOW).published_at == EARLIER
    assert core.publish(STATE, None, NOW).published_at == NOW
    assert core.publish(published, NOW, NOW).published_at == NOW
    assert core.unpublish(published) == dataclasses.replace(
        published, status=ArticleStatus.DRAFT, published_at=None
    )


def test_a_record_from_a_newer_copy_keeps_its_bookkeeping() -> None:
    state = dataclasses.replace(STATE, title="New")
    newer = Bookkeeping(created_at=EARLIER, updated_at=EARLIER + timedelta(days=1), version=9)
    assert core.next_meta(STORED, state, newer, NOW) == ArticleMeta(
        EARLIER, EARLIER + timedelta(days=1), 9
    )
    older = Bookkeeping(version=2, updated_at=EARLIER)
    assert core.next_meta(STORED, state, older, NOW) == ArticleMeta(EARLIER, NOW, 4)
    assert core.next_meta(None, state, older, NOW) == ArticleMeta(EARLIER, EARLIER, 2)


def test_credit_fields_left_out_are_parsed_from_the_text_and_none_means_none() -> None:
    values, _ = core.resolve(
        ArticleFields(
            image_credits=(
                CreditFields(text=" AP Photo/Mark Schiefelbein "),
                CreditFields(text="AP Photo/Mark", organization=None, role=None, contributors=None),
                CreditFields(text="AP Photo/Mark", contributors=()),
            )
        ),
        Names(),
    )
    assert values["image_credits"] == (
        CreditState("AP Photo/Mark Schiefelbein", "AP", "Photo", ("mark-schiefelbein",)),
        CreditState("AP Photo/Mark"),
        CreditState("AP Photo/Mark", "AP", "Photo"),
    )


def test_entries_that_make_no_slug_are_errors_with_domain_paths() -> None:
    values, errors = core.resolve(
        ArticleFields(
            tags=("ok", "!!!", "ok"),
            image_credits=(CreditFields(text="Getty", contributors=("Ann", "???")),),
        ),
        Names(),
    )
    assert values["tags"] == ("ok",)
    assert [e.field for e in errors] == ["tags.1", "image_credits.0.contributors.1"]


def test_article_slug_comes_from_the_title_unless_given() -> None:
    assert core.article_slug(ArticleFields(title="Boluarte’s Visit!")) == "boluartes-visit"
    assert core.article_slug(ArticleFields(slug="given", title="T")) == "given"
    problem = core.article_slug(ArticleFields(title="!!!"))
    assert not isinstance(problem, str) and problem.field == "title"


def test_next_tag_changes_only_what_is_given() -> None:
    before = TagState("peru", "Peru", TagKind.PLACE, "A country.")
    assert core.next_tag(before, "peru", TagFields(name=" Perú ")) == dataclasses.replace(
        before, name="Perú"
    )
    assert core.next_tag(before, "peru", TagFields(description=None)).description is None
    assert core.next_tag(None, "x", TagFields(name="X")) == TagState("x", "X", TagKind.TOPIC)
