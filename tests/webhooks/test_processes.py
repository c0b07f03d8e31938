"""Delivery across real processes: several workers deliver each entry once per endpoint, and a
worker killed mid-delivery loses nothing (the lease runs out, another sends it again with the
same webhook-id)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from cms.content.globalid import global_id
from cms.content.state import ArticleFields
from cms.models import ArticleStatus, DeliveryStatus, WebhookEndpoint
from cms.settings import Settings
from cms.timeutil import utcnow
from cms.webhooks import endpoints
from cms.write.articles import create_article
from cms.write.commands import CreateArticle
from tests.conftest import free_port, running
from tests.webhooks.conftest import append, eventually, settled
from tests.webhooks.receiver import Receiver, receiving


def worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "CMS_DATABASE_URL": settings.database_url,
        "CMS_WEBHOOK_ALLOW_PRIVATE": "true",
        "CMS_WEBHOOK_TIMEOUT_SECONDS": "2",
        "CMS_WEBHOOK_RETRY_SECONDS": "0.2",
        "CMS_CHANGES_POLL_MS": "100",
        "CMS_LOG_JSON": "false",
    }


def _allowing(settings: Settings) -> Settings:
    return replace(settings, webhook_allow_private=True)


@contextmanager
def workers(settings: Settings, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` `cms webhooks worker` processes until the block ends (then stopped with
    SIGTERM, which they exit on cleanly)."""
    env = worker_env(settings)
    args = [sys.executable, "-m", "cms", "webhooks", "worker"]
    started = [
        subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(count)
    ]
    try:
        for process in started:  # ready (and stopping cleanly on SIGTERM) once it says so
            assert process.stdout is not None
            line = process.stdout.readline().decode()
            assert "delivering webhooks" in line, line + process.stdout.read().decode()
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
        for process in started:
            output = process.communicate(timeout=30)[0].decode()
            assert process.returncode in (0, -signal.SIGKILL), output


async def test_two_processes_deliver_each_entry_once(database: Settings) -> None:
    with receiving() as first, receiving() as second:
        endpoint_a = await endpoints.add(first.url, settings=_allowing(database))
        endpoint_b = await endpoints.add(second.url, settings=_allowing(database))
        with workers(database, 2):
            for number in range(25):
                await append(number, slug=f"s{number}")
            got_a = await first.wait_for(25, within=30)
            got_b = await second.wait_for(25, within=30)
            await append(99, slug="fence")
            await first.wait_for(26)
            await second.wait_for(26)
        for receiver, endpoint, got in ((first, endpoint_a, got_a), (second, endpoint_b, got_b)):
            assert len(receiver.received) == 26
            slugs = [r.verified(endpoint.secret)["data"]["slug"] for r in got]
            assert slugs == [f"s{n}" for n in range(25)]
            assert len({r.message_id for r in receiver.received}) == 26


async def test_a_serve_process_and_a_worker_deliver_each_write_once(
    database: Settings, receiver: Receiver
) -> None:
    """`cms serve` delivers from its app process (CMS_WEBHOOK_DELIVERY defaults to true); a
    standalone worker next to it shares the work without sending anything twice."""
    endpoint = await endpoints.add(receiver.url, settings=_allowing(database))
    port = free_port()
    serve = [sys.executable, "-m", "cms", "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/graphql"
    with running(serve, worker_env(database), url), workers(database, 1):
        ids = []
        for number in range(15):
            outcome = await create_article(
                CreateArticle(
                    ArticleFields(
                        title=f"Article {number}", body="b", status=ArticleStatus.PUBLISHED
                    )
                ),
                utcnow(),
            )
            assert outcome.article_id is not None
            ids.append(outcome.article_id)
        got = await receiver.wait_for(15, within=30)
        await eventually(lambda: _all_delivered(endpoint.id, 15))
    assert len(receiver.received) == 15
    payloads = [r.verified(endpoint.secret) for r in got]
    assert [p["data"]["id"] for p in payloads] == [global_id("Article", pk) for pk in ids]
    assert {p["type"] for p in payloads} == {"article.published"}


async def _all_delivered(endpoint_id: int, count: int) -> bool:
    (summary,) = [s for s in await endpoints.summaries() if s.endpoint.id == endpoint_id]
    return summary.delivered == count


async def test_a_worker_killed_mid_delivery_loses_nothing(
    database: Settings, receiver: Receiver
) -> None:
    endpoint = await endpoints.add(receiver.url, settings=_allowing(database))
    receiver.hang_next = 1
    with workers(database, 1) as (doomed,):
        await append(1, slug="survives")
        (first,) = await receiver.wait_for(1, within=30)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
    with workers(database, 1):
        # The lease (2 x 2 s + 1 s) runs out, and the new worker sends it again.
        got = await receiver.wait_for(2, within=30)
        await eventually(settled(endpoint.id, DeliveryStatus.DELIVERED))
    assert got[1].message_id == first.message_id
    assert got[1].verified(endpoint.secret)["data"]["slug"] == "survives"
    assert got[0].body == got[1].body
    (summary,) = await endpoints.summaries()
    assert (summary.pending, summary.delivered, summary.failed) == (0, 1, 0)
    (delivery,) = await endpoints.deliveries()
    log = [(a.status_code, a.error or None, a.duration_ms) for a in delivery.attempt_log]
    assert log[0] == (None, None, None)  # cut short: no outcome recorded
    assert log[1][0] == 204
    assert (await WebhookEndpoint.get(id=endpoint.id)).enabled
