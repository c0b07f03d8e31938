"""Our GraphQL HTTP/WebSocket view: Strawberry's ASGI view, with what it lacks.

- Responses in ``application/graphql-response+json`` when the client accepts it, with the
  GraphQL-over-HTTP status codes (400 for a request that could not run, 401/403 for refused
  credentials); ``application/json`` (always 200) otherwise.
- Mutations are never run over GET (405 with ``Allow: POST``).
- Request bodies over ``max_body_bytes`` get 413; malformed requests a 4xx with a JSON error.
- Persisted queries (:mod:`cms.graphql.persisted`).
- A response cache for what anonymous and read callers see (:mod:`cms.graphql.cache`), purged
  by the cache keys each change names; those answers carry the keys in ``Cache-Tag`` and
  ``Surrogate-Key`` for CDNs too (:mod:`cms.graphql.cachetags`), cache on or off.
- Plain queries on a short path (:mod:`cms.graphql.direct`), everything else through Strawberry.

Each HTTP request goes through the stages of :mod:`cms.graphql.pipeline` (read, caller, cache,
execute, encode) as one :class:`~cms.graphql.pipeline.Exchange`. With ``CMS_FAST_EXECUTOR``
off, or a host's own schema extensions, the short path is left out; with a host's extensions
the response cache is too, so that they see every request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import DocumentNode, OperationDefinitionNode, get_operation_ast
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from cms.graphiql.page import render_page
from cms.graphql.cache import Entry, ResponseCache, cache_key, etag_of
from cms.graphql.cachetags import NONE as NO_KEYS
from cms.graphql.cachetags import CacheTags
from cms.graphql.checks import query_too_large
from cms.graphql.context import Context
from cms.graphql.direct import respond
from cms.graphql.errors import code_for, formatted
from cms.graphql.memo import declared
from cms.graphql.persisted import PersistedQueries, PersistedQueryError
from cms.graphql.pipeline import (
    CachePlan,
    Exchange,
    selects_volatile,
    valid_document,
)
from cms.graphql.schema import Schema, build_schema
from cms.graphql.streams import Streams
from cms.observability import GRAPHQL_RESPONSE
from cms.read.versions import current_version, next_publication
from cms.settings import Settings
from cms.timeutil import utcnow

JSON = "application/json"
#: Status codes for requests that could not run, in application/graphql-response+json.
_REQUEST_ERROR_STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403}


class BodyTooLarge(Exception):
    pass


def _matches(request: Request, etag: str) -> bool:
    """``If-None-Match`` on a GET names this ETag (weak comparison, as RFC 9110 asks)."""
    if_none_match = request.headers.get("if-none-match")
    if request.method != "GET" or not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]


def _has_errors(body: bytes) -> bool:
    if b'"errors"' not in body:
        return False
    try:
        return "errors" in json.loads(body)
    except ValueError:
        return True


def wants_graphql_response(request: Request) -> bool:
    """Whether the client accepts application/graphql-response+json (preferred when it does)."""
    for part in request.headers.get("accept", "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if media.lower() != GRAPHQL_RESPONSE:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            return True
    return False


def encode_json(data: object) -> bytes:
    """orjson; the standard encoder (which escapes it) for a lone surrogate a caller sent and an
    error message quotes back."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":")).encode()


def error_response(request: Request, status: int, message: str, code: str) -> Response:
    """A request-level error as a GraphQL response body."""
    media = GRAPHQL_RESPONSE if wants_graphql_response(request) else JSON
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    headers = {"Allow": "GET, POST"} if status == 405 else None
    return Response(encode_json(body), status_code=status, media_type=media, headers=headers)


