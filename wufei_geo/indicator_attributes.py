"""The site attributes 附表1's indicators need (#47 investment, #49 pollution liability
insurance, #58 online monitoring): how people's words for them are read and checked.

Part of the site validator (:mod:`wufei_geo.site_rules` calls :func:`parse_indicator_attributes`
for every change); kept apart so that module stays one screenful of rules."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from wufei_geo.site_rules import parse_date, parse_number, refuse

_YES_NO = {"yes": "yes", "y": "yes", "true": "yes", "1": "yes", "是": "yes", "有": "yes",
           "no": "no", "n": "no", "false": "no", "0": "no", "否": "no", "无": "no",
           "": None, "unknown": None, "未知": None}


def parse_yes_no(value: Any, field_name: str) -> str | None:
    """yes | no | None (unknown) from the words people write (是/否, yes/no, 未知)."""
    if value is None:
        return None
    key = str(value).strip().lower()
    if key not in _YES_NO:
        raise refuse("not_yes_no", field=field_name, value=value)
    return _YES_NO[key]


def parse_indicator_attributes(site: Mapping[str, Any], changes: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """Online monitoring (+ since when), pollution liability insurance (hazardous-waste sites
    only) and investment in 元 (≥ 0); None clears a value back to unknown."""
    new: dict[str, Any] = {}
    if "online_monitoring" in changes:
        new["online_monitoring"] = parse_yes_no(changes["online_monitoring"], "online_monitoring")
    if "online_monitoring_since" in changes:
        new["online_monitoring_since"] = parse_date(changes["online_monitoring_since"], today)
    if "pollution_insurance" in changes:
        answer = parse_yes_no(changes["pollution_insurance"], "pollution_insurance")
        if answer is not None and site.get("category") != "hazardous_waste":
            raise refuse("insurance_not_hazardous", field="pollution_insurance", category=site.get("category"))
        new["pollution_insurance"] = answer
    if "investment_yuan" in changes:
        value = changes["investment_yuan"]
        new["investment_yuan"] = None if value in (None, "") else parse_number(value, "investment", "investment_yuan")
    return new
