"""The write side: typed commands applied to the stored state by one core.

:mod:`.commands` holds the commands the edges build, :mod:`.core` what every command does to
the state (next state, bookkeeping, columns, revision), :mod:`.names` turns the tag and
contributor names an input gives into rows, :mod:`.stored` reads the stored state back,
:mod:`.relations` writes tag links and credits, :mod:`.articles` and :mod:`.tags` apply one
command per transaction (the mutations); :mod:`cms.fixtures.apply` applies many (a load).
"""
