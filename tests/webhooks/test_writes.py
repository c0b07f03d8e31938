"""Real writes (through the write core, which appends the change log) reaching a receiver:
the anonymous view only, within a second."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import replace

from cms.content.globalid import global_id
from cms.content.state import ArticleFields
from cms.models import ArticleStatus
from cms.settings import Settings
from cms.timeutil import utcnow
from cms.webhooks import endpoints
from cms.write.articles import (
    create_article,
    delete_article,
    publish_article,
    unpublish_article,
    update_article,
)
from cms.write.commands import (
    CreateArticle,
    DeleteArticle,
    PublishArticle,
    UnpublishArticle,
    UpdateArticle,
)
from tests.webhooks.conftest import delivering
from tests.webhooks.receiver import Receiver


async def test_a_draft_is_never_delivered_only_what_the_public_sees(
    settings: Settings, receiver: Receiver
) -> None:
    endpoint = await endpoints.add(receiver.url, settings=settings, types=["ARTICLE"])
    async with delivering(settings):
        draft = await create_article(
            CreateArticle(
                ArticleFields(
                    slug="secret-draft",
                    title="Secret draft",
                    body="not for the public",
                    status=ArticleStatus.DRAFT,
                )
            ),
            utcnow(),
        )
        pk = draft.article_id
        assert pk is not None and not draft.errors
        edited = await update_article(
            UpdateArticle(pk, ArticleFields(slug="launch", body="still a draft")), utcnow()
        )
        assert not edited.errors
        for outcome in [
            await publish_article(PublishArticle(pk), utcnow()),
            await update_article(UpdateArticle(pk, ArticleFields(title="Launched")), utcnow()),
            await unpublish_article(UnpublishArticle(pk), utcnow()),
            await update_article(UpdateArticle(pk, ArticleFields(title="Hidden")), utcnow()),
            await delete_article(DeleteArticle(pk), utcnow()),
        ]:
            assert not outcome.errors, outcome.errors
        got = await receiver.wait_for(3)
        # The unpublished article's edit and deletion are invisible to the public: had they
        # been delivered, they would have come after the REMOVED; make sure nothing did.
        fence = await create_article(
            CreateArticle(ArticleFields(title="Fence", body="b", status=ArticleStatus.PUBLISHED)),
            utcnow(),
        )
        assert fence.article_id is not None
        await receiver.wait_for(4)
    payloads = [r.verified(endpoint.secret) for r in got]
    assert [p["type"] for p in payloads] == [
        "article.published",
        "article.updated",
        "article.removed",
    ]
    assert {p["data"]["id"] for p in payloads} == {global_id("Article", pk)}
    assert {p["data"]["slug"] for p in payloads} == {"launch"}
    assert len(receiver.received) == 4
    last = receiver.received[3].verified(endpoint.secret)
    assert last["data"]["id"] == global_id("Article", fence.article_id)
    for request in receiver.received:
        assert b"secret-draft" not in request.body and b"not for the public" not in request.body


async def test_latency_from_commit_to_receiver(settings: Settings, receiver: Receiver) -> None:
    """Commit-to-receiver latency over 20 edits with the default poll interval (printed: run
    with -s)."""
    settings = replace(settings, changes_poll_ms=200)
    created = await create_article(
        CreateArticle(ArticleFields(title="Timed", body="b", status=ArticleStatus.PUBLISHED)),
        utcnow(),
    )
    pk = created.article_id
    assert pk is not None
    endpoint = await endpoints.add(receiver.url, settings=settings)  # from the edits on
    latencies = []
    pace = random.Random(15)
    async with delivering(settings):
        for number in range(20):
            # Write at a random point of the worker's poll cycle, as writes come in real use
            # (right after a delivery, the worker is looking again anyway): not a wait for a
            # race to settle, a spread of the moments measured.
            await asyncio.sleep(pace.uniform(0, settings.changes_poll_ms / 1000 * 1.5))
            outcome = await update_article(
                UpdateArticle(pk, ArticleFields(body=f"edit {number}")), utcnow()
            )
            committed = time.time()
            assert not outcome.errors
            got = (await receiver.wait_for(number + 1))[number]
            latencies.append(got.at - committed)
    assert len(receiver.received) == 20
    assert got.verified(endpoint.secret)["type"] == "article.updated"
    print(
        f"\nwebhook latency, commit to receiver, 20 edits: median "
        f"{statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    assert max(latencies) < 1.0
