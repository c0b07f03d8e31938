"""The built wheel carries everything the app reads at run time (a non-editable install
must work from any directory); `.ci/run` also installs it into a fresh venv and runs it."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.conftest import REPO, build_wheel


def test_wheel_ships_migrations_fixtures_and_the_console_script(tmp_path: Path) -> None:
    wheel = build_wheel(REPO, tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "cms/migrations/0001_initial.py",
        "cms/_bundled/fixtures/seed.json",
        "cms/_bundled/fixtures/000_19c78cea398296cf.txt",
        "cms/_bundled/fixtures/README.md",
        "cms/_bundled/schema/schema.graphql",
        "cms/_bundled/schema/operations/ListPage.graphql",
        "cms/graphiql/assets/graphiql.min.js",
        "cms/graphiql/assets/cms-graphiql.js",
        "cms/graphiql/assets/manifest.json",
        "cms/graphiql/assets/licenses/graphiql.LICENSE.txt",
        "cms/py.typed",
    ):
        assert required in names, f"{required} is missing from {wheel.name}"
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "cms = cms.cli:app" in zipfile.ZipFile(wheel).read(entry_points).decode()
