"""The built wheel carries everything the app reads at run time (a non-editable install
must work from any directory); `.ci/run` also installs it into a fresh venv and runs it.

pyproject.toml declares every library the code imports, bounds those whose internals it uses
below their next release that may change them, and requirements/*.lock pin what it asks for,
each file with its hash (`requirements/update` makes them; CI and the Dockerfile install them).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from tests.conftest import REPO, build_wheel

REQUIREMENTS = REPO / "requirements"
FIRST_PARTY = {"cms", "tests", "bench"}


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


# --- what pyproject.toml declares --------------------------------------------------------


@cache
def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _requirements(*extras: str, base: bool = True) -> list[Requirement]:
    project = _pyproject()["project"]
    lines = list(project["dependencies"]) if base else []
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def _names(requirements: list[Requirement]) -> set[NormalizedName]:
    return {canonicalize_name(r.name) for r in requirements}


def _imported_top_level_modules(directory: Path) -> dict[str, set[str]]:
    """Third-party modules imported anywhere under ``directory`` (in functions and under
    TYPE_CHECKING too) -> the files that import them."""
    found: dict[str, set[str]] = {}
    for path in sorted(directory.rglob("*.py")):
        if "node_modules" in path.parts:  # bench/postgraphile's npm install, not ours
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                    found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


@pytest.mark.parametrize(
    ("directory", "extras", "base"),
    [
        # The postgres extra: cms names asyncpg only when a postgres:// URL asks for it.
        ("cms", ("postgres",), True),
        ("tests", ("postgres", "test"), True),
        ("bench", ("postgres", "test"), True),
    ],
)
def test_every_imported_library_is_declared(
    directory: str, extras: tuple[str, ...], base: bool
) -> None:
    declared = _names(_requirements(*extras, base=base))
    distributions = packages_distributions()
    imported = _imported_top_level_modules(REPO / directory)
    assert imported  # the walk found the imports
    undeclared = {}
    for module, files in imported.items():
        providers = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not providers & declared:
            undeclared[module] = (sorted(providers), sorted(files)[:3])
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


#: Libraries whose internals cms uses (pyproject.toml says which): a minor release may change
#: them, so each is bounded below its next minor release (.ci/upgrade-check tries the newest
#: one the bound allows). The others that have an upper bound stop below their next major.
BELOW_NEXT_MINOR = {"strawberry-graphql", "graphql-core", "cross-web", "tortoise-orm", "aiosqlite"}
BELOW_NEXT_MAJOR = {"starlette", "prometheus-client"}


def test_libraries_whose_internals_cms_uses_are_bounded() -> None:
    requirements = {canonicalize_name(r.name): r for r in _requirements()}
    pins = _locked("runtime.lock")
    for name in sorted(BELOW_NEXT_MINOR | BELOW_NEXT_MAJOR):
        specifier = requirements[canonicalize_name(name)].specifier
        locked = pins[canonicalize_name(name)].version
        major, minor = locked.release[:2]
        if name in BELOW_NEXT_MINOR:
            following = Version(f"{major}.{minor + 1}")
        else:
            following = Version(f"{major + 1}")
        assert specifier.contains(locked), f"{name} {locked} is locked, outside {specifier}"
        assert not specifier.contains(following, prereleases=True), (
            f"{name}{specifier} lets {following} in"
        )


# --- the locks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    version: Version
    hashes: tuple[str, ...]


PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)"
    r"(?: ; [^\\\n]+?)? \\\n"
    r"(?P<hashes>(?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)",
    re.M,
)


@cache
def _locked(lock: str) -> dict[NormalizedName, Pin]:
    text = (REQUIREMENTS / lock).read_text(encoding="utf-8")
    pins = {
        canonicalize_name(m["name"]): Pin(
            Version(m["version"]),
            tuple(re.findall(r"sha256:([0-9a-f]{64})", m["hashes"])),
        )
        for m in PIN.finditer(text)
    }
    requirement_lines = [
        line
        for line in text.splitlines()
        if line and not line.startswith((" ", "#", "-"))  # not a hash, comment or option
    ]
    assert len(pins) == len(requirement_lines), f"{lock}: a requirement without a hash"
    return pins


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("runtime.lock", lambda: _requirements("postgres")),
        ("test.lock", lambda: _requirements("postgres", "test")),
        ("build.lock", lambda: [Requirement(r) for r in _pyproject()["build-system"]["requires"]]),
    ],
)
def test_the_lock_pins_what_pyproject_asks_for(lock: str, requirements: Any) -> None:
    """After pyproject.toml changes, `requirements/update` brings the locks along."""
    text = (REQUIREMENTS / lock).read_text(encoding="utf-8")
    assert text.startswith("# This file was autogenerated by uv via the following command:\n")
    assert "#    requirements/update\n" in text
    pins = _locked(lock)
    for requirement in requirements():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        pin = pins.get(canonicalize_name(requirement.name))
        assert pin, f"{lock} does not pin {requirement.name}: run requirements/update"
        assert requirement.specifier.contains(pin.version, prereleases=True), (
            f"{lock} pins {requirement.name}=={pin.version}, outside {requirement.specifier}:"
            " run requirements/update"
        )


def test_ci_tests_the_versions_the_image_ships() -> None:
    runtime, test = _locked("runtime.lock"), _locked("test.lock")
    assert {name: test.get(name) for name in runtime} == runtime
