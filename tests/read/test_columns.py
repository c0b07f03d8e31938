"""Row declarations (cms.read.columns): the select list and the row constructor come from one
declaration, so they agree, and a column added to it shows up in both.

Run against an in-memory SQLite database of their own (plain sqlite3), so these tests need no
fixture and run the same on the PostgreSQL pass.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import pytest

from cms.read.columns import Column, SelectList, Table


class Colour(StrEnum):
    RED = "RED"
    BLUE = "BLUE"


@dataclass(slots=True)
class Thing:
    pk: int
    name: str
    colour: Colour
    size: int
    note: str | None


@dataclass(slots=True)
class WiderThing:
    pk: int
    name: str
    colour: Colour
    size: int
    note: str | None
    weight: int


COLOURS = {colour.value: colour for colour in Colour}
THING_COLUMNS = [
    Column("pk", "id"),
    Column("name", "name"),
    Column("colour", "colour", COLOURS),
    Column("size", "size", lambda stored: stored * 10),
    Column("note", "note", omissible=True),
]


@pytest.fixture
def things() -> Iterator[sqlite3.Connection]:
    """A `thing` table whose columns are stored in another order than the row's attributes."""
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    connection.execute(
        "CREATE TABLE thing (note TEXT, weight INTEGER, size INTEGER, colour TEXT,"
        " name TEXT, id INTEGER PRIMARY KEY)"
    )
    connection.execute(
        "INSERT INTO thing (id, name, colour, size, note, weight) VALUES (7, 'kite', 'BLUE', 3,"
        " 'fragile', 42)"
    )
    connection.execute("CREATE TABLE owner (thing_id INTEGER, owner TEXT)")
    connection.execute("INSERT INTO owner VALUES (7, 'ann')")
    yield connection
    connection.close()


def test_the_select_list_and_the_row_agree(things: sqlite3.Connection) -> None:
    table = Table(Thing, "thing", "x", THING_COLUMNS)
    selection = table.select()
    assert selection.sql == "x.id, x.name, x.colour, x.size, x.note"
    assert selection.width == 5
    (row,) = things.execute(f"SELECT {selection.sql} FROM thing x").fetchall()
    assert selection.make(row) == Thing(7, "kite", Colour.BLUE, 30, "fragile")
    assert selection.make(row).colour is Colour.BLUE  # the mapping's member, not the text


def test_the_declaration_order_is_not_the_attribute_order(things: sqlite3.Connection) -> None:
    """Attributes are matched by name: a declaration may list them in any order."""
    table = Table(Thing, "thing", "x", list(reversed(THING_COLUMNS)))
    selection = table.select()
    assert selection.sql == "x.note, x.size, x.colour, x.name, x.id"
    (row,) = things.execute(f"SELECT {selection.sql} FROM thing x").fetchall()
    assert selection.make(row) == Thing(7, "kite", Colour.BLUE, 30, "fragile")
    assert selection.at("pk") == 4


def test_a_column_added_to_the_declaration_shows_up_in_both(things: sqlite3.Connection) -> None:
    table = Table(WiderThing, "thing", "x", [*THING_COLUMNS, Column("weight", "weight")])
    selection = table.select()
    assert selection.sql.endswith(", x.weight")
    (row,) = things.execute(f"SELECT {selection.sql} FROM thing x").fetchall()
    assert selection.make(row) == WiderThing(7, "kite", Colour.BLUE, 30, "fragile", 42)


def test_every_attribute_is_declared_once() -> None:
    with pytest.raises(ValueError, match=r"missing \['weight'\]"):
        Table(WiderThing, "thing", "x", THING_COLUMNS)
    with pytest.raises(ValueError, match=r"not attributes \['weight'\]"):
        Table(Thing, "thing", "x", [*THING_COLUMNS, Column("weight", "weight")])
    with pytest.raises(ValueError, match=r"twice \['name'\]"):
        Table(Thing, "thing", "x", [*THING_COLUMNS, Column("name", "name")])


def test_every_attribute_is_a_constructor_argument() -> None:
    """The constructor passes every attribute, in order: one it cannot pass is refused."""

    @dataclass
    class Derived:
        pk: int
        label: str = field(init=False, default="")

    with pytest.raises(ValueError, match="must all be __init__ arguments"):
        Table(Derived, "thing", "x", [Column("pk", "id"), Column("label", "name")])


def test_an_omitted_column_is_not_selected_and_is_none(things: sqlite3.Connection) -> None:
    selection = Table(Thing, "thing", "x", THING_COLUMNS).select(omit={"note"})
    assert selection.sql == "x.id, x.name, x.colour, x.size"
    assert selection.width == 4
    (row,) = things.execute(f"SELECT {selection.sql} FROM thing x").fetchall()
    assert selection.make(row) == Thing(7, "kite", Colour.BLUE, 30, None)
    with pytest.raises(KeyError, match="'note' is not selected"):
        selection.at("note")


def test_only_omissible_columns_may_be_omitted() -> None:
    table = Table(Thing, "thing", "x", THING_COLUMNS)
    with pytest.raises(ValueError, match=r"Thing\.name cannot be omitted"):
        table.select(omit={"name"})
    with pytest.raises(ValueError, match=r"Thing\.weight cannot be omitted"):
        table.select(omit={"weight"})


def test_extras_are_labelled_and_found_by_name(things: sqlite3.Connection) -> None:
    """Extra expressions before and after the row's columns: the row is still made from its
    own columns, and each extra is read at the position its name gives."""
    selection = Table(Thing, "thing", "x", THING_COLUMNS).select(
        omit={"note"},
        before=[("owner", "o.owner")],
        after=[("double_size", "x.size * 2"), ("shout", "upper(x.name)")],
    )
    assert selection.sql == (
        "o.owner AS owner, x.id, x.name, x.colour, x.size,"
        " x.size * 2 AS double_size, upper(x.name) AS shout"
    )
    (row,) = things.execute(
        f"SELECT {selection.sql} FROM thing x JOIN owner o ON o.thing_id = x.id"
    ).fetchall()
    assert selection.make(row) == Thing(7, "kite", Colour.BLUE, 30, None)
    assert row[selection.at("owner")] == "ann"
    assert row[selection.at("double_size")] == 6
    assert row[selection.at("shout")] == "KITE"
    assert selection.width == 7


def test_a_name_selected_twice_is_refused() -> None:
    table = Table(Thing, "thing", "x", THING_COLUMNS)
    with pytest.raises(ValueError, match="selected twice"):
        table.select(before=[("name", "o.owner")])


def test_pick_reads_stored_values_by_attribute(things: sqlite3.Connection) -> None:
    picked = Table(Thing, "thing", "x", THING_COLUMNS).pick("size", "pk")
    assert picked.sql == "x.size, x.id"
    (row,) = things.execute(f"SELECT {picked.sql} FROM thing x").fetchall()
    assert (row[picked.at("pk")], row[picked.at("size")]) == (7, 3)  # as stored: no conversion
    with pytest.raises(ValueError, match=r"no attributes \['weight'\]"):
        Table(Thing, "thing", "x", THING_COLUMNS).pick("weight")


def test_labelled_select_list(things: sqlite3.Connection) -> None:
    counted = SelectList.labelled([("colour", "colour"), ("total", "COUNT(*)")])
    assert counted.sql == "colour AS colour, COUNT(*) AS total"
    (row,) = things.execute(f"SELECT {counted.sql} FROM thing GROUP BY colour").fetchall()
    assert (row[counted.at("colour")], row[counted.at("total")]) == ("BLUE", 1)
