"""The GraphiQL page and its assets, served by the app itself.

The page is plain HTML whose scripts and styles are files under ``assets/`` (vendored from npm
by :mod:`cms.graphiql.vendor`), so a Content-Security-Policy can allow only the app's own
origin. URLs are relative to the page, so the explorer works wherever the service is mounted.
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).resolve().parent / "assets"

#: The query the explorer opens with: the bundled seed article, its credits and tags.
READY_QUERY = """\
# Welcome to cms: press the run button (or Ctrl-Enter) to fetch
# the bundled article. The docs and the query explorer are in the
# sidebar; send a token in the Headers tab below as
# {"Authorization": "Bearer <token>"}
query SeedArticle {
  article(slug: "peruvian-president-dina-boluarte-arrives-in-beijing-for-landmark-state-visit") {
    title
    publishedAt
    readingTimeMinutes
    imageCredits {
      text
      organization
      role
      contributors {
        name
      }
    }
    tags {
      name
      kind
    }
  }
}
"""

#: A strict policy: scripts only from our own files; GraphiQL sets styles from its scripts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'"
)

_SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "plugin-explorer.umd.js",
    "cms-graphiql.js",
)
_STYLES = ("graphiql.min.css", "plugin-explorer.css", "cms-graphiql.css")

#: Where the assets are served, relative to the GraphQL endpoint's own path.
ASSET_PATH = "graphql/assets"


def render_page() -> HTMLResponse:
    """The GraphiQL page for ``GET /graphql`` (a browser asking for text/html)."""
    styles = "\n".join(
        f'    <link rel="stylesheet" href="{ASSET_PATH}/{name}">' for name in _STYLES
    )
    scripts = "\n".join(f'    <script src="{ASSET_PATH}/{name}"></script>' for name in _SCRIPTS)
    page = f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>cms · GraphiQL</title>
    <link rel="icon" href="data:,">
{styles}
  </head>
  <body>
    <div id="graphiql" data-endpoint="graphql" data-query="{html.escape(READY_QUERY)}">
      Loading GraphiQL…
    </div>
{scripts}
  </body>
</html>
"""
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


def assets_app() -> StaticFiles:
    """The vendored files (and their licences) under ``/graphql/assets``."""
    return StaticFiles(directory=ASSETS)
