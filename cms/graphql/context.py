"""The per-request context: who is asking, when, with which settings and loaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from cms.auth import Caller
from cms.graphql.cachetags import CacheTags
from cms.graphql.loaders import Loaders
from cms.graphql.memo import Memo
from cms.read.visibility import Viewer
from cms.settings import Settings


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | None
    settings: Settings
    caller: Caller
    viewer: Viewer
    loaders: Loaders
    #: Why the request's credentials were refused (the operation then fails as a whole).
    auth_error: str | None = None
    #: What is kept with the operation's text (set before it runs; see cms.graphql.memo).
    memo: Memo | None = None

    @property
    def cache_tags(self) -> CacheTags:
        """What the request showed so far, as cache keys (collected by its loaders and the
        resolvers of listings; see :mod:`cms.graphql.cachetags`)."""
        return self.loaders.seen

    def reset_loaders(self) -> None:
        """Forget everything loaded so far: called after every write, so the rest of the
        request (the payload included) reads what was just written. What was shown stays
        noted."""
        self.loaders = Loaders(self.viewer, self.loaders.seen)


Info: TypeAlias = strawberry.Info[Context, None]
