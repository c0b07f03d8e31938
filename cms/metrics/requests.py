"""What each request to a service costs and how it ended, counted in plain integers.

:class:`RequestMetrics` is the service's outermost layer but for the access log: per HTTP
request it adds one to a count per route, method and status and to a latency histogram per
route; per GraphQL operation (a GET with a query, or a POST, to ``/graphql``), one to a count
per operation name and outcome and to a latency histogram per operation name. Nothing here
builds a Prometheus object: :mod:`cms.metrics.collector` reads the integers when scraped.

Operation names are the caller's choice, so the label has a bounded set of values: a name
gets a label of its own the first time an operation of that name succeeds, up to
``max_operations`` names; operations without a name are ``anonymous``, and all others (over
the cap, never succeeded, unreadable, batches) are ``other``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from contextlib import suppress
from time import perf_counter
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Upper bounds of the latency buckets, in seconds (most requests take well under 10 ms).
LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
#: Most operation names with a label of their own.
MAX_OPERATIONS = 100
#: Largest request body decoded again for its operation name (a larger one is ``other``).
MAX_DECODED_BYTES = 1024 * 1024
ANONYMOUS = "anonymous"
OTHER = "other"
#: Not a GraphQL operation (a GET to /graphql without a query: the GraphiQL page).
_NOT_AN_OPERATION = "<not an operation>"
#: Most request bodies and query strings whose operation name is kept, and the longest kept.
_NAMES_KEPT = 256
_NAMES_KEPT_BYTES = 4096

#: How a GraphQL request ended: ``ok`` (no errors), ``error`` (errors in the response: the
#: caller's mistakes, missing data), ``refused`` (credentials, the allow-list or a limit
#: refused it before it ran), ``persisted_query_not_found`` (an automatic persisted query's
#: first, hash-only, try), ``internal`` (a failure on our side).
OUTCOMES = ("ok", "error", "refused", "persisted_query_not_found", "internal")
_REFUSALS = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "OPERATION_NOT_ALLOWED",
        "QUERY_TOO_LARGE",
        "QUERY_TOO_COMPLEX",
        "PAYLOAD_TOO_LARGE",
    }
)
_METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS"})

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,127}")
#: The first definition of a document, past whitespace, commas and comments (possessive: no
#: backtracking over a long run of them).
_FIRST_DEFINITION = re.compile(
    r"(?:[\s,\ufeff]|#[^\n\r]*+)*+"
    r"(?:(query|mutation|subscription)(?![_0-9A-Za-z])[\s,]*+([_A-Za-z][_0-9A-Za-z]*+)?"
    r"|fragment(?![_0-9A-Za-z]))"
)
#: A named operation after fragments (``query Name(`` or ``{`` or ``@``).
_LATER_OPERATION = re.compile(
    r"(?<![_0-9A-Za-z$])(?:query|mutation|subscription)[\s,]++([_A-Za-z][_0-9A-Za-z]*+)"
    r"[\s,]*+[({@]"
)


class Histogram:
    """Observations counted per bucket of :data:`LATENCY_BUCKETS` (the last: above them)."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.sum += seconds

    def cumulative(self) -> list[tuple[str, float]]:
        """Prometheus buckets: observations at most each bound, then all of them."""
        buckets: list[tuple[str, float]] = []
        total = 0
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), self.counts, strict=True):
            total += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), total))
        return buckets


def name_in(query: str) -> str | None:
    """The name of the operation a document (as a client sends it) starts with, or of the
    first named operation after its fragments; None when it has no name."""
    first = _FIRST_DEFINITION.match(query)
    if first is None:
        return None
    if first.group(1) is not None:
        return first.group(2)
    later = _LATER_OPERATION.search(query, first.end())
    return None if later is None else later.group(1)


def requested_name(data: Any, persisted: Callable[[str], str | None]) -> str | None:
    """The operation name a decoded GraphQL request asks for (:data:`OTHER` when it cannot
    be read): ``operationName``, else the name in its query text (or in the text of the
    persisted query it names)."""
    if not isinstance(data, dict):
        return OTHER  # a batch, or not a request at all
    name = data.get("operationName")
    if isinstance(name, str) and name:
        return name if _NAME.fullmatch(name) else OTHER
    query = data.get("query")
    if not isinstance(query, str):
        extensions = data.get("extensions")
        found = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        digest = found.get("sha256Hash") if isinstance(found, dict) else None
        query = persisted(digest) if isinstance(digest, str) else None
        if query is None:
            return OTHER
    return name_in(query)


def outcome_of(status: int, body: bytes) -> str:
    """How a GraphQL response ended (one of :data:`OUTCOMES`), by its status and body."""
    if status >= 500:
        return "internal"
    plain = "ok" if status < 400 else "error"
    if b'"errors"' not in body:
        return plain
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "error"
    errors = decoded.get("errors") if isinstance(decoded, dict) else None
    if not errors:  # "errors" in the data: a payload's field, an alias
        return plain
    first = errors[0] if isinstance(errors, list) else None
    extensions = first.get("extensions") if isinstance(first, dict) else None
    code = extensions.get("code") if isinstance(extensions, dict) else None
    if code == "INTERNAL_SERVER_ERROR":
        return "internal"
    if code in _REFUSALS:
        return "refused"
    if code == "PERSISTED_QUERY_NOT_FOUND":
        return "persisted_query_not_found"
    return "error"


