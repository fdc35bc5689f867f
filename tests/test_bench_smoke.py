"""The benchmark harness runs on tiny N and produces the keys its report needs (no timing asserted)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from bench import core, fig_assign, fig_map, synthetic
from wufei_geo import model


def test_synthetic_sites_are_inside_the_district_and_follow_the_schema():
    sites = synthetic.synthetic_sites(60, seed=3)
    assert len(sites) == 60
    for col in (*model.SITE_COLUMNS, *synthetic.LOCATED_COLUMNS, "geometry"):
        assert col in sites.columns
    assert set(sites["category"]) <= set(model.CATEGORIES)
    assert set(sites["status"]) <= set(model.STATUSES)
    placed = sites[sites["display_lon"].notna()]
    district = synthetic.district_polygon()
    assert shapely.contains_xy(district, placed["display_lon"], placed["display_lat"]).all()
    # unknown precision means no marker: no coordinates are made up for it
    unknown = sites[sites["display_precision"] == "unknown"]
    assert unknown["display_lon"].isna().all() and unknown.geometry.isna().all()
    assert sites["name_zh"].str.len().between(8, 30).all()


def test_synthetic_sites_are_deterministic():
    a = synthetic.synthetic_sites(30, seed=5)
    b = synthetic.synthetic_sites(30, seed=5)
    assert a["name_zh"].tolist() == b["name_zh"].tolist()
    np.testing.assert_array_equal(a["display_lon"].to_numpy(), b["display_lon"].to_numpy())


def test_seed_records_round_trip_components():
    recs = synthetic.seed_records(synthetic.synthetic_sites(5))
    assert len(recs) == 5 and "version" not in recs[0]
    assert all(isinstance(r["capacity_components"], list) for r in recs)


def test_essential_bytes_counts_compact_utf8_json():
    sites = synthetic.synthetic_sites(1)
    row = sites.iloc[0]
    n = fig_map.essential_bytes(sites)
    if pd.isna(row["display_lon"]):
        assert n == 0
    else:
        # the name alone is 3 bytes per CJK character
        assert n > 3 * len(row["name_zh"])


def test_map_figures_on_tiny_n():
    raw = fig_map.measure([5, 12], repeats=1, naive_max=12)
    build = fig_map.figure_build(raw)
    per_site = fig_map.figure_bytes(raw)
    assert set(raw["sizes"]) == {5, 12}
    for r in raw["sizes"].values():
        assert {"n", "markers", "essential", "naive_s", "naive_bytes"} <= set(r)
        if raw["ours_error"] is None:
            assert {"ours_s", "ours_bytes"} <= set(r)
    assert len(build.rows) == 2 and len(per_site.rows) == 2
    md = core.render_markdown([build, per_site], core.machine_info(), mode="test", command="pytest")
    assert "## Machine" in md and "1. Map build time" in md


def test_naive_baseline_escapes_names():
    sites = synthetic.synthetic_sites(3)
    sites.loc[sites.index[0], "name_zh"] = "<script>x</script>"
    sites.loc[sites.index[0], ["display_lon", "display_lat"]] = [121.1, 31.1]
    html = fig_map.naive_map(sites).get_root().render()
    assert "<script>x</script>" not in html


def test_assign_figure_on_tiny_n():
    pytest.importorskip("wufei_geo.geodata")
    raw = fig_assign.measure(300, 50, repeats=1)
    assert raw["disagreements"] == 0
    fig = fig_assign.figure(raw)
    assert {"vectorised_s", "loop_scaled_s", "loop_sample"} <= set(raw)
    assert fig.goals and fig.goals[0].met is None  # the goal only counts at 1,000,000 points


def test_loop_baseline_agrees_with_assign_towns():
    geodata = pytest.importorskip("wufei_geo.geodata")
    zones = geodata.load_default_zones()
    lon, lat = synthetic.sample_points(40, np.random.default_rng(1))
    loop = fig_assign.loop_assign(lon, lat, zones)
    vec = [None if c is None else str(c) for c in geodata.assign_towns(lon, lat, zones)]
    assert loop == vec and all(c is not None for c in loop)


def test_writers_figure_counts_without_loss(tmp_path):
    pytest.importorskip("wufei_geo.store")
    from bench import fig_store

    raw = fig_store.run_writers(f"sqlite:///{tmp_path / 'w.sqlite'}", sites=10, hot=3, attempts_per_writer=3, writers=2)
    assert raw["accepted"] + raw["stale"] + raw["busy"] + raw["other"] == 6
    assert raw["other"] == 0 and raw["lost"] == 0 and raw["audit_mismatch"] == 0
    fig = fig_store.figure({"sqlite": raw, "postgresql": None})
    assert fig.rows and fig.goals[0].met is True


def test_cli_parses_only_and_out(tmp_path):
    from bench.__main__ import main

    out = tmp_path / "r.md"
    assert main(["--quick", "--only", "assign", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "4. Assigning" in text and "| cores |" in text


def test_a_figure_that_fails_or_times_out_is_reported_not_fatal(tmp_path, monkeypatch, capsys):
    """bench --quick in CI: a figure that raises or runs past its budget is a reported figure,
    the others still run and the exit status is 0."""
    import time as _time

    import bench.__main__ as bench_main
    from bench.core import Figure

    def slow() -> list[Figure]:
        _time.sleep(30)
        return []

    def broken() -> list[Figure]:
        raise TimeoutError("browser did not answer")

    def fine() -> list[Figure]:
        return [Figure(key="ok", title="ok figure", notes=["measured"])]

    monkeypatch.setattr(bench_main, "_plan", lambda quick: {"map": slow, "rerun": broken, "assign": fine})
    out = tmp_path / "r.md"
    code = bench_main.main(["--quick", "--only", "map", "--only", "rerun", "--only", "assign",
                            "--figure-timeout", "1", "--out", str(out)])
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert "timed out after 1 s" in text and "failed: TimeoutError: browser did not answer" in text
    assert "ok figure" in text
    assert "2 figure(s) reported without a result" in capsys.readouterr().out


def test_fig_limits_refuses_and_measures(tmp_path):
    """Figure 7 (issue 15): two quick size bombs, each refused in its own process, memory measured."""
    from bench import fig_limits

    raw = fig_limits.measure(["XLSX, a row of 5,000 columns", "backup zip unpacking to 1 GB"])
    assert [r["outcome"] for r in raw] == ["refused", "refused"]
    assert all(r["peak_mb"] >= r["before_mb"] > 0 for r in raw)
    fig = fig_limits.figure(raw)
    assert fig.goals[0].met is True and len(fig.rows) == 2


def test_peers_figure_builds_every_map_without_a_browser():
    from bench import fig_peers

    raw = fig_peers.measure([20], repeats=1, browser_runs=1, in_browser=False)
    maps = {r["map"] for r in raw["runs"]}
    assert {fig_peers.GEOJSON_MC, fig_peers.FAST_MC} <= maps
    assert all(r["html_bytes"] > 0 and r["build_s"] >= 0 for r in raw["runs"])
    fig = fig_peers.figure(raw)
    assert any(row[1].startswith("ratio") for row in fig.rows) == (raw["ours_error"] is None)
    assert raw["browser_skipped"] and any("browser runs not done" in n for n in fig.notes)


def test_peer_maps_escape_names_and_keep_status_colours():
    from bench import fig_peers
    from wufei_geo.mapview.style import STATUS_COLOURS

    sites = synthetic.synthetic_sites(5)
    sites.loc[sites.index[0], "name_zh"] = "<script>x</script>"
    sites.loc[sites.index[0], ["display_lon", "display_lat"]] = [121.1, 31.1]
    html = fig_peers.geojson_cluster_map(sites).get_root().render()
    assert "<script>x</script>" not in html
    placed = sites[sites["display_lon"].notna()]
    assert any(STATUS_COLOURS.get(s, "") in html for s in placed["status"])


def test_running_phases_split_a_filter_change_and_take_medians():
    from bench import fig_running

    marks = [  # page-clock ms: click, rerun request, map data, redrawn, on screen
        {"click": 0, "send": 40, "data": 240, "bytes": 100_000, "shown": 300, "done": 500},
        {"click": 1000, "send": 1050, "data": 1200, "bytes": 120_000, "shown": 1260, "done": 1400},
        {"click": 2000, "send": 2030, "data": 2230, "bytes": 110_000, "shown": None, "done": 2330},
    ]
    raw = {"error": None, "apps": [{"app": "wufei-geo", "phases": marks}, {"app": "st.map", "phases": []}]}
    fig = fig_running.phases_figure(raw)
    assert [r[0] for r in fig.rows] == ["wufei-geo"]  # an app without measured changes has no row
    app, send, server, drawn, paint, total, data, n = fig.rows[0]
    assert (send, server, drawn, total, n) == ("40", "200", "60", "400", "3")
    assert paint == "140"  # 200, 140 (redrawn → on screen) and 100 (no redraw mark: data → on screen)
    assert data == "110.0 kB"
