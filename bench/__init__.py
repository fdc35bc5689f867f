"""Benchmarks of issue 7: ``python -m bench`` (full) or ``python -m bench --quick`` (CI).

Each figure module measures our code against a baseline in the same run and returns a
:class:`bench.core.Figure`; ``bench.__main__`` prints them and writes ``bench/results.md``.
No timing is ever asserted: the test suite only checks that the harness runs on tiny N.
"""
