"""The read side: hand-written, portable SQL that returns plain rows for the GraphQL layer.

:mod:`.sql` runs statements on the configured database, :mod:`.rows` holds the row types,
:mod:`.visibility` the one rule for who sees which articles, :mod:`.pages` cursors and
paging windows, :mod:`.listing` the keyset-paged, optionally per-parent listings, and
:mod:`.articles`, :mod:`.tags`, :mod:`.contributors`, :mod:`.credits`, :mod:`.search` the
queries themselves.
"""
