"""The committed SDL is what the code serves, and the example operations run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cms.bundled import operations
from cms.cli import app
from cms.graphql.schema import sdl
from tests.conftest import REPO
from tests.graphql.conftest import GraphQLClient

COMMITTED = REPO / "schema" / "schema.graphql"


def test_committed_schema_is_what_the_code_serves() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == sdl(), (
        "schema/schema.graphql is stale: run `cms schema export --output schema/schema.graphql`"
    )


def test_schema_export_command(tmp_path: Path) -> None:
    out = tmp_path / "schema.graphql"
    result = CliRunner().invoke(app, ["schema", "export", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == sdl()


def example_variables(text: str) -> dict[str, object]:
    for line in text.splitlines():
        if line.startswith("# variables:"):
            variables: dict[str, object] = json.loads(line.removeprefix("# variables:"))
            return variables
    raise AssertionError("an example operation must state its example variables")


def test_every_example_operation_is_there() -> None:
    assert set(operations()) == {"ArticlePage", "ListPage", "TagPage", "Search"}


@pytest.mark.parametrize("name", sorted(operations()))
async def test_example_operation_runs_on_the_seed(seeded: GraphQLClient, name: str) -> None:
    text = operations()[name]
    data = await seeded.data(text, example_variables(text))
    payload = json.dumps(data)
    assert "Peruvian President Dina Boluarte" in payload or "peruvian-president" in payload, data