class GraphQLView(Streams, GraphQL[Context, None]):
    schema: Schema

    def __init__(
        self, settings: Settings, extensions: Sequence[Callable[[], SchemaExtension]] = ()
    ) -> None:
        super().__init__(
            build_schema(settings, extensions),
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            # Live updates (see cms.graphql.streams): WebSocket and Server-Sent Events.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL),
        )
        self.settings = settings
        self.persisted = PersistedQueries(
            settings, lambda query: valid_document(self.schema, query) is not None
        )
        known = self.schema.only_known_extensions
        #: Plain queries take the short path (see :mod:`cms.graphql.direct`).
        self.short_path = settings.fast_executor and known
        #: Kept responses, for what anonymous and read callers see; none when a host's
        #: extensions must see every request.
        self.cache = ResponseCache(settings) if settings.response_cache and known else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        exchange = Exchange(scope, self._limited(scope, receive))
        try:
            response = await self._answer(exchange)
        except HTTPException as exc:
            status = exc.status_code
            if exc.reason == "Unsupported content type":
                status = 415
            code = {405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}.get(
                status, "BAD_REQUEST"
            )
            response = error_response(exchange, status, exc.reason, code)
        except BodyTooLarge:
            response = error_response(
                exchange,
                413,
                f"the request body is over the limit of {self.settings.max_body_bytes} bytes",
                "PAYLOAD_TOO_LARGE",
            )
        except PersistedQueryError as exc:
            status = 400 if exc.code == "BAD_REQUEST" else 200
            if exc.code == "OPERATION_NOT_ALLOWED":
                status = 403 if wants_graphql_response(exchange) else 200
            response = error_response(exchange, status, str(exc), exc.code)
        await response(scope, receive, send)

    async def _answer(self, exchange: Exchange) -> Response:
        """The pipeline: read the request (once, for the cache and the short path), refuse a
        text over the byte limit, answer from the cache, else execute on the short path or
        the general one, and keep what may be kept."""
        operation = await exchange.read(self.decode_json, self.persisted)
        if operation is not None and (
            too_large := query_too_large(operation.query, self.settings.max_query_bytes)
        ):
            # Refused at once: the general path would decode the whole body again.
            result = ExecutionResult(data=None, errors=[too_large])
            processed = await self.process_result(exchange, result)
            return self.create_response(processed, exchange.sub_response)
        plan = await self._cache_plan(exchange)
        cache = self.cache
        if plan is not None and plan.key is not None and cache is not None:
            if not cache.current(plan.version):
                await cache.sync(plan.version)
            hit = cache.get(plan.key, plan.now)
            if hit is not None:
                return self._cached_response(exchange, hit)
        response = await respond(self, exchange) if self.short_path else None
        if response is None:
            response = await self.run(exchange)
        return await self._fill_cache(exchange, response)

    async def _cache_plan(self, exchange: Exchange) -> CachePlan | None:
        """Whether this request's response may be cached (by us, or by a CDN: then it carries
        cache tags) and where it lives in our cache, or None when it may not be: not a plain
        query (see :meth:`Exchange.read`), refused credentials (the general path answers
        them), a caller who may see drafts, or an operation that reads the change log."""
        operation = exchange.operation
        if operation is None:
            return None  # the normal path answers it
        caller, refused = await exchange.identify()
        if refused is not None or caller.can_preview:
            return None
        query, name = operation.query, operation.name
        document = exchange.query_document(self.schema)
        found = get_operation_ast(document, name) if document is not None else None
        if document is None or found is None:
            return None
        if self._volatile(query, document, found):
            exchange.volatile = True
            return None
        key = None
        if self.cache is not None:
            media = GRAPHQL_RESPONSE if wants_graphql_response(exchange) else JSON
            key = cache_key(query, name, declared(found, operation.variables or {}), media)
            if key is None:
                return None
            version = await current_version()
        else:
            version = 0  # nothing kept: the version is not needed
        exchange.cache_plan = plan = CachePlan(key=key, version=version, now=utcnow())
        return plan

    def _volatile(
        self, query: str, document: DocumentNode, operation: OperationDefinitionNode
    ) -> bool:
        """Whether the operation reads the change log (worked out once per text and name)."""
        memo = self.schema.operations.memo(query, document)
        memo_key = ("volatile", operation.name.value if operation.name else None)
        if memo is not None:
            known = memo.get(memo_key)
            if known is not None:
                return bool(known)
        volatile = selects_volatile(document, operation)
        if memo is not None:
            memo.put(memo_key, volatile, 64)
        return volatile

    #: Cacheable answers depend on these request headers (shared caches must key on them).
    VARY = "Accept, Authorization"

    def _cache_control(self) -> str:
        if self.settings.cache_max_age > 0:
            return f"public, max-age={self.settings.cache_max_age}"
        return "no-cache"

    def _cached_response(self, request: Request, entry: Entry) -> Response:
        headers = {"ETag": entry.etag, "Cache-Control": self._cache_control(), "Vary": self.VARY}
        if _matches(request, entry.etag):
            response = Response(status_code=304, headers=headers)
        else:
            response = Response(entry.body, media_type=entry.media_type, headers=headers)
        response.raw_headers.extend(entry.keys.raw_headers)
        return response

    async def _fill_cache(self, exchange: Exchange, response: Response) -> Response:
        plan = exchange.cache_plan
        if plan is None:
            if exchange.private:
                response.headers["Cache-Control"] = "private, no-store"
            elif exchange.volatile:
                response.headers["Cache-Control"] = "no-store"
            return response
        if response.status_code != 200 or not exchange.succeeded:
            return response
        seen = exchange.cache_tags
        keys = NO_KEYS if seen is None else seen.keys(self.settings.cache_tag_max_bytes)
        cache = self.cache
        if plan.key is None or cache is None:
            response.raw_headers.extend(keys.raw_headers)
            return response
        body = bytes(response.body)
        if _has_errors(body):  # an answer not encoded by process_result
            return response
        etag = etag_of(body)
        media = response.headers.get("content-type", JSON)
        expires = await next_publication(plan.now)
        if cache.fresh(plan.version):  # else a purge ran meanwhile that this answer may predate
            cache.put(plan.key, Entry(expires, body, etag, media, keys))
        headers = {"ETag": etag, "Cache-Control": self._cache_control(), "Vary": self.VARY}
        if _matches(exchange, etag):
            response = Response(status_code=304, headers=headers)
        else:
            response.headers.update(headers)
        response.raw_headers.extend(keys.raw_headers)
        return response

    def _limited(self, scope: Scope, receive: Receive) -> Receive:
        """``receive``, refusing bodies over the limit (by Content-Length or as they arrive)."""
        limit = self.settings.max_body_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:

                async def refuse() -> Message:
                    raise BodyTooLarge

                return refuse
        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge
            return message

        return counting

    async def parse_http_body(
        self, request_adapter: Any
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        try:
            data = await super().parse_http_body(request_adapter)
        except (AttributeError, TypeError, RecursionError):
            # A JSON body that is not an object (3, null, "s") or is nested beyond reason.
            raise HTTPException(400, "the request body must be a JSON object") from None
        for item in data if isinstance(data, list) else [data]:
            extensions = item.extensions if isinstance(item.extensions, dict) else None
            item.query = self.persisted.resolve(item.query, extensions)
        return data

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            result: ExecutionResult = await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            cause = exc.__cause__
            if isinstance(cause, InvalidOperationTypeError) and "GET" in exc.reason:
                raise HTTPException(405, "mutations are not allowed over GET: use POST") from exc
            raise
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        graphql_response = wants_graphql_response(request)
        status = 200
        if isinstance(request, Exchange):
            request.succeeded = not result.errors
        if result.errors:
            response["errors"] = [formatted(error) for error in result.errors]
            if result.data is None and all(error.path is None for error in result.errors):
                # A request error: nothing executed (the new media type leaves data out).
                status = _REQUEST_ERROR_STATUS.get(code_for(result.errors[0]), 400)
                if graphql_response:
                    del response["data"]
        if result.extensions:
            response["extensions"] = result.extensions
        if graphql_response and isinstance(request, Exchange):
            sub_response = request.sub_response
            sub_response.status_code = status
            sub_response.media_type = GRAPHQL_RESPONSE
        return response

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        """The exchange's own response under way (see :attr:`Exchange.sub_response`)."""
        if isinstance(request, Exchange):
            return request.sub_response
        return await super().get_sub_response(request)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE:
            response.headers["content-type"] = GRAPHQL_RESPONSE
        return response

    def encode_json(self, data: object) -> bytes:
        return encode_json(data)

    def decode_json(self, data: str | bytes) -> object:
        """orjson first (several times faster); the standard parser for what orjson refuses
        but JSON allows (lone surrogates, which cms then refuses as input it cannot store).
        What neither takes is a 400 with a JSON error, whatever the reason: invalid UTF-8,
        a number of thousands of digits, nesting beyond reason."""
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        try:
            return json.loads(data)
        except UnicodeDecodeError:
            reason = "it is not valid UTF-8"
        except RecursionError:
            reason = "it is nested too deeply"
        except ValueError as exc:
            reason = "a number in it is too large" if "digits" in str(exc) else "it is malformed"
        raise HTTPException(400, f"Unable to parse request body as JSON: {reason}")

    def should_render_graphql_ide(self, request: Any) -> bool:
        """The explorer for a browser's plain GET; never for a persisted query's GET."""
        params = request.query_params
        return (
            request.method == "GET"
            and params.get("query") is None
            and params.get("extensions") is None
            and "text/html" in request.headers.get("accept", "")
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our own GraphiQL page: assets served by the app, not a CDN."""
        return render_page()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        if not isinstance(request, Exchange):  # a WebSocket, or a request made elsewhere
            return await self.streaming_context(request, response)
        caller, auth_error = await request.identify()  # perhaps known from the cache stage
        request.private = caller.can_preview
        if request.cache_tags is None:
            request.cache_tags = CacheTags()
        return self._context(request, response, caller, auth_error, request.cache_tags, utcnow())
