"""The GraphQL test fixtures, for tests that write through the API and read the change log."""

from tests.graphql.conftest import client, service, sql, tokens, writer

__all__ = ["client", "service", "sql", "tokens", "writer"]
