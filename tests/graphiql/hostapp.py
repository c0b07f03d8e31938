"""A host application that mounts cms under /content (run by the browser test with uvicorn)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from cms.app import ContentService

content = ContentService()


async def home(request: Request) -> PlainTextResponse:
    return PlainTextResponse("the host app")


app = Starlette(
    routes=[Route("/", home), Mount("/content", app=content.app)], lifespan=content.lifespan
)
