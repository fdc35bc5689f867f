"""The plan's facilities and targets as reviewed data files (``facilities/*.csv``).

``load_seed_sites()`` turns ``sites.csv`` + ``capacities.csv`` into seed records (the contract
in docs/architecture.md), ``load_targets()`` reads ``targets.csv``, ``load_projects()`` reads
``projects.csv`` (the 45 rows of 附表3), and ``validate()`` lists every row-level problem of
the four files, each naming the file, the line, the field and what is wrong.  How the files
were made and every decision behind them: ``facilities/NOTES.md``.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from wufei_geo import units
from wufei_geo.errors import ValidationError
from wufei_geo.facilities_files import (
    CAPACITIES_FILE,
    CAPACITY_COLUMNS,
    NORM_RTOL,
    POINT_PRECISIONS,
    PROJECT_COLUMNS,
    PROJECTS_FILE,
    REQUIRED,
    SITE_FILE_COLUMNS,
    SITE_ID_PATTERN,
    SITE_TEXT_PAIRS,
    SITES_FILE,
    TARGET_COLUMNS,
    TARGET_LEVELS,
    TARGET_TEXT_PAIRS,
    TARGETS_FILE,
    TASK_ITEMS,
    Problem,
    SeedDataError,
    Unreadable,
    read_rows,
)
from wufei_geo.model import (
    CATEGORIES,
    DATUMS,
    IDENTIFIER_PATTERN,
    MEASURES,
    NORM_UNIT,
    PRECISIONS,
    SITE_COLUMNS,
    STATUSES,
    WET_WASTE_MODES,
)
from wufei_geo.paths import FACILITIES_DIR


def _text(value: str | None) -> str | None:
    return value if value else None


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _period_end(period: str) -> int | None:
    """End year of a 实施年限 as written ('2023', '2022-2025')."""
    years = re.findall(r"\d{4}", period or "")
    return int(years[-1]) if years else None


def _component(cells: dict[str, str]) -> dict[str, Any]:
    return {
        "label": cells["label"],
        "value": units.parse_value(cells["value"]),
        "unit": cells["unit"],
        "norm": float(cells["norm"]),
        "norm_unit": cells["norm_unit"],
        "source_ref": cells["source_ref"],
    }


def _wgs84_point(cells: dict[str, str]) -> tuple[float | None, float | None]:
    if not cells.get("src_lon") or not cells.get("src_lat"):
        return None, None
    from wufei_geo.crs import to_wgs84

    lon, lat = to_wgs84(float(cells["src_lon"]), float(cells["src_lat"]), cells["src_datum"])
    return round(lon, 7), round(lat, 7)


# --------------------------------------------------------------------------- loading
def load_seed_sites(facilities_dir: Path | str = FACILITIES_DIR, *, check: bool = True) -> list[dict[str, Any]]:
    """One record per site of ``sites.csv`` with the keys of ``model.SITE_COLUMNS`` (but
    ``version``): ``lon``/``lat`` converted to WGS-84 from the source datum, the capacity
    components of ``capacities.csv`` (file order; the first is the primary one), nulls for
    what is unknown.  With ``check`` (default) the files are validated first and any problem
    raises ``SeedDataError`` listing them all: nothing half-valid is seeded."""
    folder = Path(facilities_dir)
    if check:
        problems = validate(folder)
        if problems:
            raise SeedDataError(key="error.seed_data", params={"n": len(problems), "detail": "\n".join(map(str, problems))},
                                problems=problems)
    components: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _, cells in read_rows(folder / CAPACITIES_FILE, CAPACITY_COLUMNS):
        components[cells["site_id"]].append(_component(cells))
    records = []
    for _, cells in read_rows(folder / SITES_FILE, SITE_FILE_COLUMNS):
        record: dict[str, Any] = {c: None for c in SITE_COLUMNS if c != "version"}
        for column in SITE_FILE_COLUMNS:
            if column in record:
                record[column] = _text(cells[column])
        record["target_year"] = int(cells["target_year"])
        record["lon"], record["lat"] = _wgs84_point(cells)
        comps = components.get(cells["site_id"], [])
        record["capacity_components"] = comps
        if comps:
            first = comps[0]
            record["capacity_value"] = first["value"]
            record["capacity_unit"] = first["unit"]
            record["capacity_norm"] = first["norm"]
            record["capacity_norm_unit"] = first["norm_unit"]
        record["retired"] = False
        # ``yes``: the plan's project upgrades a facility that operates today (E.11); its capacity
        # before the project is not in the plan, so it stays unknown (baseline_capacity_* null).
        record["existing_facility"] = cells["existing_facility"] == "yes"
        # The seed's status is the plan's, confirmed by the plan on its date (issue 11).
        record["status_confirmed_at"] = record["status_as_of"]
        record["status_confirmed_by"] = record["status_source"]
        records.append(record)
    return records


def load_targets(facilities_dir: Path | str = FACILITIES_DIR) -> list[dict[str, Any]]:
    """The rows of ``targets.csv`` in file order: ``target_value`` a float, ``target_year`` an
    int, empty cells None; ``project_ids`` stays the ``;``-joined text of the file (None = by
    category)."""
    out = []
    for _, cells in read_rows(Path(facilities_dir) / TARGETS_FILE, TARGET_COLUMNS):
        row: dict[str, Any] = {c: _text(cells[c]) for c in TARGET_COLUMNS}
        row["target_value"] = float(cells["target_value"])
        row["target_year"] = int(cells["target_year"])
        out.append(row)
    return out


def load_projects(facilities_dir: Path | str = FACILITIES_DIR) -> list[dict[str, Any]]:
    """The 45 items of 附表3 (name, department, implementer, period as written, content, and
    ``mapped``: whether this tool has sites for it)."""
    out = []
    for _, cells in read_rows(Path(facilities_dir) / PROJECTS_FILE, PROJECT_COLUMNS):
        row: dict[str, Any] = {c: _text(cells[c]) for c in PROJECT_COLUMNS}
        row["mapped"] = cells["mapped"] == "yes"
        out.append(row)
    return out


# --------------------------------------------------------------------------- validation
class _Checker:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[Problem] = []

    def add(self, file: str, row: int, field: str, message: str) -> None:
        self.problems.append(Problem(file, row, field, message))

    def rows(self, name: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]] | None:
        try:
            rows = read_rows(self.folder / name, columns)
        except Unreadable as exc:
            self.add(name, exc.row, "", str(exc))
            return None
        for line, cells in rows:
            if "__width__" in cells:
                self.add(name, line, "", f"{cells['__width__']} cells where the header has {len(columns)}")
            for column in REQUIRED[name]:
                if not cells.get(column):
                    self.add(name, line, column, "required, but empty")
        return rows

    def number(self, name: str, line: int, cells: dict[str, str], field: str) -> float | None:
        text = cells.get(field, "")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            self.add(name, line, field, f"{text!r} is not a number")
            return None
        if not math.isfinite(value):
            self.add(name, line, field, f"{text!r} is not a finite number")
            return None
        return value

    def year(self, name: str, line: int, cells: dict[str, str], field: str) -> int | None:
        text = cells.get(field, "")
        if not text:
            return None
        if not re.fullmatch(r"\d{4}", text) or not 2000 <= int(text) <= 2100:
            self.add(name, line, field, f"{text!r} is not a year (e.g. 2025; a range goes in the note)")
            return None
        return int(text)

    def choice(self, name: str, line: int, cells: dict[str, str], field: str, allowed: Iterable[str]) -> None:
        text = cells.get(field, "")
        allowed = tuple(allowed)
        if text and text not in allowed:
            self.add(name, line, field, f"unknown value {text!r} (expected one of {', '.join(allowed)})")


def _town_codes() -> frozenset[str]:
    from wufei_geo.geodata import load_gazetteer

    return frozenset(load_gazetteer()["town_code"].astype(str))


def _valid_task(item: str) -> bool:
    m = re.fullmatch(r"([A-D])\.(\d+)", item)
    return bool(m) and 1 <= int(m.group(2)) <= TASK_ITEMS[m.group(1)]


def validate(facilities_dir: Path | str = FACILITIES_DIR) -> list[Problem]:
    """Every problem of ``projects.csv``, ``sites.csv``, ``capacities.csv`` and ``targets.csv``
    in ``facilities_dir`` (an empty list when the data is clean)."""
    c = _Checker(Path(facilities_dir))
    towns = _town_codes()
    projects = _check_projects(c)
    sites = _check_sites(c, projects, towns)
    _check_capacities(c, sites)
    _check_targets(c, projects, towns)
    return sorted(c.problems, key=lambda p: (_FILE_ORDER.get(p.file, 9), p.file, p.row, p.field))


_FILE_ORDER: Final = {PROJECTS_FILE: 0, SITES_FILE: 1, CAPACITIES_FILE: 2, TARGETS_FILE: 3}


def _check_projects(c: _Checker) -> dict[str, dict[str, str]] | None:
    """project_id → row, or None when the file is unreadable (project checks are then skipped)."""
    rows = c.rows(PROJECTS_FILE, PROJECT_COLUMNS)
    if rows is None:
        return None
    out: dict[str, dict[str, str]] = {}
    for line, cells in rows:
        pid = cells["project_id"]
        if pid and not re.fullmatch(r"E\.\d+", pid):
            c.add(PROJECTS_FILE, line, "project_id", f"{pid!r} is not an item of 附表3 (E.1 … E.45)")
        elif pid in out:
            c.add(PROJECTS_FILE, line, "project_id", f"duplicate project {pid}")
        elif pid:
            out[pid] = cells
        c.choice(PROJECTS_FILE, line, cells, "mapped", ("yes", "no"))
        if cells["period"] and _period_end(cells["period"]) is None:
            c.add(PROJECTS_FILE, line, "period", f"{cells['period']!r} names no year")
    return out


def _check_sites(
    c: _Checker, projects: dict[str, dict[str, str]] | None, towns: frozenset[str]
) -> dict[str, str] | None:
    """site_id → category of the readable sites (None when the file is unreadable)."""
    rows = c.rows(SITES_FILE, SITE_FILE_COLUMNS)
    if rows is None:
        return None
    f = SITES_FILE
    seen: dict[str, int] = {}
    categories: dict[str, str] = {}
    points: list[tuple[int, float, float, str]] = []
    for line, s in rows:
        _check_pairs(c, f, line, s, SITE_TEXT_PAIRS)
        sid, pid, category = s["site_id"], s["project_id"], s["category"]
        if sid in seen:
            c.add(f, line, "site_id", f"duplicate site_id {sid} (first on line {seen[sid]})")
        elif sid:
            seen[sid] = line
            m = SITE_ID_PATTERN.match(sid)
            if not m:
                c.add(f, line, "site_id", f"{sid!r} is not of the form {{project_id}}-{{n}}, e.g. E.12-3")
            elif pid and m.group(1) != pid:
                c.add(f, line, "site_id", f"{sid} does not belong to project {pid}")
        if pid and projects is not None:
            if pid not in projects:
                c.add(f, line, "project_id", f"unknown project {pid!r} (not in {PROJECTS_FILE})")
            else:
                end = _period_end(projects[pid]["period"])
                year = c.year(f, line, s, "target_year")
                if year is not None and end is not None and year != end:
                    c.add(f, line, "target_year",
                          f"{year} differs from the end of {pid}'s 实施年限 {projects[pid]['period']!r}")
        else:
            c.year(f, line, s, "target_year")
        c.choice(f, line, s, "category", CATEGORIES)
        if category in CATEGORIES and sid:
            categories[sid] = category
        mode = s["wet_waste_mode"]
        if category == "wet_waste" and not mode:
            c.add(f, line, "wet_waste_mode", "required for wet_waste (centralised or on_site)")
        elif category != "wet_waste" and mode:
            c.add(f, line, "wet_waste_mode", f"only wet_waste sites have a mode (category is {category!r})")
        c.choice(f, line, s, "wet_waste_mode", WET_WASTE_MODES)
        for field in ("status", "target_status"):
            c.choice(f, line, s, field, STATUSES)
        c.choice(f, line, s, "precision", PRECISIONS)
        if s["town_code"] and s["town_code"] not in towns:
            c.add(f, line, "town_code", f"unknown town code {s['town_code']!r} (not in the towns gazetteer)")
        for code in _split(s["served_towns"]):
            if code not in towns:
                c.add(f, line, "served_towns", f"unknown town code {code!r} (not in the towns gazetteer)")
        if s["status_as_of"]:
            try:
                dt.date.fromisoformat(s["status_as_of"])
            except ValueError:
                c.add(f, line, "status_as_of", f"{s['status_as_of']!r} is not an ISO date (YYYY-MM-DD)")
        if s["existing_facility"] not in ("", "yes"):
            c.add(f, line, "existing_facility", f"{s['existing_facility']!r}: write yes or leave empty")
        if s["commissioned"]:
            _check_date(c, line, s["commissioned"])
        if s["source_ref"] and pid and not re.search(rf"\b{re.escape(pid)}(?!\.?\d)", s["source_ref"]):
            c.add(f, line, "source_ref", f"{s['source_ref']!r} does not name the site's project {pid}")
        point = _check_location(c, line, s)
        if point:
            points.append(point)
    _check_in_district(c, points)
    return categories


def _check_date(c: _Checker, line: int, text: str) -> None:
    """A commissioning date by the same rule as an edit's (site_rules.parse_date): a seed row this
    passes is one the app's own restore accepts."""
    from wufei_geo import i18n, site_rules

    try:
        site_rules.parse_date(text, dt.date.today())
    except ValidationError as exc:
        c.add(SITES_FILE, line, "commissioned", i18n.error_text(exc, "en"))


