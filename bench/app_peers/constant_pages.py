"""Peer of figure 10: the capacity and 街镇 pages' Streamlit elements fed constant data.

The same element kinds and about the same amounts as the real pages (title, the answer's markdown,
a table of blocking sites, four metrics, a Vega-Lite bar chart with a goal rule, status and site
tables, a radio, selectboxes, download buttons) — built from constants, so a run costs only what
Streamlit itself costs.  ``?page=capacity`` or ``?page=towns`` (default capacity); ``&inbox=1``
adds a logged-in planner's inbox (a warning and eight rows with a button, as app.py shows)."""
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

st.title("湿垃圾处理能力与2025年目标" if PAGE == "capacity" else "街镇")
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
