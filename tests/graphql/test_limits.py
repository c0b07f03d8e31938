"""Limits at their edges (just under: works; just over: a clear error), and the operations that
real clients send staying well under every default limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from cms.app import ContentService
from cms.bundled import operations
from cms.fixtures.service import load_files
from cms.graphql.limits import operation_cost
from cms.graphql.schema import build_schema
from cms.settings import Settings
from tests.conftest import SEED_JSON
from tests.graphql.conftest import GraphQLClient
from tests.graphql.test_schema import example_variables

LIMITS = {
    "max_depth": 6,
    "max_aliases": 3,
    "max_tokens": 40,
    "max_cost": 300,
    "max_field_repeats": 100,
}


@pytest.fixture
async def strict(db_settings: Settings) -> AsyncIterator[GraphQLClient]:
    settings = Settings(database_url=db_settings.database_url, **LIMITS)  # type: ignore[arg-type]
    service = ContentService(settings)
    async with service.lifespan():
        await load_files([SEED_JSON])
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http)


async def code(client: GraphQLClient, query: str, variables: dict[str, Any] | None = None) -> str:
    result = await client.post(query, variables)
    if "errors" not in result:
        return "ok"
    error = result["errors"][0]
    return f"{error['extensions']['code']}: {error['message']}"


async def test_depth(strict: GraphQLClient) -> None:
    # Depth counts nested selections: articles 1, edges 2, node 3, imageCredits 4, article 5...
    six = "{ articles { edges { node { imageCredits { article { imageCredits { text } } } } } } }"
    seven = (
        "{ articles { edges { node { imageCredits { article { imageCredits {"
        " contributors { slug } } } } } } } }"
    )
    assert await code(strict, six) == "ok"
    result = await code(strict, seven)
    assert result.startswith("GRAPHQL_VALIDATION_FAILED") and "depth of 6" in result
    # Introspection is held to the depth limit too, except chains of ofType (a type's wrappers,
    # which the schema bounds): GraphiQL's query nests nine of those.
    deep = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    result = await code(strict, deep)
    assert result.startswith("GRAPHQL_VALIDATION_FAILED") and "depth of 6" in result
    wrappers = (
        '{ __type(name: "Article") { fields { type { ofType { ofType { ofType { ofType {'
        " name } } } } } } } }"
    )
    assert await code(strict, wrappers) == "ok"


async def test_aliases(strict: GraphQLClient) -> None:
    three = "{ a: __typename b: __typename c: __typename }"
    four = "{ a: __typename b: __typename c: __typename d: __typename }"
    assert await code(strict, three) == "ok"
    result = await code(strict, four)
    assert result.startswith("GRAPHQL_VALIDATION_FAILED") and "aliases" in result


async def test_tokens(strict: GraphQLClient) -> None:
    just_under = "{ " + " ".join(["__typename"] * 37) + " }"  # 39 tokens
    over = "{ " + " ".join(["__typename"] * 39) + " }"  # 41 tokens
    assert await code(strict, just_under) == "ok"
    result = await code(strict, over)
    assert result.startswith("GRAPHQL_PARSE_FAILED") and "40 tokens" in result


async def test_cost_uses_page_sizes_and_variables(strict: GraphQLClient) -> None:
    query = "query($n: Int) { articles(first: $n) { edges { node { slug tags { slug } } } } }"
    # cost = 1 (articles) + n * (edges 1 + node 1 + slug 1 + tags 1 + slug 1) = 1 + 5n
    assert await code(strict, query, {"n": 59}) == "ok"  # 296
    result = await code(strict, query, {"n": 60})  # 301
    assert result.startswith("QUERY_TOO_COMPLEX")
    assert "cost is 301" in result and "limit of 300" in result
    # Without first, the default page size (20) counts.
    assert await code(strict, query) == "ok"  # 101


async def test_cost_multiplies_nested_connections(strict: GraphQLClient) -> None:
    nested = (
        "{ tags(first: 10) { edges { node { articles(first: 10) { edges { node { slug } } } } } } }"
    )
    result = await code(strict, nested)
    assert result.startswith("QUERY_TOO_COMPLEX") and "cost is 331" in result


async def test_server_answers_normally_after_refusals(strict: GraphQLClient) -> None:
    for query in ("{ " * 500 + "}" * 500, "{ a: __typename " * 10 + "}", "{" * 10000):
        await strict.post(query)
    assert await code(strict, "{ articles { totalCount } }") == "ok"


#: GraphiQL 3.8's own query: graphql-js 16's getIntrospectionQuery as GraphiQL calls it (nine
#: levels of ofType), copied from cms/graphiql/assets/graphiql.min.js.
_TYPE_REF = "kind name " + "ofType { kind name " * 9 + "}" * 9
GRAPHIQL_INTROSPECTION = f"""
query IntrospectionQuery {{
  __schema {{
    description queryType {{ name }} mutationType {{ name }} subscriptionType {{ name }}
    types {{ ...FullType }}
    directives {{
      name description isRepeatable locations
      args(includeDeprecated: true) {{ ...InputValue }}
    }}
  }}
}}
fragment FullType on __Type {{
  kind name description specifiedByURL
  fields(includeDeprecated: true) {{
    name description args(includeDeprecated: true) {{ ...InputValue }}
    type {{ ...TypeRef }} isDeprecated deprecationReason
  }}
  inputFields(includeDeprecated: true) {{ ...InputValue }}
  interfaces {{ ...TypeRef }}
  enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }}
  possibleTypes {{ ...TypeRef }}
}}
fragment InputValue on __InputValue {{
  name description type {{ ...TypeRef }} defaultValue isDeprecated deprecationReason
}}
fragment TypeRef on __Type {{ {_TYPE_REF} }}
"""

CLIENT_INTROSPECTION = {
    "graphiql": GRAPHIQL_INTROSPECTION,
    "graphql-core": get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    ),
    "apollo/gql": get_introspection_query(descriptions=True),
    "minimal": get_introspection_query(descriptions=False),
}


@pytest.mark.parametrize("name", sorted(CLIENT_INTROSPECTION))
async def test_introspection_queries_pass_the_default_limits(
    seeded: GraphQLClient, name: str
) -> None:
    result = await seeded.post(CLIENT_INTROSPECTION[name])
    assert "errors" not in result, result["errors"]
    assert result["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize("name", sorted(operations()))
def test_example_operations_are_well_under_the_default_cost(name: str) -> None:
    from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

    settings = Settings()
    text = operations()[name]
    document = parse(text)
    (operation,) = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    cost = operation_cost(
        build_schema(settings)._schema, operation, fragments, example_variables(text), 20
    )
    assert 0 < cost <= settings.max_cost // 10, cost


async def test_introspection_can_be_turned_off(db_settings: Settings) -> None:
    service = ContentService(Settings(database_url=db_settings.database_url, introspection=False))
    async with service.lifespan():
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            client = GraphQLClient(http)
            result = await code(client, "{ __schema { queryType { name } } }")
            assert result.startswith("GRAPHQL_VALIDATION_FAILED") and "introspection" in result
            assert await code(client, "{ articles { totalCount } }") == "ok"


@pytest.mark.parametrize("name", sorted(CLIENT_INTROSPECTION))
def test_client_introspection_leaves_room_under_the_introspection_limit(name: str) -> None:
    """The introspection queries clients send answer with well under the limit, so the schema
    can grow (a failure here means: raise CMS_MAX_INTROSPECTION_COST's default with it)."""
    from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

    settings = Settings()
    document = parse(CLIENT_INTROSPECTION[name])
    (operation,) = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    cost = operation_cost(
        build_schema(settings)._schema,
        operation,
        fragments,
        {},
        20,
        settings.max_introspection_cost,
    )
    assert 1_000 < cost <= settings.max_introspection_cost * 0.6, cost
