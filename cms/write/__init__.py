"""The write side: creating and changing content in transactions, for the CLI and mutations.

:mod:`.relations` writes an article's tag links and credits, :mod:`.names` turns the tag and
contributor names an input gives into rows, :mod:`.revisions` keeps earlier states,
:mod:`.articles` and :mod:`.tags` hold the operations the mutations call.
"""