def _check_location(c: _Checker, line: int, s: dict[str, str]) -> tuple[int, float, float, str] | None:
    """Checks the location fields; returns ``(line, lon, lat, datum)`` of a readable coordinate."""
    f = SITES_FILE
    lon = c.number(f, line, s, "src_lon")
    lat = c.number(f, line, s, "src_lat")
    datum, precision = s["src_datum"], s["precision"]
    has_point = bool(s["src_lon"] or s["src_lat"])
    if has_point and (not s["src_lon"] or not s["src_lat"]):
        c.add(f, line, "src_lon" if not s["src_lon"] else "src_lat", "give both src_lon and src_lat, or neither")
    if has_point and not datum:
        c.add(f, line, "src_datum", f"a coordinate needs its datum ({', '.join(DATUMS)})")
    elif datum and datum not in DATUMS:
        c.add(f, line, "src_datum", f"unknown datum {datum!r} (expected one of {', '.join(DATUMS)})")
    elif datum and not has_point:
        c.add(f, line, "src_datum", "a datum without a coordinate")
    if precision in POINT_PRECISIONS and not has_point:
        c.add(f, line, "precision",
              f"{precision!r} needs src_lon/src_lat; without a coordinate use town, district or unknown")
    elif precision in PRECISIONS and precision not in POINT_PRECISIONS and has_point:
        c.add(f, line, "precision", f"a site with a coordinate is placed there: {precision!r} understates it")
    if precision == "town" and not s["town_code"]:
        c.add(f, line, "precision", "'town' precision needs a town_code")
    if (has_point or s["town_code"]) and not s["location_source"]:
        c.add(f, line, "location_source", "a located site needs the source of its location")
    if lon is None or lat is None or datum not in DATUMS:
        return None
    return line, lon, lat, datum


