"""Row declarations: a row type's columns, said once, give both the select list and the row.

A :class:`Table` names a row dataclass's stored table and alias and, per attribute, the column
it reads and how a stored value becomes the attribute's value. :meth:`Table.select` turns that
into a :class:`Selection`: the SQL text of the select list, where each name lands in it, and
the function that builds the row from a database row. Queries never write column lists by
hand or count commas, and nothing reads a row by a position someone typed: positions come
from the declaration (``selection.at("article_id")``, ``selection.width``), so the select list
and the constructor cannot drift apart.

The constructor is generated once per selection as plain Python (``ArticleRow(r[0], r[1],
_status[r[5]], ...)``), the way :mod:`dataclasses` writes ``__init__``: per row it costs what
the hand-written one did, with no loop over the declaration and no dict per row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cms.read.sql import Row

R = TypeVar("R")

#: How a stored value becomes the attribute's: a function of it, or a mapping looked up by it
#: (a dict lookup costs about a tenth of calling an enum class).
Convert = Callable[[Any], Any] | Mapping[Any, Any]


@dataclass(frozen=True)
class Column:
    """One attribute of a row type and the stored column it is read from."""

    attribute: str
    #: The column's name in its table (the select list qualifies it with the table's alias).
    column: str
    convert: Convert | None = None
    #: Whether a selection may leave it out (the attribute is then None): for columns too
    #: costly to carry where they are rarely asked for, like an article's body in a list.
    omissible: bool = False


class SelectList:
    """Named expressions in select-list order: the SQL text, and where each name lands."""

    __slots__ = ("_positions", "names", "sql", "width")

    def __init__(self, names: Sequence[str], expressions: Sequence[str]) -> None:
        if len(names) != len(expressions):
            raise ValueError("one expression per name")
        if len(set(names)) != len(names):
            raise ValueError(f"names selected twice in {list(names)}")
        self.names: tuple[str, ...] = tuple(names)
        self.sql: str = ", ".join(expressions)
        #: How many columns it selects: the position of whatever a query selects after it.
        self.width: int = len(names)
        self._positions = {name: position for position, name in enumerate(names)}

    @classmethod
    def labelled(cls, expressions: Sequence[tuple[str, str]]) -> SelectList:
        """``expression AS name`` for each (name, expression): for computed values."""
        return cls(
            [name for name, _ in expressions],
            [f"{expression} AS {name}" for name, expression in expressions],
        )

    def at(self, name: str) -> int:
        """The position of ``name`` in a row read with this select list."""
        try:
            return self._positions[name]
        except KeyError:
            raise KeyError(f"{name!r} is not selected (selected: {self.names})") from None


class Selection(SelectList, Generic[R]):
    """A select list holding a row type's columns (some maybe omitted), between labelled
    extra expressions, and :attr:`make`, which builds the row from a database row read with
    it."""

    __slots__ = ("make",)

    def __init__(
        self, names: Sequence[str], expressions: Sequence[str], make: Callable[[Row], R]
    ) -> None:
        super().__init__(names, expressions)
        self.make: Callable[[Row], R] = make


class Table(Generic[R]):
    """A row type's declaration: its table, the alias queries give the table, and a
    :class:`Column` per attribute of the row dataclass (every attribute, each once)."""

    def __init__(self, row_type: type[R], name: str, alias: str, columns: Sequence[Column]) -> None:
        found = dataclasses.fields(row_type)  # type: ignore[arg-type]
        if not all(field.init for field in found):
            raise ValueError(f"{row_type.__name__}'s attributes must all be __init__ arguments")
        fields = [field.name for field in found]
        declared = [column.attribute for column in columns]
        if sorted(declared) != sorted(fields):
            missing = sorted(set(fields) - set(declared))
            extra = sorted(set(declared) - set(fields))
            twice = sorted({a for a in declared if declared.count(a) > 1})
            raise ValueError(
                f"{row_type.__name__}'s columns must name each attribute once"
                f" (missing {missing}, not attributes {extra}, twice {twice})"
            )
        self.row_type = row_type
        self.name = name
        self.alias = alias
        self.columns: tuple[Column, ...] = tuple(columns)
        self._fields = fields

    def pick(self, *attributes: str) -> SelectList:
        """Just these attributes' columns, as stored (no conversion, no row): for a query that
        wants a value or two, read with ``row[select_list.at(attribute)]``."""
        by_attribute = {column.attribute: column for column in self.columns}
        unknown = [attribute for attribute in attributes if attribute not in by_attribute]
        if unknown:
            raise ValueError(f"{self.row_type.__name__} has no attributes {unknown}")
        return SelectList(
            attributes, [f"{self.alias}.{by_attribute[a].column}" for a in attributes]
        )

    def select(
        self,
        *,
        omit: Collection[str] = (),
        before: Sequence[tuple[str, str]] = (),
        after: Sequence[tuple[str, str]] = (),
    ) -> Selection[R]:
        """The table's columns but ``omit``'s (left out of the SQL; None in the row), after the
        ``before`` and before the ``after`` extras, each a (name, SQL expression) pair selected
        as ``expression AS name``. Made once per query shape (at import), not per request."""
        by_attribute = {column.attribute: column for column in self.columns}
        for attribute in omit:
            column = by_attribute.get(attribute)
            if column is None or not column.omissible:
                raise ValueError(f"{self.row_type.__name__}.{attribute} cannot be omitted")
        names = [name for name, _ in before]
        expressions = [f"{expression} AS {name}" for name, expression in before]
        positions: dict[str, int] = {}
        for column in self.columns:
            if column.attribute not in omit:
                positions[column.attribute] = len(names)
                names.append(column.attribute)
                expressions.append(f"{self.alias}.{column.column}")
        names.extend(name for name, _ in after)
        expressions.extend(f"{expression} AS {name}" for name, expression in after)
        make = _constructor(
            self.row_type,
            [(positions.get(field), by_attribute[field].convert) for field in self._fields],
        )
        return Selection(names, expressions, make)


def _constructor(
    row_type: type[R], sources: Sequence[tuple[int | None, Convert | None]]
) -> Callable[[Row], R]:
    """``lambda r: row_type(<argument per field, in field order>)``, written out once.

    Each argument is ``r[position]``, passed through its conversion, or ``None`` for a field
    not selected. Only positions and generated names go into the source; the row type and the
    conversions are bound as closure variables."""
    arguments: list[str] = []
    bound: dict[str, Any] = {"row_type": row_type}
    for index, (position, convert) in enumerate(sources):
        if position is None:
            arguments.append("None")
        elif convert is None:
            arguments.append(f"r[{position}]")
        else:
            bound[f"c{index}"] = convert
            call = "[{}]" if isinstance(convert, Mapping) else "({})"
            arguments.append(f"c{index}" + call.format(f"r[{position}]"))
    source = (
        f"def factory({', '.join(bound)}):\n"
        "    def make(r):\n"
        f"        return row_type({', '.join(arguments)})\n"
        "    return make\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<{row_type.__name__} constructor>", "exec"), namespace)
    make: Callable[[Row], R] = namespace["factory"](**bound)
    return make
