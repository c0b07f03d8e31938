"""The GraphQL test fixtures (an app, a writer) for tests that compare mutations with loads."""

from tests.graphql.conftest import client, service, sql, tokens, writer

__all__ = ["client", "service", "sql", "tokens", "writer"]
