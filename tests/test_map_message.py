"""The page's message to an open map (wufei_geo/mapview/message.py) and the emphasis rule
(wufei_geo/mapview/emphasis.py): the filter's outcome as a bit per site in the map's drawing
order, per-option bit sets by the core's filter rule, a state most sites share summarised."""
from __future__ import annotations

import base64

import numpy as np
from test_mapview import make_district, make_towns, make_zones, sample_sites

from wufei_geo import mapview
from wufei_geo.filters import Filters, apply_filters
from wufei_geo.mapview import message
from wufei_geo.mapview.emphasis import badge_plan
from wufei_geo.mapview.geometry import mapped_sites


def _shown(order: list[str], b64: str) -> set[str]:
    bits = np.unpackbits(np.frombuffer(base64.b64decode(b64), dtype=np.uint8), bitorder="little")
    return {sid for sid, on in zip(order, bits, strict=False) if on}


def test_the_message_names_exactly_the_filtered_sites_in_the_map_order() -> None:
    sites = sample_sites()
    m = mapview.build_map(sites, make_zones(), make_district(), towns=make_towns())
    order = message.site_order(m)
    assert sorted(order) == sorted(mapped_sites(sites)["site_id"])  # every located site, once
    wet = apply_filters(sites, Filters(categories=("wet_waste",)))
    msg = message.map_message(order, wet, make_zones(), make_towns(), lang="zh", basemap="none",
                              choropleth="wet_waste_tpd", selected="T-1", focus=True)
    assert _shown(order, msg["mask"]) == {"T-1", "T-2"}
    assert msg["select"] == "T-1" and msg["focus"] is True
    assert set(msg["zones"]) == set(make_zones()["town_code"].astype(str))  # the shading of the shown sites
    assert "湿垃圾处理" in msg["legend"] and "光伏" not in msg["legend"]  # only what is on the map


def test_option_masks_follow_the_core_rule_and_combine_like_the_sidebar() -> None:
    sites = sample_sites()
    order = message.site_order(mapview.build_map(sites, make_zones(), make_district(), towns=make_towns()))
    labels = {"flt_category": {"wet_waste": "湿", "pv": "光"}, "flt_status": {"planned": "规"}}
    masks = message.option_masks(order, sites, labels)
    # OR within a widget, AND across: what the map computes from the chips before the rerun
    cat = _shown(order, masks["flt_category"]["湿"]) | _shown(order, masks["flt_category"]["光"])
    both = cat & _shown(order, masks["flt_status"]["规"])
    core = apply_filters(mapped_sites(sites), Filters(categories=("wet_waste", "pv"), statuses=("planned",)))
    assert both == set(core["site_id"].astype(str))
    assert message.search_mask(order, sites, "  ") is None
    assert _shown(order, message.search_mask(order, sites, "转运")) == set(
        apply_filters(mapped_sites(sites), Filters(search="转运"))["site_id"].astype(str))


def test_a_state_most_shown_sites_share_is_summarised_not_drawn() -> None:
    sites = sample_sites()
    located = mapped_sites(sites)
    assert badge_plan(located).drawn_bits & 1  # 1 of 4 overdue: drawn
    everyone = located.assign(overdue=True)
    plan = badge_plan(everyone)
    assert plan.drawn_bits == 0 and [(b.column, n) for b, n in plan.summarised] == [("overdue", len(located))]
    html = mapview.build_map(everyone, make_zones(), make_district(), towns=make_towns()).get_root().render()
    assert f"{len(located)} 个站点已过目标年份" in html