class RequestMetrics:
    """Pure ASGI middleware: counts and times every HTTP request and GraphQL operation.

    ``routes`` are the paths requests are labelled with (anything else is ``other``);
    ``mounts`` are prefixes labelled as a whole; ``graphql`` is the GraphQL endpoint's path;
    ``persisted`` gives the text of a persisted query by its hash, when known."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Iterable[str],
        mounts: Iterable[str] = (),
        graphql: str = "/graphql",
        persisted: Callable[[str], str | None] = lambda digest: None,
        max_operations: int = MAX_OPERATIONS,
    ) -> None:
        self.app = app
        self.routes = frozenset(routes)
        self.mounts = tuple(f"{mount.rstrip('/')}/" for mount in mounts)
        self.graphql = graphql
        self.persisted = persisted
        self.max_operations = max_operations
        #: Requests by (route, method, status).
        self.requests: dict[tuple[str, str, int], int] = {}
        #: Request latency by route.
        self.latency: dict[str, Histogram] = {}
        #: GraphQL operations by (operation label, outcome).
        self.operations: dict[tuple[str, str], int] = {}
        #: GraphQL operation latency by operation label.
        self.operation_latency: dict[str, Histogram] = {}
        self._named: set[str] = set()
        #: Operation names by request body (POST) or query string (GET): a page sends the
        #: same request again and again, and reading its name costs more than counting it.
        self._post_names: dict[bytes, str | None] = {}
        self._get_names: dict[bytes, str | None] = {}

    def route_of(self, scope: Scope) -> str:
        """The route ``scope`` asks for, relative to where the service is mounted."""
        path: str = scope.get("path", "")
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        if path in self.routes:
            return path
        for mount in self.mounts:
            if path.startswith(mount):
                return mount[:-1]
        return OTHER

    def label(self, name: str | None, outcome: str) -> str:
        """The operation label of ``name`` (see the module's docstring)."""
        if name is None:
            return ANONYMOUS
        if name in self._named:
            return name
        if name != OTHER and outcome == "ok" and len(self._named) < self.max_operations:
            self._named.add(name)
            return name
        return OTHER

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        route = self.route_of(scope)
        method: str = scope.get("method", "")
        operation = route == self.graphql and method in ("GET", "POST")
        status = 500  # if the app fails before it responds
        clean = False  # known to carry no errors
        body: list[bytes] = []
        request: list[bytes] = []

        async def sending(message: Message) -> None:
            nonlocal status, clean
            if message["type"] == "http.response.start":
                status = message["status"]
                if operation:
                    for name, _ in message.get("headers", ()):
                        if name == b"etag":  # what the response cache keeps or kept: no errors
                            clean = True
                            break
            elif operation and not clean and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
            await send(message)

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request.append(message.get("body", b""))
            return message

        try:
            await self.app(scope, receiving if operation and method == "POST" else receive, sending)
        finally:
            seconds = perf_counter() - started
            key = (route, method if method in _METHODS else OTHER, status)
            self.requests[key] = self.requests.get(key, 0) + 1
            histogram = self.latency.get(route)
            if histogram is None:
                histogram = self.latency[route] = Histogram()
            histogram.observe(seconds)
            if operation:
                self._operation(scope, method, request, status, body, seconds)

    def _operation(
        self,
        scope: Scope,
        method: str,
        request: list[bytes],
        status: int,
        body: list[bytes],
        seconds: float,
    ) -> None:
        if method == "GET":
            text: bytes = scope.get("query_string", b"")
            names = self._get_names
        else:
            text = request[0] if len(request) == 1 else b"".join(request)
            names = self._post_names
        if text in names:
            name = names[text]
        else:
            name = self._name_of(method, text)
            # Not "other": a persisted query unknown now may be registered by the next request.
            if name != OTHER and len(text) <= _NAMES_KEPT_BYTES:
                if len(names) >= _NAMES_KEPT:
                    names.clear()
                names[text] = name
        if name == _NOT_AN_OPERATION:
            return  # the GraphiQL page
        if body or status >= 400:
            outcome = outcome_of(status, body[0] if len(body) == 1 else b"".join(body))
        else:
            outcome = "ok"  # an empty body (304), or one with an ETag (see __call__)
        label = self.label(name, outcome)
        key = (label, outcome)
        self.operations[key] = self.operations.get(key, 0) + 1
        histogram = self.operation_latency.get(label)
        if histogram is None:
            histogram = self.operation_latency[label] = Histogram()
        histogram.observe(seconds)

    def _name_of(self, method: str, text: bytes) -> str | None:
        """The operation name a request's query string or body asks for (see
        :func:`requested_name`), or :data:`_NOT_AN_OPERATION`."""
        data: Any = None
        if method == "GET":
            params = parse_qs(text.decode("latin-1"))
            if "query" not in params and "extensions" not in params:
                return _NOT_AN_OPERATION
            data = {key: values[-1] for key, values in params.items()}
            if "extensions" in data:
                try:
                    data["extensions"] = orjson.loads(data["extensions"])
                except orjson.JSONDecodeError:
                    data["extensions"] = None
        elif len(text) <= MAX_DECODED_BYTES:
            with suppress(orjson.JSONDecodeError):
                data = orjson.loads(text)
        return requested_name(data, self.persisted)
