"""A fast CLI: ``wufei-geo --help`` and the light commands import only what they need (issue 16).

The imports are read from ``python -X importtime`` of a fresh process (the same reading as
bench/fig_cli.py, which also times the start-up against ``python -c pass``)."""
from __future__ import annotations

import pytest

from bench import fig_cli

HEAVY = ("pandas", "geopandas", "numpy", "shapely", "pyproj", "sqlalchemy", "bcrypt", "folium", "openpyxl",
         "streamlit", "alembic", "wufei_geo.store", "wufei_geo.analysis", "wufei_geo.reports", "wufei_geo.io.exports")


def _imported(args: list[str]) -> set[str]:
    return {name.strip() for name, _own, _cum in fig_cli.slowest_imports(args, top=10_000)}


@pytest.mark.parametrize("args", [["--help"], ["users", "--help"], ["export", "--help"], ["capacity", "--help"],
                                  ["serve", "--print-command"]])
def test_light_commands_import_no_heavy_library(args):
    imported = _imported(args)
    assert "wufei_geo.cli" in imported
    assert not sorted(m for m in imported if m.split(".")[0] in HEAVY or m in HEAVY)


def test_the_cli_figure_reports_the_ratio_and_the_slowest_imports():
    fig = fig_cli.figure(fig_cli.measure(repeats=1))
    assert fig.rows[0][0] == "python -c pass"
    assert len(fig.rows) == 4 and fig.goals and fig.raw["imports"]
    assert "slowest imports" in fig.notes[0]