def _check_in_district(c: _Checker, points: list[tuple[int, float, float, str]]) -> None:
    """Each source coordinate, converted to WGS-84, must lie inside the district outline."""
    if not points:
        return
    from wufei_geo.crs import to_wgs84
    from wufei_geo.geodata import in_district

    converted = [to_wgs84(lon, lat, datum) for _, lon, lat, datum in points]
    inside = in_district([p[0] for p in converted], [p[1] for p in converted])
    for (line, lon, lat, datum), (wlon, wlat), ok in zip(points, converted, inside, strict=False):
        if not ok:
            c.add(SITES_FILE, line, "src_lon",
                  f"point ({lon}, {lat}) {datum} = WGS-84 ({wlon:.6f}, {wlat:.6f}) lies outside the district")


def _check_capacities(c: _Checker, categories: dict[str, str] | None) -> None:
    rows = c.rows(CAPACITIES_FILE, CAPACITY_COLUMNS)
    if rows is None:
        return
    f = CAPACITIES_FILE
    firsts: set[str] = set()
    for line, r in rows:
        sid = r["site_id"]
        category = None
        if sid and categories is not None:
            if sid not in categories:
                c.add(f, line, "site_id", f"capacity for unknown site {sid!r} (not in {SITES_FILE})")
            else:
                category = categories[sid]
        primary = sid not in firsts
        firsts.add(sid)
        value = norm_unit = None
        if r["value"]:
            try:
                value = units.parse_value(r["value"])
            except units.UnitError as exc:
                c.add(f, line, "value", str(exc))
            else:
                if value == 0:
                    c.add(f, line, "value",
                          "0 is not a capacity: when the plan gives none, leave the site without a row")
        if r["unit"]:
            try:
                norm_unit, factor = units.unit_info(r["unit"])
            except units.UnitError as exc:
                c.add(f, line, "unit", str(exc))
            else:
                if category and not units.fits_category(norm_unit, category, primary=primary):
                    which = "the primary (first) component" if primary else "a component"
                    c.add(f, line, "unit",
                          f"{r['unit']!r} ({norm_unit}) does not fit {which} of a {category} site "
                          f"(capacities in {NORM_UNIT[category]})")
                if r["norm_unit"] and r["norm_unit"] != norm_unit:
                    c.add(f, line, "norm_unit", f"{r['norm_unit']!r}, but {r['unit']!r} normalises to {norm_unit}")
                norm = c.number(f, line, r, "norm")
                if value is not None and norm is not None:
                    expected = round(value * factor, 9)
                    if not math.isclose(norm, expected, rel_tol=NORM_RTOL, abs_tol=1e-9):
                        c.add(f, line, "norm", f"{r['norm']} ≠ {r['value']} {r['unit']} = {expected:g} {norm_unit}")


