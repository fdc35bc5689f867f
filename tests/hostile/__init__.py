"""Hostile input, faults and intruders (issue 8): the corpus, the tests and the reliability report.

Every test here records what it tried in ``tests/_artifacts/hostile-results.jsonl`` (see
:mod:`.results`); ``python -m tests.hostile.report`` turns those records into
``docs/reliability.md``.
"""
