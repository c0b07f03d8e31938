"""The per-request context: who is asking, when, with which settings and loaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from cms.graphql.loaders import Loaders
from cms.read.visibility import Viewer
from cms.settings import Settings


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | None
    settings: Settings
    viewer: Viewer
    loaders: Loaders


Info: TypeAlias = strawberry.Info[Context, None]
