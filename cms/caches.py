"""The process-wide caches and their budgets in bytes, set from the settings.

Caches of one service live on its view and schema (responses, persisted queries, parsed and
validated operations). These others are shared by every service in the process and sized here,
when a service is made: kept counts and search rankings (``kept_results_bytes``), rendered
article bodies (``render_cache_bytes``).
"""

from __future__ import annotations

from cms.graphql import resolvers
from cms.read import counts
from cms.settings import Settings


def configure(settings: Settings) -> None:
    """Size the process-wide caches for ``settings`` (what they held is dropped)."""
    counts.configure(settings.kept_results_bytes)
    resolvers.rendered.resize(settings.render_cache_bytes)
