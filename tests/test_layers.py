"""The import graph: the layers declared in pyproject.toml's ``[tool.importlinter]`` hold, and no
module or package of cms imports itself through others.

``lint-imports`` checks the contracts (CI runs it too); the cycle finder here reads the same graph
with grimp, the library import-linter is built on, and names every cycle it finds, between
modules and between the subpackages and modules of each package. Both count imports made inside
functions and under ``if TYPE_CHECKING:``: a cycle a type checker or a lazy import hides is still
one module that cannot be understood, tested or moved without the other.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

import grimp
import pytest

from tests.conftest import REPO

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def import_graph(package: str) -> grimp.ImportGraph:
    """Every import between the modules of ``package``, wherever in a module it is made."""
    return grimp.build_graph(package, exclude_type_checking_imports=False, cache_dir=None)


def cycles(edges: Mapping[str, Collection[str]]) -> list[list[str]]:
    """The cycles of a directed graph, as its strongly connected components of more than one
    node (or one that points at itself), each sorted, in order (Tarjan's algorithm, iterative:
    the module graph is deeper than the recursion limit likes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> Iterator[str]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return iter(sorted(edges.get(node, ())))

    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, visit(root))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    work.append((successor, visit(successor)))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    if len(component) > 1 or node in edges.get(node, ()):
                        found.append(sorted(component))
    return sorted(found)


def module_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    return cycles({m: graph.find_modules_directly_imported_by(m) for m in graph.modules})


def package_cycles(graph: grimp.ImportGraph) -> dict[str, list[list[str]]]:
    """For every package, the cycles among its children, each child standing for itself and
    everything under it: ``write.articles -> fixtures.snapshot`` with ``fixtures.apply ->
    write.relations`` is a cycle between the packages ``write`` and ``fixtures`` even though
    no module imports itself."""
    found: dict[str, list[list[str]]] = {}
    for package in sorted(graph.modules):
        children = graph.find_children(package)
        if len(children) < 2:
            continue
        edges: dict[str, set[str]] = {child: set() for child in children}
        for child in children:
            for module in {child} | graph.find_descendants(child):
                for imported in graph.find_modules_directly_imported_by(module):
                    target = _child_holding(package, imported)
                    if target is not None and target != child:
                        edges[child].add(target)
        if package_found := cycles(edges):
            found[package] = package_found
    return found


def _child_holding(package: str, module: str) -> str | None:
    if not module.startswith(package + "."):
        return None
    return package + "." + module[len(package) + 1 :].split(".")[0]


def _describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    """The imports that close a cycle, for the failure message."""
    lines = []
    for importer in cycle:
        for imported in cycle:
            importers = {importer} | graph.find_descendants(importer)
            importeds = {imported} | graph.find_descendants(imported)
            for a in sorted(importers):
                for b in sorted(graph.find_modules_directly_imported_by(a) & importeds):
                    details = graph.get_import_details(importer=a, imported=b)
                    at = ", ".join(f"l.{d['line_number']}" for d in details)
                    lines.append(f"  {a} -> {b} ({at})")
    return "\n".join([" <-> ".join(cycle), *lines])


# --- cms ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cms_graph() -> grimp.ImportGraph:
    return import_graph("cms")


def test_no_module_imports_itself_through_others(cms_graph: grimp.ImportGraph) -> None:
    found = module_cycles(cms_graph)
    assert not found, "import cycles between modules:\n" + "\n".join(
        _describe(cms_graph, cycle) for cycle in found
    )


def test_no_cycle_between_the_parts_of_any_package(cms_graph: grimp.ImportGraph) -> None:
    found = package_cycles(cms_graph)
    assert not found, "import cycles between the parts of a package:\n" + "\n".join(
        f"in {package}: {_describe(cms_graph, cycle)}"
        for package, package_found in found.items()
        for cycle in package_found
    )


def _layer_names() -> set[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = (
        contract["layers"]
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract["type"] == "layers"
    )
    return {name.strip("() ") for layer in layers for name in re.split(r"[|:]", layer)}


def test_every_part_of_cms_has_a_layer(cms_graph: grimp.ImportGraph) -> None:
    """A module that is in no layer is in no contract: place each new one."""
    unplaced = cms_graph.find_children("cms") - _layer_names()
    assert not unplaced, f"add {sorted(unplaced)} to a layer in pyproject.toml"


def _lint_imports(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Contracts: (\d+) kept, 0 broken", result.stdout)


# --- the checks themselves fail on a cycle --------------------------------------------------


def test_cycles_are_found_and_named() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": set(), "f": {"f"}}
    assert cycles(edges) == [["a", "b", "c"], ["f"]]
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []
    # Deeper than the recursion limit.
    chain = {str(n): {str(n + 1)} for n in range(5000)} | {"5000": {"0"}}
    (ring,) = cycles(chain)
    assert len(ring) == 5001


def test_a_cycle_between_packages_without_one_between_modules_is_found() -> None:
    graph = grimp.ImportGraph()
    for module in (
        "pkg",
        "pkg.write",
        "pkg.write.articles",
        "pkg.write.relations",
        "pkg.fixtures",
        "pkg.fixtures.apply",
        "pkg.fixtures.snapshot",
    ):
        graph.add_module(module)
    graph.add_import(importer="pkg.write.articles", imported="pkg.fixtures.snapshot")
    graph.add_import(importer="pkg.fixtures.apply", imported="pkg.write.relations")
    assert module_cycles(graph) == []
    assert package_cycles(graph) == {"pkg": [["pkg.fixtures", "pkg.write"]]}


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package ``layers_probe`` on disk whose modules ``view`` and ``direct`` import each
    other, one at run time inside a function, the other only under TYPE_CHECKING."""
    package = tmp_path / "layers_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "view.py").write_text(
        textwrap.dedent(
            """\
            def handle() -> None:
                from layers_probe import direct

                direct.answer()
            """
        )
    )
    (package / "direct.py").write_text(
        textwrap.dedent(
            """\
            from typing import TYPE_CHECKING

            if TYPE_CHECKING:
                from layers_probe.view import handle


            def answer() -> None: ...
            """
        )
    )
    (tmp_path / ".importlinter").write_text(
        textwrap.dedent(
            """\
            [importlinter]
            root_package = layers_probe
            exclude_type_checking_imports = False

            [importlinter:contract:acyclic]
            name = no cycles
            type = acyclic_siblings
            ancestors = layers_probe
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_lazy_and_type_checking_imports_make_a_cycle(probe: Path) -> None:
    graph = import_graph("layers_probe")
    assert module_cycles(graph) == [["layers_probe.direct", "layers_probe.view"]]
    assert package_cycles(graph) == {"layers_probe": [["layers_probe.direct", "layers_probe.view"]]}


def test_lint_imports_fails_on_a_cycle(probe: Path) -> None:
    result = _lint_imports(cwd=probe)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Contracts: 0 kept, 1 broken" in result.stdout
