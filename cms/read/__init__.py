"""The read side: hand-written, portable SQL that returns plain rows for the GraphQL layer.

:mod:`.sql` runs statements on the configured database, :mod:`.rows` holds the row types and
the declarations of their columns (:mod:`.columns` turns a declaration into a select list and
the constructor of its rows, so nothing reads a row by a typed position),
:mod:`.visibility` the one rule for who sees which articles, :mod:`.pages` cursors and
paging windows, :mod:`.listing` the keyset-paged, optionally per-parent listings, and
:mod:`.articles`, :mod:`.tags`, :mod:`.contributors`, :mod:`.credits`, :mod:`.search` the
queries themselves.
"""
