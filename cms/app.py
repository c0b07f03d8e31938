"""The ASGI application, standalone (:func:`create_app`) or mounted in a host app.

Standalone::

    app = create_app()            # what `cms serve` runs

As a plugin in a Starlette or FastAPI host (a mounted app's own lifespan never runs, so the
host's lifespan opens the database)::

    content = ContentService()
    app = Starlette(routes=[Mount("/content", app=content.app)], lifespan=content.lifespan)
    # FastAPI: app = FastAPI(lifespan=content.lifespan); app.mount("/content", content.app)

A host with a lifespan of its own enters ours inside it: ``async with content.lifespan(app):``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from tortoise.context import TortoiseContext, _current_context

from cms import caches, db
from cms.graphiql.page import assets_app
from cms.graphql.view import GraphQLView
from cms.health import HEALTH_PATHS, health_routes, relative_path
from cms.metrics import PATH as METRICS_PATH
from cms.metrics import metrics_route
from cms.metrics.collector import ServiceCollector, fallbacks_of
from cms.metrics.requests import RequestMetrics
from cms.observability import RequestLogMiddleware, configure_logging, internal_error_handler
from cms.read.sql import request_reads
from cms.read.versions import request_scope
from cms.security import secured
from cms.settings import Settings, get_settings
from cms.webhooks.worker import run_deliveries
from cms.write.schedule import run_scheduler

logger = logging.getLogger("cms.app")


class ContentService:
    """The content API and the database it serves, ready to run alone or inside a host."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        extensions: Sequence[Callable[[], SchemaExtension]] = (),
        standalone: bool = False,
    ) -> None:
        """``extensions``: Strawberry schema extensions of the host's own, run on every
        request (which then all take Strawberry's general path, uncached). ``standalone``:
        the service is the whole application (:func:`create_app`), so ``/metrics`` is served
        unless the settings say otherwise; a service mounted in a host serves it only when
        the settings ask (``CMS_METRICS``)."""
        self.settings = settings or get_settings()
        self._tortoise: TortoiseContext | None = None
        view = GraphQLView(self.settings, extensions=extensions)
        #: The GraphQL endpoint.
        self.view = view
        #: Every cache of this service, its own (see :mod:`cms.caches`).
        self.caches = caches.Caches(self.settings)
        responses = view.cache
        self.caches.register(
            caches.RESPONSES,
            lambda: None if responses is None else responses.entries,
            None if responses is None else lambda: (responses.hits, responses.misses),
        )
        self.caches.register(caches.PERSISTED_QUERIES, lambda: view.persisted.cache)
        self.caches.register(caches.OPERATIONS, lambda: view.schema.operations.kept)
        self.routes: list[BaseRoute] = [
            *health_routes(lambda: self._tortoise is not None),
            Route("/graphql", view, methods=["GET", "POST"], name="graphql"),
            WebSocketRoute("/graphql", view, name="graphql-ws"),
        ]
        if self.settings.graphiql:
            self.routes.append(Mount("/graphql/assets", app=assets_app(), name="graphiql-assets"))
        serves_metrics = self.settings.metrics if self.settings.metrics is not None else standalone
        #: The service's own Prometheus registry (None when metrics are off): a host that
        #: serves metrics of its own can collect it too.
        self.metrics: CollectorRegistry | None = None
        if serves_metrics:
            self.metrics = CollectorRegistry()
            self.routes.append(metrics_route(self.metrics))
        app: ASGIApp = secured(
            _WithDatabase(
                Starlette(
                    routes=self.routes, exception_handlers={Exception: internal_error_handler}
                ),
                self,
                without_database=HEALTH_PATHS | {METRICS_PATH} if serves_metrics else HEALTH_PATHS,
            ),
            self.settings,
        )
        if self.metrics is not None:
            app = self._metered(app, self.metrics, standalone=standalone)
        #: The ASGI app to mount in a host (it has no lifespan of its own): request ids and
        #: access logs around the routes (metrics counted within, when on), each request in
        #: the service's database context, with the service's caches.
        self.app: ASGIApp = RequestLogMiddleware(
            app, quiet=[METRICS_PATH] if serves_metrics else []
        )

    def _metered(self, app: ASGIApp, registry: CollectorRegistry, *, standalone: bool) -> ASGIApp:
        """``app`` with its requests counted, and ``registry`` collecting them, the caches,
        the fast path's hand-backs and the database connections; the process's own metrics
        (memory, CPU, open files) too when the service is the whole application."""
        persisted, schema, responses = self.view.persisted, self.view.schema, self.view.cache

        def persisted_text(digest: str) -> str | None:
            return persisted.registered.get(digest) or persisted.cache.peek(digest)

        def pools() -> list[db.PoolUse]:
            tortoise = self._tortoise
            return [] if tortoise is None else db.pool_use(tortoise)

        requests = RequestMetrics(
            app,
            routes=[route.path for route in self.routes if isinstance(route, Route)],
            mounts=[route.path for route in self.routes if isinstance(route, Mount)],
            persisted=persisted_text,
        )
        registry.register(
            ServiceCollector(
                requests=requests,
                caches=self.caches.sizes,
                response_hit_bytes=None if responses is None else lambda: responses.hit_bytes,
                fallbacks=lambda: fallbacks_of(schema),
                pools=pools,
                subscribers=lambda: self.view.live.subscribers,
                response_purges=None
                if responses is None
                else lambda: (responses.purged, responses.clears),
            )
        )
        if standalone:
            ProcessCollector(registry=registry)
        return requests

    @asynccontextmanager
    async def lifespan(self, app: Any = None, *, check: bool = False) -> AsyncIterator[None]:
        """Open the database for as long as the block (or the host app) runs.

        A database URL cms cannot use fails at once with :class:`cms.db.DatabaseError`. With
        ``check`` (as ``cms serve`` runs it), so does a database that is missing, unreachable
        or not migrated; without it (a mounted service), connections open on first use and
        ``/readyz`` answers 503 with the reason until the database can serve.
        """
        async with db.database(self.settings, check=check) as tortoise:
            self._tortoise = tortoise
            self.view.live.open()
            try:
                async with self._background():
                    yield
            finally:
                await self.view.live.close()  # live subscriptions end with the service
                self._tortoise = None

    def _jobs(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        """What runs in the background while the database is open: the scheduler and the
        webhook deliveries, each when the settings ask (every replica may run them: one at a
        time does each piece of work)."""
        settings = self.settings
        jobs: list[Callable[[], Coroutine[Any, Any, None]]] = []
        if settings.scheduler:
            jobs.append(lambda: run_scheduler(settings))
        if settings.webhook_delivery:
            jobs.append(lambda: run_deliveries(settings))
        return jobs

    @asynccontextmanager
    async def _background(self) -> AsyncIterator[None]:
        """Run :meth:`_jobs` (in the database's context) until the block ends."""
        tasks = [asyncio.create_task(job()) for job in self._jobs()]
        for task in tasks:
            task.add_done_callback(_report_crash)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.error("a background job stopped", exc_info=error)


class _WithDatabase:
    """Runs every request inside the service's Tortoise context, with the service's caches.

    Tortoise 1.x keeps its state in a context variable; the lifespan sets it in the lifespan
    task, which request tasks do not inherit. Entering the context per request gives each
    request the connections the lifespan opened, and keeps two services in one process apart;
    so does making the service's :class:`cms.caches.Caches` the current ones.
    """

    def __init__(
        self, app: ASGIApp, service: ContentService, *, without_database: frozenset[str]
    ) -> None:
        self.app = app
        self.service = service
        #: Paths answered while the database is closed (they say so themselves, if it matters).
        self.without_database = without_database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tortoise = self.service._tortoise
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if tortoise is None:
            if scope["type"] == "http" and relative_path(scope) in self.without_database:
                await self.app(scope, receive, send)
                return
            response = JSONResponse(
                {
                    "errors": [
                        {
                            "message": "the content database is not open: enter "
                            "ContentService.lifespan in the host application's lifespan"
                        }
                    ]
                },
                status_code=503,
            )
            await response(scope, receive, send)
            return
        # Set the context variables per request with tokens of our own: the Tortoise context
        # object's own __enter__ keeps one token on the shared instance, which overlapping
        # requests overwrite (and then reset from the wrong task).
        token = _current_context.set(tortoise)
        kept = caches.active.set(self.service.caches)
        try:
            settings = self.service.settings
            with request_reads(db.replica_names(settings)), request_scope(settings.database_url):
                await self.app(scope, receive, send)
        finally:
            caches.active.reset(kept)
            _current_context.reset(token)


class _Standalone(Starlette):
    """The service mounted at the root, with its lifespan. Requests go straight to the
    service: the mount is there for ``routes`` and ``url_path_for``, and the outer router and
    error middleware add nothing to what the service's own stack does.

    Its lifespan refuses to start on a database that cannot be served, and tells the server
    why in one line (the :class:`cms.db.DatabaseError` message) instead of a traceback.
    """

    def __init__(self, service: ContentService) -> None:
        super().__init__(routes=[Mount("", app=service.app)], lifespan=self._lifespan)
        self.state.content = service
        self._service = service
        self._service_app = service.app
        self._startup_error: str | None = None

    @asynccontextmanager
    async def _lifespan(self, app: Any) -> AsyncIterator[None]:
        started = False
        try:
            async with self._service.lifespan(app, check=True):
                started = True
                # What exists now (modules, the schema, the connections) lives as long as the
                # process: out of the collector's sight, a full collection walks only what
                # requests keep (caches), and its pauses stay short (a fifth of 100 ms).
                gc.collect()
                gc.freeze()
                yield
        except db.DatabaseError as exc:
            if not started:
                self._startup_error = str(exc)
            raise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":

            async def send_reason(message: Message) -> None:
                if message["type"] == "lifespan.startup.failed" and self._startup_error:
                    message = {**message, "message": self._startup_error}
                await send(message)

            await super().__call__(scope, receive, send_reason)
            return
        scope["app"] = self
        await self._service_app(scope, receive, send)


def create_app(settings: Settings | None = None) -> Starlette:
    """The standalone app: the service's routes with a lifespan that opens the database."""
    service = ContentService(settings, standalone=True)
    configure_logging(service.settings)
    return _Standalone(service)
