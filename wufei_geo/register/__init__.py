"""The register (issue 23): every 附表1 indicator and every facility target as one kind of
entry — a measure, a goal, a deadline, an owner — and its assessment at a date.

Design: ``docs/design/register.md``.  Modules: ``entries`` (read the two files into
:class:`~wufei_geo.register.entries.Entry`), ``readings`` (the notes of inconsistent rows,
from ``facilities/NOTES.md``), ``rules`` (how a target compares a value), ``measures`` (how a
value is obtained), ``permissions`` (who may report which entry), ``values`` (reported values
and judgements in the store), ``history`` (the sites as they were at a date), ``assess``.
Nothing is imported here: a caller imports the module it needs.
"""
