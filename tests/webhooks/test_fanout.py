"""Fan-out: log entries become deliveries once, past what the public cannot see, and an
endpoint that fell behind what the log keeps goes on with what it still keeps."""

from __future__ import annotations

import pytest

from cms.changes import log
from cms.models import ChangeEntry, ChangeKind, ChangeLogState, WebhookDelivery, WebhookEndpoint
from cms.settings import Settings
from cms.webhooks import endpoints
from cms.webhooks.fanout import BATCH, fan_out
from tests.webhooks.conftest import append


async def test_each_entry_once_and_past_invisible_ones(settings: Settings) -> None:
    endpoint = await endpoints.add("http://127.0.0.1:9/hook", settings=settings)
    await append(1)
    await append(2, public_kind=None)  # a draft's edit
    assert await fan_out(endpoint.id) == (1, False)
    assert await fan_out(endpoint.id) == (0, False)
    assert await WebhookDelivery.filter(endpoint_id=endpoint.id).count() == 1
    # The endpoint stands at the head, past the draft's entry: the worker's look finds
    # nothing to do until the next write.
    assert (await WebhookEndpoint.get(id=endpoint.id)).position == await log.head()


async def test_a_backlog_goes_out_in_batches(settings: Settings) -> None:
    endpoint = await endpoints.add("http://127.0.0.1:9/hook", settings=settings)
    for number in range(BATCH + 5):
        await append(number)
    assert await fan_out(endpoint.id) == (BATCH, True)
    assert await fan_out(endpoint.id) == (5, False)
    positions = (
        await WebhookDelivery.filter(endpoint_id=endpoint.id)
        .order_by("id")
        .values_list("position", flat=True)
    )
    assert positions == sorted(positions) and len(set(positions)) == BATCH + 5


async def test_a_disabled_endpoint_is_not_fanned_out(settings: Settings) -> None:
    endpoint = await endpoints.add("http://127.0.0.1:9/hook", settings=settings)
    await WebhookEndpoint.filter(id=endpoint.id).update(enabled=False)
    await append(1)
    assert await fan_out(endpoint.id) == (0, False)
    assert not await WebhookDelivery.exists()


async def test_an_endpoint_behind_the_retention_goes_on_with_what_is_kept(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = await endpoints.add("http://127.0.0.1:9/hook", settings=settings)
    for number in range(3):
        await append(number)
    # Retention deleted the first two entries before the endpoint read them.
    oldest = await ChangeEntry.all().order_by("position").limit(2)
    await ChangeEntry.filter(position__in=[e.position for e in oldest]).delete()
    await ChangeLogState.filter(id=1).update(pruned_through=oldest[-1].position)
    assert await fan_out(endpoint.id) == (0, False)
    assert "fell behind what the change log keeps" in caplog.text
    assert (await WebhookEndpoint.get(id=endpoint.id)).position == oldest[-1].position
    await append(9, public_kind=ChangeKind.UPDATED)
    assert await fan_out(endpoint.id) == (2, False)  # the third entry, and the new one
    assert (await WebhookEndpoint.get(id=endpoint.id)).position == await log.head()
