"""Relay global IDs as text: ``base64("Type:pk")``. The GraphQL layer (:mod:`cms.graphql.ids`)
and the change log's cache keys (:mod:`cms.changes.keys`) both write them from here."""

from __future__ import annotations

import base64


def global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()
