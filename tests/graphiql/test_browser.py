"""GraphiQL in a real browser (headless Chromium from Debian, driven by Playwright): it loads
from the app alone, runs the ready query and shows the seed article; nothing leaves 127.0.0.1.

Marked ``browser``: the README's test command leaves it out (a fresh machine may have no
Chromium); `.ci/run` installs Chromium and runs it.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, async_playwright

from tests.conftest import free_port, running, seeded_env
from tests.databases import FreshDatabases

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
SEED_TITLE = "Peruvian President Dina Boluarte Arrives in Beijing for Landmark State Visit"
#: Chromium's own background traffic is switched off; the closed network refuses it anyway.
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def standalone(databases: FreshDatabases) -> Iterator[str]:
    env = seeded_env(databases)
    port = free_port()
    args = [sys.executable, "-m", "cms", "serve", "--port", str(port)]
    with running(args, env, f"http://127.0.0.1:{port}/graphql") as url:
        yield url


@pytest.fixture
def mounted(databases: FreshDatabases) -> Iterator[str]:
    env = seeded_env(databases)
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "tests.graphiql.hostapp:app",
        "--port",
        str(port),
    ]
    with running(args, env, f"http://127.0.0.1:{port}/content/graphql") as url:
        yield url


async def run_ready_query(browser: Browser, url: str) -> tuple[str, list[str], list[str]]:
    """Open GraphiQL, press run; return the result pane's text, every URL asked, and errors."""
    page: Page = await browser.new_page()
    requested: list[str] = []
    errors: list[str] = []

    def on_request(request: Request) -> None:
        requested.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(url)
    await page.locator(".graphiql-execute-button").click(timeout=15_000)
    result = page.locator(".result-window")
    await result.get_by_text(SEED_TITLE).wait_for(timeout=15_000)
    text = await result.inner_text()
    # The headers editor (for `Authorization: Bearer ...`) and the explorer plugin are there.
    await page.get_by_text("Headers", exact=True).wait_for(timeout=5_000)
    await page.locator('[aria-label="Show GraphiQL Explorer"]').wait_for(timeout=5_000)
    await page.close()
    return text, requested, errors


def assert_local(requested: list[str], origin: str) -> None:
    assert requested, "the browser made no request"
    outside = [url for url in requested if not (url.startswith(origin) or url.startswith("data:"))]
    assert outside == [], f"requests left {origin}: {outside}"


async def test_graphiql_runs_the_ready_query_offline(browser: Browser, standalone: str) -> None:
    text, requested, errors = await run_ready_query(browser, standalone)
    assert SEED_TITLE in text and "CGTN" in text and "Dina Boluarte" in text
    assert_local(requested, standalone.rsplit("/", 1)[0] + "/")
    assert any(url.endswith("/graphql/assets/graphiql.min.js") for url in requested)
    assert errors == []


async def test_graphiql_works_under_a_mount_prefix(browser: Browser, mounted: str) -> None:
    text, requested, errors = await run_ready_query(browser, mounted)
    assert SEED_TITLE in text
    origin = mounted.split("/content/")[0] + "/"
    assert_local(requested, origin)
    assert any("/content/graphql/assets/graphiql.min.js" in url for url in requested)
    assert errors == []


async def test_graphiql_shows_a_subscription_s_changes_as_they_come(
    browser: Browser, databases: FreshDatabases
) -> None:
    """A `subscription` typed into GraphiQL streams over SSE: a write made meanwhile shows up
    in the result pane without pressing anything."""
    import httpx

    from tests.test_replicas import write_token

    settings = databases.new()
    token = write_token(settings)
    env = {**seeded_env(databases), "CMS_DATABASE_URL": settings.database_url}
    port = free_port()
    args = [sys.executable, "-m", "cms", "serve", "--port", str(port)]
    with running(args, env, f"http://127.0.0.1:{port}/graphql") as url:
        async with httpx.AsyncClient(timeout=10) as client:
            head = (await client.post(url, json={"query": "{ changesHead }"})).json()
            after = head["data"]["changesHead"]
            page: Page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(url)
            await page.locator(".graphiql-query-editor .CodeMirror").wait_for(timeout=15_000)
            await page.evaluate(
                """(text) => document.querySelector('.graphiql-query-editor .CodeMirror')
                    .CodeMirror.setValue(text)""",
                f'subscription Live {{ contentChanged(after: "{after}") {{ kind slug }} }}',
            )
            await page.locator(".graphiql-execute-button").click(timeout=15_000)
            created = await client.post(
                url,
                json={
                    "query": 'mutation { createArticle(input: {title: "Seen Live", '
                    'body: "Body.", status: PUBLISHED}) { errors { code } } }'
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert created.json()["data"]["createArticle"]["errors"] == []
        result = page.locator(".result-window")
        try:
            await result.get_by_text("seen-live").wait_for(timeout=15_000)
        except Exception as exc:
            raise AssertionError(f"no change showed: {await result.inner_text()}") from exc
        assert "PUBLISHED" in await result.inner_text()
        assert errors == []
        await page.close()
