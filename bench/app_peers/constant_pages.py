"""Peer of figure 10: the capacity and 街镇 pages' Streamlit elements fed constant data.

Each page's own element list, in its order and about its amounts, built from constants, so a run
costs only what Streamlit itself costs.  ``?page=capacity`` (default): the answer's markdown, a
table of blocking sites, a radio, four metrics, a Vega-Lite bar chart with a goal rule, status and
site tables, a selectbox, download buttons.  ``?page=towns``: the sidebar's site filters, the
estimate's expander with two number inputs, the overview table, the two town-map pickers, the town
map (streamlit-folium's component with arguments built once from the bundled town zones, sent as
the page sends its cached ones), the chosen town's targets, places, generation, sites and figures,
the gap table and the downloads.  ``&inbox=1`` adds a logged-in planner's inbox (a warning and eight
rows with a button, as app.py shows)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

PAGE = st.query_params.get("page", "capacity")
if st.query_params.get("inbox"):  # a logged-in planner's inbox on top of the page, as in app.py
    st.sidebar.caption("planner1 · 规划人员")
    st.warning("待办: 1 个现有能力未填 · 7 个设计能力未填 · 37 个站点缺预计投运日期", icon=":material/inbox:")
    with st.expander("待办（45）", expanded=False):
        for i in range(8):
            text, button = st.columns([6, 1])
            text.markdown(f"E.{i}-1 站点 {i}：缺预计投运日期")
            button.button("打开", key=f"peer_inbox_{i}")
        st.caption("另有 37 项")
SITES = pd.DataFrame({"站点": [f"E.{i}-1 站点 {i}" for i in range(40)], "状态": ["规划中"] * 40,
                      "能力": [float(i) for i in range(40)], "街镇": ["赵巷镇"] * 40})
YEARS = pd.DataFrame({"year": [str(y) for y in range(2021, 2030)] * 5,
                      "status": [s for s in ("existing", "planned", "construction", "commissioning", "operating")
                                 for _ in range(9)],
                      "value": [float(i % 7) * 10 for i in range(45)]})

TOWNS = pd.DataFrame({"街镇": [f"街镇 {i}" for i in range(11)], "能力": [float(i) for i in range(11)],
                      "产生量": [float(i) * 2 for i in range(11)], "状态": ["未达标"] * 11})

st.title("湿垃圾处理能力与2025年目标" if PAGE == "capacity" else "街镇")


@st.cache_resource(show_spinner=False)
def _town_map_args() -> dict:
    """A town map's component arguments, built once: constant data, as the 街镇 page's cache holds."""
    import folium
    import geopandas as gpd

    from app_pages import folium_adapter
    from wufei_geo.paths import GEODATA_DIR

    zones = gpd.read_file(GEODATA_DIR / "town_zones.geojson")
    m = folium.Map(location=[31.15, 121.12], zoom_start=10, tiles=None)
    folium.GeoJson(zones, tooltip=folium.GeoJsonTooltip(fields=[c for c in zones.columns if c != "geometry"][:3])).add_to(m)
    return folium_adapter.component_args(m, "peer_town_map", ())


if PAGE == "towns":  # the 街镇 page's elements, in its order
    with st.sidebar:
        st.subheader("筛选")
        for name in ("类别", "状态", "街镇", "目标年份"):
            st.multiselect(name, [f"{name} {i}" for i in range(8)], key=f"peer_flt_{name}")
        st.text_input("搜索", key="peer_flt_search")
        st.button("清除筛选", key="peer_flt_clear")
    with st.expander("产生量估算参数"):
        st.number_input("人均产生量", value=1.0, key="peer_per_capita")
        st.caption("来源：常量")
        st.number_input("湿垃圾占比", value=0.5, key="peer_wet_share")
        st.caption("来源：常量")
    st.caption("产生量为示意估算。")
    st.dataframe(TOWNS, hide_index=True, width="stretch")
    st.caption("状态超过 12 个月未确认的站点另行标出。")
    st.selectbox("地图着色", ["a", "b", "c"], key="peer_measure")
    st.selectbox("选择街镇", [f"街镇 {i}" for i in range(11)], key="peer_town")
    from app_pages import folium_adapter as _adapter

    _adapter.show(_town_map_args(), key="peer_town_map", returned_objects=(), height=420, center=None, zoom=None)
    st.caption("街镇范围为示意范围。")
    st.subheader("赵巷镇 — 未达标")
    st.markdown("**目标**")
    st.dataframe(SITES.head(4), hide_index=True, width="stretch")
    st.markdown("**场所（1）**")
    st.markdown("- 场所 1 — 无废教育基地 — 规划中")
    st.markdown("**产生量**")
    st.write("示意产生量 12.3 吨/日")
    st.caption("人口来源：常量")
    st.markdown("**站点**")
    st.dataframe(SITES.head(5), hide_index=True, width="stretch")
    st.markdown("**街镇数字**")
    st.caption("筛选后的站点。")
    st.dataframe(TOWNS, hide_index=True, width="stretch")
    st.subheader("街镇缺口")
    st.dataframe(TOWNS, hide_index=True, width="stretch")
    st.caption("缺口 = 产生量 − 能力。")
    st.download_button("下载缺口表", data=lambda: b"x", file_name="x.csv", key="peer_dl_gaps")
    st.download_button("下载工作簿", data=lambda: b"x", file_name="x.xlsx", key="peer_dl_xlsx")
    st.download_button("下载简报", data=lambda: b"x", file_name="x.pdf", key="peer_dl_pdf")

if PAGE == "capacity":
    st.markdown("**今日运行能力未知，因为国清综合处理厂的现有能力未填写；规划项目全部建成后为 ≥ 700.5 吨/日。**")
    st.dataframe(SITES.head(13), hide_index=True, width="stretch")
    st.radio("计入", ["全部", "集中", "就地"], horizontal=True, key="peer_radio")
    cols = st.columns(4)
    for i, c in enumerate(cols):
        c.metric(f"指标 {i}", f"{i * 100} 吨/日", "12.5%", delta_color="off")
    # the same element as the app's chart (st.vega_lite_chart of a Vega-Lite spec), from constants
    st.vega_lite_chart({
        "height": 320,
        "datasets": {"years": YEARS.to_dict("records"), "goal": [{"goal": 600}]},
        "layer": [
            {"data": {"name": "years"}, "mark": "bar",
             "encoding": {"x": {"field": "year", "type": "ordinal"}, "y": {"aggregate": "sum", "field": "value",
                                                                           "type": "quantitative"},
                          "color": {"field": "status", "type": "nominal"}}},
            {"data": {"name": "goal"}, "mark": {"type": "rule", "color": "#D55E00"},
             "encoding": {"y": {"field": "goal", "type": "quantitative"}}},
        ],
    }, width="stretch")
    st.dataframe(SITES, hide_index=True, width="stretch")
    st.dataframe(SITES.head(11), hide_index=True, width="stretch")
    st.selectbox("简报地图着色", ["a", "b", "c"], key="peer_select")
    st.download_button("下载工作簿", data=lambda: b"x", file_name="x.xlsx", key="peer_dl_xlsx")
    st.download_button("下载简报", data=lambda: b"x", file_name="x.pdf", key="peer_dl_pdf")
