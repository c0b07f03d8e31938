"""The delivery worker against a real receiver: signed, in order, at least once, retried with
backoff, given up, disabled by 410, and never about drafts."""

from __future__ import annotations

import time
from dataclasses import replace

from cms.changes.keys import ARTICLES, article_key
from cms.changes.log import encode_cursor
from cms.content.globalid import global_id
from cms.models import (
    ChangeKind,
    ContentType,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from cms.settings import Settings
from cms.timeutil import format_datetime
from cms.webhooks import endpoints
from tests.webhooks.conftest import append, delivering, eventually, settled
from tests.webhooks.receiver import Receiver, receiving


async def add(receiver: Receiver, settings: Settings, **filters: list[str]) -> WebhookEndpoint:
    return await endpoints.add(receiver.url, settings=settings, **filters)


async def attempts_of(delivery_id: int) -> list[tuple[int | None, str | None]]:
    rows = await WebhookAttempt.filter(delivery_id=delivery_id).order_by("id")
    return [(row.status_code, row.error) for row in rows]


async def test_a_change_reaches_the_receiver_signed_within_a_second(
    settings: Settings, receiver: Receiver
) -> None:
    endpoint = await add(receiver, settings)
    async with delivering(settings):
        entry = await append(7, slug="seven")
        committed = time.time()
        (got,) = await receiver.wait_for(1)
        await eventually(settled(endpoint.id, DeliveryStatus.DELIVERED))
    assert got.at - committed < 1.0
    payload = got.verified(endpoint.secret)
    at = format_datetime(entry.at)
    assert payload == {
        "type": "article.published",
        "timestamp": at,
        "data": {
            "type": "ARTICLE",
            "kind": "PUBLISHED",
            "id": global_id("Article", 7),
            "slug": "seven",
            "at": at,
            "cursor": encode_cursor(entry.position),
            "cacheTags": [article_key(7), ARTICLES],
        },
    }
    assert got.message_id.startswith("msg_")
    assert got.headers["content-type"] == "application/json"
    assert abs(int(got.headers["webhook-timestamp"]) - committed) < 5
    delivery = await WebhookDelivery.get(endpoint_id=endpoint.id)
    assert (delivery.status, delivery.attempts, delivery.message_id) == (
        DeliveryStatus.DELIVERED,
        1,
        got.message_id,
    )
    assert await attempts_of(delivery.id) == [(204, None)]


async def test_an_endpoint_gets_changes_from_when_it_was_added(
    settings: Settings, receiver: Receiver
) -> None:
    await append(1, slug="before")
    endpoint = await add(receiver, settings)
    async with delivering(settings):
        await append(2, slug="after")
        (got,) = await receiver.wait_for(1)
    assert got.verified(endpoint.secret)["data"]["slug"] == "after"


async def test_drafts_never_reach_a_receiver(settings: Settings, receiver: Receiver) -> None:
    endpoint = await add(receiver, settings)
    async with delivering(settings):
        # A draft created, edited and deleted: nothing the public could see.
        await append(1, public_kind=None, kind=ChangeKind.PUBLISHED, slug="secret-draft")
        await append(1, public_kind=None, kind=ChangeKind.UPDATED, slug="secret-draft")
        await append(1, public_kind=None, kind=ChangeKind.REMOVED, slug="secret-draft")
        await append(2, slug="public")
        # In log order: had the draft's entries been sent, they would have arrived first.
        (got,) = await receiver.wait_for(1)
    assert got.verified(endpoint.secret)["data"]["slug"] == "public"
    assert b"secret-draft" not in got.body
    assert await WebhookDelivery.filter(endpoint_id=endpoint.id).count() == 1


async def test_order_per_endpoint_and_filters(settings: Settings) -> None:
    with receiving() as everything, receiving() as published, receiving() as tags:
        all_ = await add(everything, settings)
        only_published = await add(published, settings, events=["article.published"])
        only_tags = await add(tags, settings, types=["TAG"])
        kinds = [ChangeKind.PUBLISHED, ChangeKind.UPDATED, ChangeKind.REMOVED]
        async with delivering(settings, workers=2):
            for number in range(12):
                type_ = ContentType.TAG if number % 4 == 3 else ContentType.ARTICLE
                await append(number, public_kind=kinds[number % 3], type=type_, slug=f"s{number}")
            got_all = await everything.wait_for(12)
            got_published = await published.wait_for(3)
            got_tags = await tags.wait_for(3)
            # The fence: the last entry reached every endpoint, so nothing more is coming.
            await append(99, type=ContentType.TAG, public_kind=ChangeKind.PUBLISHED, slug="end")
            await everything.wait_for(13)
            await tags.wait_for(4)
    slugs = [r.verified(all_.secret)["data"]["slug"] for r in got_all]
    assert slugs == [f"s{n}" for n in range(12)]
    assert len({r.message_id for r in got_all}) == 12
    events = [r.verified(only_published.secret)["type"] for r in got_published]
    assert events == ["article.published"] * 3
    assert [r.verified(only_published.secret)["data"]["slug"] for r in got_published] == [
        "s0",
        "s6",
        "s9",
    ]
    assert [r.verified(only_tags.secret)["data"]["slug"] for r in got_tags] == ["s3", "s7", "s11"]
    assert [r.verified(only_tags.secret)["type"] for r in got_tags] == [
        "tag.published",
        "tag.updated",
        "tag.removed",
    ]
    assert len(published.received) == 3  # the fence was a tag


async def test_500_is_retried_with_backoff_and_the_next_delivery_waits(
    settings: Settings, receiver: Receiver
) -> None:
    endpoint = await add(receiver, settings)
    receiver.answers = [500, 503]
    async with delivering(settings):
        await append(1, slug="first")
        await append(2, slug="second")
        got = await receiver.wait_for(4)
    slugs = [r.verified(endpoint.secret)["data"]["slug"] for r in got]
    assert slugs == ["first", "first", "first", "second"]
    assert len({r.message_id for r in got[:3]}) == 1
    # 0.2 s, then twice that.
    assert got[1].at - got[0].at >= 0.2
    assert got[2].at - got[1].at >= 0.4
    first = await WebhookDelivery.get(endpoint_id=endpoint.id, message_id=got[0].message_id)
    assert (first.status, first.attempts) == (DeliveryStatus.DELIVERED, 3)
    assert await attempts_of(first.id) == [(500, None), (503, None), (204, None)]


async def test_given_up_after_the_last_attempt_then_the_endpoint_moves_on(
    settings: Settings, receiver: Receiver
) -> None:
    settings = replace(settings, webhook_retry_seconds=0.05, webhook_max_attempts=3)
    endpoint = await add(receiver, settings)
    receiver.answers = [500, 500, 500]
    async with delivering(settings):
        await append(1, slug="doomed")
        await append(2, slug="next")
        got = await receiver.wait_for(4)
    slugs = [r.verified(endpoint.secret)["data"]["slug"] for r in got]
    assert slugs == ["doomed"] * 3 + ["next"]
    doomed = await WebhookDelivery.get(message_id=got[0].message_id)
    assert (doomed.status, doomed.attempts, doomed.last_status_code) == (
        DeliveryStatus.FAILED,
        3,
        500,
    )
    failed = await endpoints.deliveries(failed=True)
    assert [d.id for d in failed] == [doomed.id]


async def test_410_disables_the_endpoint_until_enabled(settings: Settings) -> None:
    with receiving() as gone, receiving() as fence:
        endpoint = await add(gone, settings)
        await add(fence, settings)
        gone.answers = [410]
        async with delivering(settings):
            await append(1, slug="one")
            await gone.wait_for(1)
            await fence.wait_for(1)
            await append(2, slug="two")
            await fence.wait_for(2)
            disabled = await WebhookEndpoint.get(id=endpoint.id)
            assert not disabled.enabled
            assert disabled.disabled_reason is not None and "410" in disabled.disabled_reason
            # The fence got "two", so its fan-out ran: the disabled endpoint's did not.
            assert await WebhookDelivery.filter(endpoint_id=endpoint.id).count() == 1
            (first,) = await WebhookDelivery.filter(endpoint_id=endpoint.id)
            assert (first.status, first.last_status_code) == (DeliveryStatus.FAILED, 410)

            await endpoints.enable(endpoint.id)
            await append(3, slug="three")
            got = await gone.wait_for(2)
    assert len(gone.received) == 2
    assert got[1].verified(endpoint.secret)["data"]["slug"] == "three"


async def test_a_timeout_is_a_failure_retried_with_the_same_webhook_id(
    settings: Settings, receiver: Receiver
) -> None:
    endpoint = await add(receiver, settings)
    receiver.hang_next = 1
    async with delivering(settings):
        await append(1)
        got = await receiver.wait_for(2)
        await eventually(settled(endpoint.id, DeliveryStatus.DELIVERED))
    assert got[0].message_id == got[1].message_id
    got[1].verified(endpoint.secret)
    delivery = await WebhookDelivery.get(endpoint_id=endpoint.id)
    assert delivery.status == DeliveryStatus.DELIVERED
    log = await attempts_of(delivery.id)
    assert log[0] == (None, "timed out after 1 s") and log[1] == (204, None)


async def test_a_receiver_that_cannot_be_reached_is_retried(
    settings: Settings, receiver: Receiver
) -> None:
    closed = receiver.url.rsplit(":", 1)[0] + ":1/hook"  # nothing listens on port 1
    endpoint = await endpoints.add(closed, settings=settings)
    async with delivering(replace(settings, webhook_max_attempts=2, webhook_retry_seconds=0.05)):
        await append(1)
        await eventually(settled(endpoint.id, DeliveryStatus.FAILED))
    delivery = await WebhookDelivery.get(endpoint_id=endpoint.id)
    log = await attempts_of(delivery.id)
    assert len(log) == 2 and all(code is None and error for code, error in log), log
    assert "ConnectError" in (delivery.last_error or "")


async def test_the_url_is_checked_again_before_each_attempt(
    settings: Settings, receiver: Receiver
) -> None:
    endpoint = await add(receiver, settings)  # allowed when added
    strict = replace(settings, webhook_allow_private=False, webhook_max_attempts=1)
    async with delivering(strict):
        await append(1)
        await eventually(settled(endpoint.id, DeliveryStatus.FAILED))
    delivery = await WebhookDelivery.get(endpoint_id=endpoint.id)
    assert delivery.last_error is not None and "refused" in delivery.last_error
    assert "127.0.0.1" in delivery.last_error
    assert receiver.received == []


async def test_redeliver_sends_again_with_the_same_webhook_id(
    settings: Settings, receiver: Receiver
) -> None:
    endpoint = await add(receiver, settings)
    async with delivering(settings):
        await append(1)
        (first,) = await receiver.wait_for(1)
        delivery = await WebhookDelivery.get(endpoint_id=endpoint.id)
        await eventually(settled(endpoint.id, DeliveryStatus.DELIVERED))
        await endpoints.redeliver(delivery.id)
        second = (await receiver.wait_for(2))[1]
    assert second.message_id == first.message_id
    assert second.verified(endpoint.secret) == first.verified(endpoint.secret)
    assert second.body == first.body


async def test_several_loops_deliver_each_entry_once(
    settings: Settings, receiver: Receiver
) -> None:
    endpoint = await add(receiver, settings)
    async with delivering(settings, workers=3):
        for number in range(30):
            await append(number, slug=f"s{number}")
        got = await receiver.wait_for(30)
        await append(99, slug="fence")
        await receiver.wait_for(31)
    assert len(receiver.received) == 31
    slugs = [r.verified(endpoint.secret)["data"]["slug"] for r in got]
    assert slugs == [f"s{n}" for n in range(30)]
