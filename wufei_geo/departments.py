"""The plan's departments (主要责任部门 of 附表1, read from ``facilities/indicators.csv``): how a
name is compared, the list, and the department of a new account (issue 23).  A leaf module:
accounts (``auth``) and the register both read it."""
from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

from wufei_geo.errors import ValidationError
from wufei_geo.paths import FACILITIES_DIR


def department_key(name: str) -> str:
    """A department name compared as the plan writes it across line breaks (no whitespace)."""
    return re.sub(r"\s+", "", name or "")


@functools.lru_cache(maxsize=4)
def _departments(facilities_dir: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    with (Path(facilities_dir) / "indicators.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            for part in (row.get("departments") or "").split(";"):
                if department_key(part):
                    seen.setdefault(department_key(part), None)
    return tuple(seen)


def departments(facilities_dir: Path | str = FACILITIES_DIR) -> tuple[str, ...]:
    """Every department of 附表1, in the order they first appear."""
    return _departments(str(facilities_dir))


def check_department(role: str, department: str | None) -> str | None:
    """The department of a new account: required (one of :func:`departments`) for the
    ``department`` role, refused for every other role."""
    from wufei_geo import permissions

    text = department_key(department or "")
    bound = permissions.ROLES.get(role)
    if bound is None or not bound.department_bound:
        if text:
            raise ValidationError(key="error.role_no_department", params={"role": role})
        return None
    if not text:
        raise ValidationError(key="error.department_required", params={"allowed": "、".join(departments())})
    if text not in departments():
        raise ValidationError(key="error.unknown_department",
                              params={"department": department, "allowed": "、".join(departments())})
    return text


# The departments' names in English: our translation (the plan names them in Chinese only), keyed
# by the name as 附表1 writes it.  A department missing here is shown as written.
DEPARTMENT_EN: dict[str, str] = {
    "区生态环境局": "District Ecology and Environment Bureau",
    "区经委": "District Economic Commission",
    "区发改委": "District Development and Reform Commission",
    "区农业农村委": "District Agriculture and Rural Affairs Commission",
    "区建设管理委": "District Construction Management Commission",
    "区绿化市容局": "District Landscaping and City Appearance Bureau",
    "上海市青浦邮政管理局": "Qingpu Postal Administration",
    "各快递企业": "Express-delivery companies",
    "区综合整治办": "District Comprehensive Improvement Office",
    "区精细化办": "District Fine Management Office",
    "区规资局": "District Planning and Natural Resources Bureau",
    "区卫生健康委": "District Health Commission",
    "区水务局": "District Water Affairs Bureau",
    "生态文明建设领导小组办公室": "Office of the Ecological Civilisation Leading Group",
    "“无废城市”建设工作专班": "Zero-waste city task force",
    "区财政局": "District Finance Bureau",
    "区科委": "District Science and Technology Commission",
    "公安分局": "Qingpu Public Security Sub-bureau",
}


def department_label(name: str, lang: str = "zh") -> str:
    """A department's name in the reader's language (English: our translation, else as written)."""
    return DEPARTMENT_EN.get(department_key(name), name) if lang == "en" else name
