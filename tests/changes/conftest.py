"""The GraphQL test fixtures, for tests that write through the API and read the change log, and
a webhook receiver."""

from tests.graphql.conftest import client, service, sql, tokens, writer
from tests.webhooks.conftest import receiver

__all__ = ["client", "receiver", "service", "sql", "tokens", "writer"]
