"""Nothing in the read layer reads a database row at a position typed into the code, or
counts columns in SQL text: positions come from row declarations (cms.read.columns).

A check over the source: a subscript by a number (or a slice from one) of a name that holds a
row (``row[3]``, ``rows[0][0]``, ``row[1:]``, ``r[2]``), and ``.split(",")``, are refused.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

READ = Path(__file__).resolve().parents[2] / "cms" / "read"
#: Names that hold one database row in the read layer, and lists or maps of rows.
ROW_NAMES = ("r", "row", "record")
ROWS_NAMES = ("rows", "found")


def _is_number(node: ast.expr | None) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def _is_row(node: ast.expr) -> bool:
    """Whether ``node`` is one database row: a row name, or an element of a list of rows."""
    if isinstance(node, ast.Name):
        return node.id in ROW_NAMES
    if isinstance(node, ast.Subscript):
        rows = node.value.value if isinstance(node.value, ast.Await) else node.value
        return isinstance(rows, ast.Call) or (isinstance(rows, ast.Name) and rows.id in ROWS_NAMES)
    return False


def positional_reads(source: str) -> list[str]:
    """Where ``source`` reads a row by a typed position or splits text on commas."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and _is_row(node.value):
            index = node.slice
            if _is_number(index) or (
                isinstance(index, ast.Slice)
                and (_is_number(index.lower) or _is_number(index.upper))
            ):
                found.append((node.lineno, ast.unparse(node)))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "split"
            and [ast.unparse(a) for a in node.args] == ["','"]
        ):
            found.append((node.lineno, ast.unparse(node)))
    return [f"line {line}: {code}" for line, code in sorted(found)]


@pytest.mark.parametrize("path", sorted(READ.glob("*.py")), ids=lambda path: path.name)
def test_no_row_is_read_by_a_typed_position(path: Path) -> None:
    assert positional_reads(path.read_text(encoding="utf-8")) == []


def test_the_check_finds_positional_reads() -> None:
    source = """
def f(row, rows, r):
    a = row[3]
    b = rows[0][0]
    c = r[1:]
    d = (await fetch(sql))[0][0]
    e = columns.split(",")
    f = row[-1]
    ok = row[position]
    ok = found.get(1)
    g = found[pk][11]
    ok = rows[:limit]
    ok = rows[0]
    (ok,) = rows[0]
"""
    assert positional_reads(source) == [
        "line 3: row[3]",
        "line 4: rows[0][0]",
        "line 5: r[1:]",
        "line 6: (await fetch(sql))[0][0]",
        "line 7: columns.split(',')",
        "line 8: row[-1]",
        "line 11: found[pk][11]",
    ]