def _check_pairs(c: _Checker, f: str, line: int, row: dict[str, str], pairs: tuple[tuple[str, str], ...]) -> None:
    """A text users read needs its Chinese version (and the Chinese one its English source)."""
    for en, zh in pairs:
        if bool(row.get(en)) != bool(row.get(zh)):
            missing = zh if row.get(en) else en
            c.add(f, line, missing, f"{en} and {zh} are filled together (the Chinese is written from the English source)")


def _check_targets(c: _Checker, projects: dict[str, dict[str, str]] | None, towns: frozenset[str]) -> None:
    rows = c.rows(TARGETS_FILE, TARGET_COLUMNS)
    if rows is None:
        return
    f = TARGETS_FILE
    seen: dict[str, int] = {}
    for line, t in rows:
        _check_pairs(c, f, line, t, TARGET_TEXT_PAIRS)
        tid = t["target_id"]
        if tid and not re.fullmatch(IDENTIFIER_PATTERN, tid):  # shown in markdown/HTML (issue 15)
            c.add(f, line, "target_id", f"{tid!r} must match {IDENTIFIER_PATTERN}")
        if tid in seen:
            c.add(f, line, "target_id", f"duplicate target_id {tid} (first on line {seen[tid]})")
        elif tid:
            seen[tid] = line
        c.choice(f, line, t, "level", TARGET_LEVELS)
        c.choice(f, line, t, "measure", MEASURES)
        if t["measure"] != "place_count":  # a place_count target names a place type (checked by wufei_geo.places)
            c.choice(f, line, t, "category", CATEGORIES)
        c.choice(f, line, t, "wet_waste_mode", WET_WASTE_MODES)
        c.year(f, line, t, "target_year")
        level, town, category, measure = t["level"], t["town_code"], t["category"], t["measure"]
        if level == "town" and not town:
            c.add(f, line, "town_code", "a town-level target needs a town_code")
        elif level == "district" and town:
            c.add(f, line, "town_code", "a district-level target has no town_code")
        if town and town not in towns:
            c.add(f, line, "town_code", f"unknown town code {town!r} (not in the towns gazetteer)")
        if not category and measure != "untracked":
            c.add(f, line, "category", f"required for a {measure or '?'} target (only untracked ones may omit it)")
        if t["wet_waste_mode"] and category != "wet_waste":
            c.add(f, line, "wet_waste_mode", "only wet_waste targets have a mode")
        value = c.number(f, line, t, "target_value")
        if value is not None and value <= 0:
            c.add(f, line, "target_value", f"{t['target_value']} is not a positive target")
        if measure == "capacity" and category in NORM_UNIT and t["unit"] != NORM_UNIT[category]:
            c.add(f, line, "unit", f"a {category} capacity target is in {NORM_UNIT[category]}, not {t['unit']!r}")
        if measure == "served" and value is not None and value != 1:
            c.add(f, line, "target_value", "a served target is 1 (the town is served)")
        for item in _split(t["project_ids"]):
            if item.startswith("E."):
                if projects is not None and item not in projects:
                    c.add(f, line, "project_ids", f"unknown project {item!r} (not in {PROJECTS_FILE})")
            elif not _valid_task(item):
                c.add(f, line, "project_ids", f"unknown plan item {item!r} (附表3 E.x or 附表2 A–D items)")
