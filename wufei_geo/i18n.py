"""The one message catalogue: Chinese (default) and English.

Every label the UI shows comes from here, so the English toggle switches every label,
unit, status and category name at once.  Structure: ``MESSAGES[key] = (zh, en)``.
Each page's engineer adds their keys in their own clearly-marked section below; keep
keys dotted by page (``capacity.title``) so sections do not collide.
"""
from __future__ import annotations

from typing import Final

LANGS: Final = ("zh", "en")
DEFAULT_LANG: Final = "zh"

MESSAGES: dict[str, tuple[str, str]] = {}

# --- vocabulary: categories, wet-waste modes, statuses, precisions -----------
CATEGORY_LABELS: Final[dict[str, tuple[str, str]]] = {
    "transfer_station": ("转运站", "Transfer station"),
    "wet_waste": ("湿垃圾处理", "Wet-waste treatment"),
    "construction_waste": ("建筑垃圾资源化", "Construction-waste recycling"),
    "sludge": ("污泥处置", "Sludge treatment"),
    "pv": ("光伏", "Solar PV"),
    "hazardous_waste": ("危险废物", "Hazardous waste"),
    "recyclables_hub": ("两网融合中转站", "Recyclables hub"),
    "compression_station": ("压缩站", "Compression station"),
    "medical_waste": ("医疗废物", "Medical waste"),
    "bulky_waste": ("大件垃圾", "Bulky waste"),
    "dump_remediation": ("非正规堆放点整治", "Dump-site remediation"),
}
WET_WASTE_MODE_LABELS: Final[dict[str, tuple[str, str]]] = {
    "centralised": ("集中处理", "centralised"),
    "on_site": ("就地处理", "on-site"),
}
STATUS_LABELS: Final[dict[str, tuple[str, str]]] = {
    "planned": ("规划中", "Planned"),
    "under_construction": ("在建", "Under construction"),
    "commissioning": ("试运行", "Commissioning"),
    "operating": ("已运行", "Operating"),
    "suspended": ("暂停", "Suspended"),
    "cancelled": ("取消", "Cancelled"),
    "decommissioned": ("已关停", "Decommissioned"),
}
PRECISION_LABELS: Final[dict[str, tuple[str, str]]] = {
    "exact": ("精确位置", "exact"),
    "address": ("按地址", "by address"),
    "village": ("村级（近似）", "village (approximate)"),
    "town": ("街镇驻地（近似）", "town seat (approximate)"),
    "district": ("区级（近似）", "district (approximate)"),
    "unknown": ("位置未知", "unknown"),
}
# Units as written in the plan and the normalised ones (model.NORM_UNIT).
UNIT_LABELS: Final[dict[str, tuple[str, str]]] = {
    "t/d": ("吨/日", "t/d"),
    "t/yr": ("吨/年", "t/yr"),
    "t/a": ("吨/年", "t/yr"),
    "kg/d": ("千克/日", "kg/d"),
    "kW": ("千瓦", "kW"),
    "kWp": ("千瓦峰值", "kWp"),
    "MW": ("兆瓦", "MW"),
    "count": ("个", "count"),
    "万只/年": ("万只/年", "10k drums/yr"),
    "只/年": ("只/年", "drums/yr"),
    "辆": ("辆", "vehicles"),
    "万吨/年": ("万吨/年", "10k t/yr"),
    "km2": ("平方公里", "km²"),
}

# --- common / app shell -------------------------------------------------------
MESSAGES.update({
    "app.title": ("青浦区无废城市设施地图", "Qingpu zero-waste city facility map"),
    "app.language": ("语言", "Language"),
    "page.map": ("地图", "Map"),
    "page.capacity": ("湿垃圾能力", "Wet-waste capacity"),
    "page.towns": ("街镇", "Towns"),
    "page.update": ("更新", "Update"),
    "page.data": ("数据", "Data"),
    "common.unknown": ("未知", "unknown"),
    "common.none": ("无", "none"),
    "common.yes": ("是", "yes"),
    "common.no": ("否", "no"),
    "common.approximate_extent": ("示意范围", "approximate extent"),
    "common.data_unavailable": (
        "数据暂不可用：{error}",
        "Data not available: {error}",
    ),
    # filters (app_pages/common.py)
    "filter.header": ("筛选", "Filters"),
    "filter.category": ("类别", "Category"),
    "filter.status": ("状态", "Status"),
    "filter.town": ("街镇", "Town"),
    "filter.year": ("目标年份", "Target year"),
    "filter.search": ("搜索（名称、编号、地址、主体）", "Search (name, id, address, entity)"),
    "filter.reset": ("清除筛选", "Clear filters"),
    "filter.no_town": ("未定街镇", "town not known"),
    "filter.no_year": ("未定年份", "year not known"),
    # site fields (tables, popups)
    "field.site_id": ("站点编号", "Site id"),
    "field.project_id": ("规划项目", "Plan item"),
    "field.name": ("名称", "Name"),
    "field.category": ("类别", "Category"),
    "field.wet_waste_mode": ("处理方式", "Mode"),
    "field.town": ("街镇", "Town"),
    "field.village": ("村", "Village"),
    "field.address": ("地址", "Address"),
    "field.served_towns": ("服务街镇", "Serves towns"),
    "field.capacity": ("设计能力", "Capacity"),
    "field.capacity_norm": ("能力（标准单位）", "Capacity (normalised)"),
    "field.operating_capacity": ("运行能力", "Capacity in operation"),
    "field.target_year": ("目标年份", "Target year"),
    "field.target_status": ("目标状态", "Target status"),
    "field.commissioned": ("投运日期", "Commissioned"),
    "field.department": ("责任主体", "Responsible department"),
    "field.implementer": ("实施主体", "Implementing entity"),
    "field.status": ("状态", "Status"),
    "field.status_as_of": ("状态日期", "Status as of"),
    "field.status_source": ("状态来源", "Status source"),
    "field.precision": ("位置精度", "Location precision"),
    "field.location_source": ("位置来源", "Location source"),
    "field.source_ref": ("规划出处", "Plan reference"),
    "field.data_note": ("备注", "Note"),
    "field.last_change": ("最近修改", "Last change"),
    "field.overdue": ("逾期", "Overdue"),
    "field.lon": ("经度", "Longitude"),
    "field.lat": ("纬度", "Latitude"),
})

# --- map (wufei_geo/mapview/, app_pages/map.py) -------------------------------
MESSAGES.update({
    "map.title": ("设施地图", "Facility map"),
    "map.basemap": ("底图", "Basemap"),
    "basemap.none": ("无底图（离线）", "No basemap (offline)"),
    "basemap.osm": ("OpenStreetMap", "OpenStreetMap"),
    "basemap.amap": ("高德地图（GCJ-02）", "AMap (GCJ-02)"),
    "basemap.tianditu": ("天地图", "Tianditu"),
    "map.basemap_amap_note": (
        "高德底图使用 GCJ-02 坐标：所有叠加图层已相应偏移。",
        "AMap tiles are drawn in GCJ-02: every overlay is shifted to match.",
    ),
    "map.choropleth": ("街镇分级着色", "Town shading"),
    "choropleth.none": ("不着色", "none"),
    "choropleth.site_count": ("站点数", "number of sites"),
    "choropleth.wet_waste_tpd": ("湿垃圾处理能力（吨/日）", "wet-waste capacity (t/d)"),
    "choropleth.capacity_per_10k": (
        "每万人湿垃圾处理能力（吨/日）",
        "wet-waste capacity per 10,000 residents (t/d)",
    ),
    "map.count": ("显示 {shown} / {total} 个站点", "Showing {shown} / {total} sites"),
    "map.no_location": (
        "{n} 个站点没有可显示的位置，只列在表中。",
        "{n} sites have no location to show; they are listed in the table only.",
    ),
    "map.selected": ("已选中：{name}（{site_id}）", "Selected: {name} ({site_id})"),
    "map.table": ("站点列表", "Sites"),
    "map.district": ("青浦区界", "Qingpu district boundary"),
    "map.zones": ("街镇范围", "Town areas"),
    "map.zones_approx": ("街镇范围（示意范围）", "Town areas (approximate extent)"),
    "map.service_links": ("转运服务关系", "Transfer service links"),
    "map.served_by": ("{station} 服务 {town}", "{station} serves {town}"),
    "legend.title": ("图例", "Legend"),
    "legend.categories": ("类别", "Categories"),
    "legend.statuses": ("状态（颜色）", "Status (colour)"),
    "legend.precision": ("位置精度", "Location precision"),
    "legend.precise": ("精确/按地址（实心）", "exact / by address (solid)"),
    "legend.approximate": ("近似位置：村/街镇/区（空心虚线）", "approximate: village/town/district (hollow, dashed)"),
    "legend.overdue": ("逾期（红圈）", "overdue (red ring)"),
    "legend.size": ("大小 = 同类中的相对能力", "size = capacity relative to its category"),
    "legend.unknown_value": ("未知（灰色斜线）", "unknown (grey, hatched)"),
    "legend.approx_zone": ("虚线范围为示意范围", "dashed areas are approximate extents"),
    "attr.none": ("无底图", "no basemap"),
    "attr.osm": ("© OpenStreetMap 贡献者", "© OpenStreetMap contributors"),
    "attr.amap": ("© 高德地图 AutoNavi", "© AutoNavi / AMap"),
    "attr.tianditu": ("© 天地图 国家地理信息公共服务平台", "© Tianditu (National Platform for Common GeoSpatial Information Services)"),
})

# === section: analysis pages (capacity, towns) — owned by the analysis engineer ===
MESSAGES.update({
    "analysis.title": ("湿垃圾处理能力与2025年目标", "Wet-waste capacity against the 2025 targets"),
    "analysis.counts_toward": ("计入600吨/日目标的站点", "What counts toward the 600 t/d goal"),
    "analysis.counts.all": ("全部湿垃圾站点（湿垃圾总处理能力）", "all wet-waste sites (total treatment capacity)"),
    "analysis.counts.centralised": ("仅集中处理", "centralised only"),
    "analysis.counts.on_site": ("仅就地处理", "on-site only"),
    "analysis.headline": (
        "已运行 {achieved} / 目标 {target} {unit}（{share}）",
        "Operating {achieved} of {target} {unit} ({share})",
    ),
    "analysis.registered": (
        "已登记（规划中、在建、试运行、已运行）：{registered} {unit}（目标的 {share}）",
        "Registered (planned, under construction, commissioning, operating): {registered} {unit} ({share} of the goal)",
    ),
    "analysis.unknown_capacity": ("{n} 个站点能力未知（未计入合计）", "{n} sites of unknown capacity (not in the totals)"),
    "analysis.year_reached": ("按现有项目，预计 {year} 年达到目标", "Under the current pipeline the goal is reached in {year}"),
    "analysis.year_reached_late": (
        "按现有项目，预计 {year} 年达到目标，晚于目标年份 {target_year}",
        "Under the current pipeline the goal is reached in {year}, after the target year {target_year}",
    ),
    "analysis.not_reached": (
        "按现有项目，无法达到目标：缺口 {gap} {unit}",
        "The current pipeline does not reach the goal: {gap} {unit} short",
    ),
    "analysis.overdue_sites": (
        "{n} 个站点逾期（目标年份已过，未达到目标状态）：{ids}",
        "{n} sites overdue (target year passed, target state not reached): {ids}",
    ),
    "analysis.target_overdue": ("目标年份已过，目标未达成", "target year passed, not met"),
    "analysis.undated": ("{n} 个站点无年份，未计入年度预测：{ids}", "{n} sites without a year, left out of the projection: {ids}"),
    "analysis.chart_title": ("按年份累计处理能力（按状态）", "Cumulative capacity by year (by status)"),
    "analysis.target_line": ("目标 {target} {unit}", "goal {target} {unit}"),
    "analysis.by_status": ("按状态", "By status"),
    "analysis.by_mode": ("集中 / 就地", "Centralised / on-site"),
    "analysis.halted": ("暂停 / 取消（不计入）", "Suspended / cancelled (not counted)"),
    "analysis.sites": ("计入的站点", "Contributing sites"),
    "analysis.other_targets": ("其他设施目标", "Other facility targets"),
    "analysis.targets_table": ("全区目标", "District targets"),
    "analysis.year": ("年份", "Year"),
    "analysis.cumulative": ("累计", "Cumulative"),
    "analysis.projection_rule": (
        "年份：已运行站点取投运年份，其余取目标年份；逾期站点最早计入今年。",
        "Year: commissioning year for operating sites, else the target year; overdue sites count from this year at the earliest.",
    ),
    "analysis.col.target": ("目标", "Target"),
    "analysis.col.description": ("内容", "Target"),
    "analysis.col.goal": ("目标值", "Goal"),
    "analysis.col.unit": ("单位", "Unit"),
    "analysis.col.year": ("目标年份", "Target year"),
    "analysis.col.achieved": ("已达成", "Achieved"),
    "analysis.col.registered": ("已登记", "Registered"),
    "analysis.col.gap": ("缺口", "Gap"),
    "analysis.col.share": ("完成比例", "Share achieved"),
    "analysis.col.registered_share": ("登记占目标", "Registered / goal"),
    "analysis.col.year_reached": ("预计达成年份", "Reached in"),
    "analysis.col.unknown": ("能力未知站点", "Unknown capacity"),
    "analysis.col.state": ("状态", "State"),
    "analysis.col.source": ("出处", "Source"),
    "analysis.col.capacity": ("能力", "Capacity"),
    "analysis.col.year_counted": ("计入年份", "Counted from"),
    "analysis.col.overdue": ("逾期", "Overdue"),
    "analysis.col.town": ("街镇", "Town"),
    "analysis.col.sites": ("站点数", "Sites"),
    "analysis.col.population": ("人口", "Population"),
    "analysis.col.population_note": ("人口口径", "Population figure"),
    "analysis.col.generation": ("示意产生量（吨/日）", "Indicative generation (t/d)"),
    "analysis.col.wet_capacity": ("辖区内湿垃圾能力（吨/日，已登记）", "Wet-waste capacity located in town (t/d, registered)"),
    "analysis.col.met": ("已达成", "Met"),
    "analysis.col.in_progress": ("推进中", "In progress"),
    "analysis.col.not_started": ("未启动", "Not started"),
    "analysis.state.met": ("已达成", "met"),
    "analysis.state.in_progress": ("推进中", "in progress"),
    "analysis.state.not_started": ("未启动", "not started"),
    "analysis.state.untracked": ("本系统不跟踪", "not tracked here"),
    "analysis.state.no_target": ("无街镇目标", "no town target"),
    "analysis.measure.capacity": ("能力", "capacity"),
    "analysis.measure.site_count": ("站点数", "number of sites"),
    "analysis.measure.closure_count": ("关停数", "closures"),
    "analysis.measure.village_count": ("行政村数", "villages"),
    "analysis.measure.served": ("转运服务覆盖", "served by a transfer station"),
    "analysis.measure.untracked": ("本系统不跟踪", "not tracked here"),
    "analysis.towns.title": ("街镇评分卡", "Town scorecards"),
    "analysis.towns.choose": ("街镇", "Town"),
    "analysis.towns.measure": ("着色指标", "Shade towns by"),
    "analysis.towns.targets": ("街镇目标", "Town targets"),
    "analysis.towns.sites": ("本街镇站点", "Sites in this town"),
    "analysis.towns.no_sites": ("本街镇尚无登记站点", "No sites registered in this town"),
    "analysis.towns.generation": ("示意湿垃圾产生量", "Indicative wet-waste generation"),
    "analysis.towns.generation_value": (
        "约 {generation} 吨/日（人口 {population} × {per_capita} 千克/人·日 × {wet_share}）；辖区内已登记湿垃圾能力 {capacity} 吨/日",
        "about {generation} t/d (population {population} × {per_capita} kg/person/day × {wet_share}); registered wet-waste capacity located in the town {capacity} t/d",
    ),
    "analysis.towns.population_unknown": ("人口未知：不作估算", "Population not known: no estimate"),
    "analysis.towns.params": ("估算参数（仅本次会话）", "Estimate parameters (this session only)"),
    "analysis.towns.per_capita": ("人均生活垃圾清运量（千克/人·日）", "Household waste per person (kg/day)"),
    "analysis.towns.wet_share": ("湿垃圾占比", "Wet-waste share"),
    "analysis.towns.source": ("来源：{source}", "Source: {source}"),
    "analysis.towns.choropleth_approx": ("街镇范围为示意范围", "Town areas are approximate extents"),
    "analysis.towns.unknown_area": ("灰色 = 未知", "grey = unknown"),
    "analysis.measure.targets_met_share": ("街镇目标达成比例", "share of town targets met"),
    "analysis.measure.wet_waste_registered_tpd": ("湿垃圾能力（已登记，吨/日）", "wet-waste capacity, registered (t/d)"),
    "analysis.measure.wet_waste_operating_tpd": ("湿垃圾能力（已运行，吨/日）", "wet-waste capacity, operating (t/d)"),
    "analysis.measure.generation_tpd": ("示意湿垃圾产生量（吨/日）", "indicative wet-waste generation (t/d)"),
    "analysis.measure.capacity_vs_generation": ("已登记能力 / 示意产生量", "registered capacity / indicative generation"),
    "analysis.measure.site_count_town": ("站点数", "number of sites"),
    "analysis.report.title": ("青浦区“无废城市”设施进展简报", "Qingpu zero-waste city: facility progress briefing"),
    "analysis.report.generated": ("生成日期 {date}；数据截至各站点状态日期", "Generated {date}; data as of each site's status date"),
    "analysis.report.download_xlsx": ("下载 Excel 工作簿", "Download Excel workbook"),
    "analysis.report.download_html": ("下载 HTML 简报（可打印 A4）", "Download HTML briefing (prints to A4)"),
    "analysis.report.sheet.targets": ("目标", "Targets"),
    "analysis.report.sheet.wet": ("湿垃圾按状态", "Wet waste by status"),
    "analysis.report.sheet.towns": ("街镇评分卡", "Town scorecards"),
    "analysis.report.sheet.sites": ("站点", "Sites"),
    "analysis.report.sheet.params": ("估算参数", "Estimate parameters"),
    "analysis.unit.sites": ("座", "sites"),
    "analysis.unit.villages": ("个行政村", "villages"),
    "analysis.unit.town": ("街镇", "town"),
    "analysis.unit.blocks": ("个街区", "blocks"),
    "analysis.report.no_wet_target": ("目标文件中没有湿垃圾能力目标", "The targets file has no wet-waste capacity target"),
})

# === section: data page — owned by the data engineer ===
MESSAGES.update({
    "data.export": ("导出", "Export"),
    "data.export_count": (
        "导出与地图相同筛选条件下的 {shown} / {total} 个站点。",
        "Exports the {shown} / {total} sites that pass the map's filters.",
    ),
    "data.datum": ("坐标系", "Coordinates"),
    "data.datum_wgs84": ("WGS-84（GPS、天地图、OSM）", "WGS-84 (GPS, Tianditu, OSM)"),
    "data.datum_gcj02": ("GCJ-02（高德、腾讯）", "GCJ-02 (AMap, Tencent)"),
    "data.download_csv": ("下载 CSV", "Download CSV"),
    "data.download_xlsx": ("下载 Excel", "Download Excel"),
    "data.download_geojson": ("下载 GeoJSON", "Download GeoJSON"),
    "data.download_gpkg": ("下载 GeoPackage（站点、街镇、区界）", "Download GeoPackage (sites, towns, district)"),
    "data.download_zones": ("下载街镇范围 GeoJSON", "Download town zones (GeoJSON)"),
    "data.zones_approximate": (
        "街镇范围为示意范围（非官方边界）。",
        "Town zones are approximate extents (not official boundaries).",
    ),
    "data.bulk": ("批量更新", "Bulk update"),
    "data.bulk_help": (
        "上传 CSV（UTF-8 或 GBK）或 Excel，列与导出相同；只读取 site_id、version、status、运行能力、投运日期、坐标（含 datum）和 note，空白单元格表示不修改。先预览，确认后一次性全部生效或全部不生效。",
        "Upload a CSV (UTF-8 or GBK) or Excel file with the export's columns; only site_id, version, status, operating capacity, commissioning date, coordinates (with datum) and note are read; an empty cell means no change. You see a dry run first; on confirmation all rows apply together or none do.",
    ),
    "data.template_csv": ("下载模板（CSV）", "Download template (CSV)"),
    "data.template_xlsx": ("下载模板（Excel）", "Download template (Excel)"),
    "data.upload": ("上传更新文件", "Upload an update file"),
    "data.dry_run": ("预览（尚未保存）：", "Dry run (nothing saved yet):"),
    "data.import_errors": ("发现 {n} 处错误，不会做任何修改：", "{n} errors found; nothing will be changed:"),
    "data.import_changes": (
        "{rows} 行中有 {sites} 个站点共 {n} 项修改：",
        "{n} changes to {sites} sites in {rows} rows:",
    ),
    "data.import_nothing": ("{rows} 行均无修改。", "No changes in {rows} rows."),
    "data.apply": ("确认并保存 {n} 项修改", "Confirm and save {n} changes"),
    "data.applied": ("已保存：{sites} 个站点共 {n} 项修改。", "Saved: {n} changes to {sites} sites."),
    "data.boundaries": ("官方街镇边界（管理员）", "Official town boundaries (administrators)"),
    "data.boundaries_help": (
        "上传 GeoJSON、压缩的 Shapefile（.zip）或 GeoPackage，须声明坐标系；按代码或名称匹配 11 个街镇，确认后替换当前街镇范围。",
        "Upload GeoJSON, a zipped Shapefile (.zip) or a GeoPackage with its CRS declared; the 11 towns are matched by code or name and, once you confirm, replace the current town zones.",
    ),
    "data.boundary_upload": ("上传边界文件", "Upload a boundary file"),
    "data.code_field": ("代码字段（可选）", "Code field (optional)"),
    "data.name_field": ("名称字段（可选）", "Name field (optional)"),
    "data.one_field": ("代码字段和名称字段只能填一个。", "Give a code field or a name field, not both."),
    "data.boundary_refused": ("边界文件未通过检查，未做任何修改：", "The boundary file was refused; nothing changed:"),
    "data.boundary_ok": ("已匹配 {n} 个街镇。请核对后确认：", "{n} towns matched. Check, then confirm:"),
    "data.current_zones": ("当前街镇范围", "Current town zones"),
    "data.new_zones": ("文件中的边界", "Boundaries in the file"),
    "data.boundary_confirm": ("确认替换街镇范围", "Confirm: replace the town zones"),
    "data.boundary_done": ("已替换为官方边界。", "The official boundaries are now in use."),
    "data.backup": ("备份与恢复（管理员）", "Backup and restore (administrators)"),
    "data.backup_make": ("生成备份", "Make a backup"),
    "data.backup_download": ("下载备份文件", "Download the backup"),
    "data.restore": ("从备份恢复：将替换全部数据（站点、用户、审计记录、街镇边界），所有人需重新登录。", "Restore from a backup: replaces ALL data (sites, users, audit, town boundaries); everybody must log in again."),
    "data.restore_upload": ("上传备份文件", "Upload a backup file"),
    "data.restore_summary": ("备份时间 {created}；内容：{counts}", "Backup of {created}; holds: {counts}"),
    "data.restore_confirm": ("我确认用此备份替换全部数据", "I confirm: replace all data with this backup"),
    "data.restore_go": ("恢复", "Restore"),
    "data.restored": ("已恢复：{counts}。请重新登录。", "Restored: {counts}. Please log in again."),
    "data.restored_login_again": ("数据库已从备份恢复，登录会话已结束。", "The database was restored from a backup; the session ended."),
})


# === section: update page / login — owned by the update engineer ===
MESSAGES.update({
    # login (app_pages/login.py)
    "login.header": ("登录", "Log in"),
    "login.name": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.logout": ("退出登录", "Log out"),
    "login.needed": ("修改站点信息须先登录。", "Log in to edit sites."),
    "login.read_needed": ("本系统设置为登录后方可查看。", "This installation shows its data to logged-in users only."),
    "login.empty": ("请输入用户名和密码。", "Enter your user name and password."),
    "login.wrong": ("用户名或密码错误。", "Wrong user name or password."),
    "login.locked": (
        "连续输错密码，账户已锁定至 {until}（北京时间），请稍后再试或联系管理员。",
        "Too many wrong passwords: the account is locked until {until} (Asia/Shanghai). Try again later or ask an administrator.",
    ),
    "login.refused": ("无法登录：{error}", "Cannot log in: {error}"),
    "login.expired": (
        "会话已失效，请重新登录（{error}）。未保存任何修改。",
        "Your session is no longer valid; please log in again ({error}). Nothing was saved.",
    ),
    "login.as": ("已登录：{name}（{role}）", "Logged in as {name} ({role})"),
    "login.as_town": ("已登录：{name}（{role}，{town}）", "Logged in as {name} ({role}, {town})"),
    "role.admin": ("管理员", "administrator"),
    "role.planner": ("规划人员", "planner"),
    "role.town_official": ("街镇工作人员", "town official"),
    # update page (app_pages/update.py)
    "update.title": ("更新站点信息", "Update sites"),
    "update.my_sites": ("本街镇站点（逾期优先）", "Your town's sites (overdue first)"),
    "update.all_sites": ("全部站点（逾期优先）", "All sites (overdue first)"),
    "update.count": ("共 {n} 个站点，其中 {overdue} 个逾期。", "{n} sites, {overdue} overdue."),
    "update.no_sites": ("没有可编辑的站点。", "No sites to edit."),
    "update.pick": ("选择站点", "Choose a site"),
    "update.current": ("当前信息（版本 {version}）", "Current record (version {version})"),
    "update.form": ("修改", "Edit"),
    "update.status": ("状态", "Status"),
    "update.capacity_value": ("运行能力（数值，留空表示不修改）", "Capacity in operation (value; empty = no change)"),
    "update.capacity_unit": ("单位", "Unit"),
    "update.commissioned": ("投运日期（YYYY-MM-DD 或 YYYY-MM，留空表示不修改）", "Commissioned (YYYY-MM-DD or YYYY-MM; empty = no change)"),
    "update.location_mode": ("位置", "Location"),
    "loc.keep": ("不修改", "no change"),
    "loc.map": ("在地图上点选", "click on the map"),
    "loc.typed": ("输入坐标", "type coordinates"),
    "update.datum": ("坐标系", "Datum"),
    "datum.wgs84": ("WGS-84（GPS、天地图、OpenStreetMap）", "WGS-84 (GPS, Tianditu, OpenStreetMap)"),
    "datum.gcj02": ("GCJ-02（高德、腾讯）", "GCJ-02 (AMap, Tencent)"),
    "datum.bd09": ("BD-09（百度）", "BD-09 (Baidu)"),
    "update.lon": ("经度", "Longitude"),
    "update.lat": ("纬度", "Latitude"),
    "update.map_help": (
        "在下图中点击站点的位置（WGS-84）。虚线为街镇示意范围。",
        "Click the site's position on the map below (WGS-84). Dashed lines are approximate town extents.",
    ),
    "update.map_clicked": ("已点选：经度 {lon}，纬度 {lat}（WGS-84）", "Picked: lon {lon}, lat {lat} (WGS-84)"),
    "update.map_none": ("尚未在地图上点选位置。", "No point picked on the map yet."),
    "update.location_rule": (
        "保存后位置精度为“精确位置”，来源为“街镇填报”；区外的点将被拒绝。",
        "After saving, the precision becomes exact with source official; points outside the district are refused.",
    ),
    "update.bad_number": ("{field} 不是数字：{value}", "{field} is not a number: {value}"),
    "update.note": ("说明", "Note"),
    "update.note_rule": (
        "改为暂停、取消、已关停，或在流程中倒退（如已运行→在建）时，必须填写说明。",
        "A note is required when moving to suspended, cancelled or decommissioned, or backwards in the lifecycle.",
    ),
    "update.note_needed": (
        "此次状态变更（{old} → {new}）须填写说明。",
        "This status change ({old} → {new}) needs a note.",
    ),
    "update.save": ("保存", "Save"),
    "update.nothing": ("没有修改。", "Nothing to change."),
    "update.saved": ("已保存 {site_id}（新版本 {version}）。", "Saved {site_id} (new version {version})."),
    "update.refused": ("未保存：{error}", "Not saved: {error}"),
    "update.stale": (
        "未保存：该站点在您打开后已被修改，表单已按最新数据重新加载，请核对后重试。",
        "Not saved: the site changed after you opened it. The form has been reloaded with the latest data; check and try again.",
    ),
    "update.stale_row": ("{at} {user}：{field} {old} → {new}", "{at} {user}: {field} {old} → {new}"),
    "update.not_yours": (
        "注意：此站点不在您的街镇，保存将被系统拒绝。",
        "Note: this site is not in your town; saving will be refused.",
    ),
    "update.history": ("修改记录", "History"),
    "update.history_site": ("本站点", "This site"),
    "update.history_town": ("本街镇", "This town"),
    "update.history_town_pick": ("街镇", "Town"),
    "update.history_empty": ("暂无修改记录。", "No changes recorded yet."),
    "hist.at": ("时间（北京时间）", "When (Asia/Shanghai)"),
    "hist.user": ("修改人", "Who"),
    "hist.site": ("站点", "Site"),
    "hist.action": ("操作", "Action"),
    "hist.field": ("字段", "Field"),
    "hist.old": ("原值", "Old"),
    "hist.new": ("新值", "New"),
    "hist.note": ("说明", "Note"),
    "action.update": ("修改", "edit"),
    "action.note": ("备注", "note"),
    "action.add_site": ("新增站点", "site added"),
    "action.retire": ("撤销站点", "site retired"),
    "action.seed_add": ("规划数据新增", "added from plan data"),
    "action.reseed": ("规划数据更新", "plan data refreshed"),
    "action.replace_zones": ("导入街镇边界", "town boundaries imported"),
    "update.admin": ("管理员：新增或撤销站点", "Administrator: add or retire sites"),
    "update.add": ("新增站点", "Add a site"),
    "update.add_site_id": ("站点编号（如 X.1）", "Site id (e.g. X.1)"),
    "update.add_name_zh": ("中文名称", "Name (Chinese)"),
    "update.add_name_en": ("英文名称（可选）", "Name (English, optional)"),
    "update.add_town": ("街镇", "Town"),
    "update.add_address": ("地址（可选）", "Address (optional)"),
    "update.add_submit": ("新增", "Add"),
    "update.added": ("已新增站点 {site_id}。", "Site {site_id} added."),
    "update.retire": ("撤销站点", "Retire a site"),
    "update.retire_note": ("撤销原因（必填）", "Reason (required)"),
    "update.retire_submit": ("撤销", "Retire"),
    "update.retired": ("已撤销站点 {site_id}（保留记录，不再显示在地图上）。", "Site {site_id} retired (kept on record, hidden from the map)."),
})


# === section: bulk import messages (wufei_geo/bulk_import.py) ===
MESSAGES.update({
    "import.empty": ("文件为空。", "The file is empty."),
    "import.too_big": (
        "文件过大（{size:.0f} MB，上限 {limit:.0f} MB），未读取。",
        "The file is too large ({size:.0f} MB; the limit is {limit:.0f} MB); it was not read.",
    ),
    "import.encoding": (
        "无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或 XLSX。",
        "Cannot read the file's encoding: save it as a UTF-8 or GBK CSV, or as XLSX.",
    ),
    "import.unreadable": ("无法读取文件：{error}", "Cannot read the file: {error}"),
    "import.no_site_id": (
        "缺少必需的列 site_id（现有列：{columns}）。",
        "The required column site_id is missing (columns found: {columns}).",
    ),
    "import.no_editable": (
        "没有可更新的列：至少需要 {editable} 之一（现有列：{columns}）。",
        "No editable column: need at least one of {editable} (columns found: {columns}).",
    ),
    "import.latlon_pair": ("lon 与 lat 两列必须同时出现。", "Columns lon and lat must come together."),
    "import.blank_id": ("site_id 为空。", "site_id is empty."),
    "import.duplicate_id": ("站点 {site_id} 在第 {first} 行已出现。", "Site {site_id} already appears in row {first}."),
    "import.unknown_site": ("未知站点编号 {site_id}。", "Unknown site id {site_id}."),
    "import.bad_version": ("版本号 {value!r} 不是整数。", "Version {value!r} is not a whole number."),
    "import.stale": (
        "站点 {site_id} 在导出后已被修改（文件中版本 {expected}，当前版本 {current}）：请重新导出后再编辑。",
        "Site {site_id} changed after this file was exported (version {expected} in the file, {current} now): export again and redo the edit.",
    ),
    "import.unknown_status": ("未知状态 {value!r}（可用：{allowed}）。", "Unknown status {value!r} (allowed: {allowed})."),
    "import.note_required": (
        "状态由 {old} 改为 {new} 需要在 note 列填写说明。",
        "Changing the status from {old} to {new} needs a note in the note column.",
    ),
    "import.bad_number": ("{value!r} 不是数字。", "{value!r} is not a number."),
    "import.negative": ("能力不能为负数：{value}。", "Capacity cannot be negative: {value}."),
    "import.unit_missing": ("填写了运行能力数值但缺少单位。", "An operating capacity value needs a unit."),
    "import.value_missing": ("填写了单位但缺少运行能力数值。", "A unit was given without an operating capacity value."),
    "import.bad_unit": ("单位错误：{error}", "Unit refused: {error}"),
    "import.bad_date": (
        "投运日期 {value!r} 无效：请用 YYYY-MM-DD、YYYY-MM 或 YYYY。",
        "Commissioning date {value!r} is not valid: use YYYY-MM-DD, YYYY-MM or YYYY.",
    ),
    "import.future_date": ("投运日期 {value} 在未来。", "Commissioning date {value} is in the future."),
    "import.half_location": ("经度和纬度必须同时填写。", "Give both longitude and latitude."),
    "import.datum_missing": (
        "填写了坐标但未说明坐标系：datum 列填 wgs84、gcj02 或 bd09。",
        "Coordinates need their datum: put wgs84, gcj02 or bd09 in the datum column.",
    ),
    "import.unknown_datum": ("未知坐标系 {value!r}（可用：wgs84, gcj02, bd09）。", "Unknown datum {value!r} (allowed: wgs84, gcj02, bd09)."),
    "import.outside": (
        "坐标 ({lon}, {lat}, {datum}) 不在青浦区内。",
        "The point ({lon}, {lat}, {datum}) is outside Qingpu District.",
    ),
    "import.refused": ("存储拒绝：{error}", "Refused by the store: {error}"),
    "import.has_errors": (
        "文件有 {n} 处错误，未做任何修改。",
        "The file has {n} errors; nothing was changed.",
    ),
})


def t(key: str, lang: str = DEFAULT_LANG, **fmt: object) -> str:
    """The message ``key`` in ``lang``; unknown keys come back as the key (visible, not a crash)."""
    pair = MESSAGES.get(key)
    text = key if pair is None else pair[1 if lang == "en" else 0]
    return text.format(**fmt) if fmt else text


def _pick(table: dict[str, tuple[str, str]], code: object, lang: str) -> str:
    if code is None or (isinstance(code, float) and code != code):
        return t("common.unknown", lang)
    pair = table.get(str(code))
    if pair is None:
        return str(code)
    return pair[1 if lang == "en" else 0]


def status_label(code: object, lang: str = DEFAULT_LANG) -> str:
    """Status code → 已运行 / Operating; null → 未知 / unknown."""
    return _pick(STATUS_LABELS, code, lang)


def category_label(code: object, lang: str = DEFAULT_LANG) -> str:
    """Category code → 湿垃圾处理 / Wet-waste treatment."""
    return _pick(CATEGORY_LABELS, code, lang)


def precision_label(code: object, lang: str = DEFAULT_LANG) -> str:
    """Location precision code → 街镇驻地（近似） / town seat (approximate)."""
    return _pick(PRECISION_LABELS, code, lang)


def wet_waste_mode_label(code: object, lang: str = DEFAULT_LANG) -> str:
    return _pick(WET_WASTE_MODE_LABELS, code, lang)


def unit_label(unit: object, lang: str = DEFAULT_LANG) -> str:
    """Unit → 吨/日 / t/d.  Units not in the catalogue are shown as written."""
    if unit is None or (isinstance(unit, float) and unit != unit) or unit == "":
        return ""
    pair = UNIT_LABELS.get(str(unit))
    return str(unit) if pair is None else pair[1 if lang == "en" else 0]


# --- audit trail (history table, "last change" column) --------------------------------------
MESSAGES.update({
    "source.official": ("街镇/管理人员录入", "entered by an official"),
    "analysis.towns.population_source": ("人口口径（数据来源原文）：{note}", "Population figure: {note}"),
})

# --- issue 13: a map a planner can read at a glance ---
MESSAGES.update({
    "legend.marker": ("标记（颜色 = 状态）", "Markers (colour = status)"),
    "legend.outline.precise": ("实线边框：精确/按地址", "solid outline: exact or address"),
    "legend.outline.approx": ("虚线边框：近似位置（街镇驻地附近）", "dashed outline: approximate (near town seat)"),
    "legend.badge.overdue": ("逾期（目标年份已过）", "overdue (target year passed)"),
    "legend.badge.stale": ("信息久未更新", "not updated for a long time"),
    "legend.badge.pending": ("待核实", "awaiting confirmation"),
    "choropleth.unit.site_count": ("个", "sites"),
    "choropleth.unit.wet_waste_tpd": ("吨/日", "t/d"),
    "choropleth.unit.capacity_per_10k": ("吨/日·万人", "t/d per 10,000 residents"),
    "legend.size_short": ("大小 = 同类相对能力", "size = capacity within category"),
    "map.same_place": ("同一位置还有 {n} 个站点：", "{n} more sites at this place:"),
    "map.unlocated.title": ("位置未知的站点 ({n})", "Sites with unknown location ({n})"),
    "map.unlocated.help": (
        "这些站点没有坐标、所属街镇也不明，地图上不画出（不编造位置），但计入所有合计。选择一行即选中该站点。",
        "These sites have no coordinate and no known town, so they are not drawn (no made-up places); they count in every total. Select a row to select the site.",
    ),
    "map.unlocated.none": ("所有显示的站点都已在地图上。", "Every site shown is on the map."),
    "map.share_hint": ("复制浏览器地址栏的链接，同事打开即为同一视图（筛选、着色、底图、选中站点）。", "Copy the address bar: the link opens this same view (filters, shading, basemap, selected site)."),
})

# --- issue 11: one number everywhere, unknown never zero, honest forecast (numbers part) ---
MESSAGES.update({
    "figures.unknown_suffix.capacity": ("（{n} 个站点能力未知）", " (capacity of {n} site(s) unknown)"),
    "figures.unknown_suffix.villages": ("（{n} 个设施未填写服务行政村）", " ({n} facilities have not listed the villages they serve)"),
    "figures.unit.sites": ("个站点", "sites"),
    "figures.unit.t/d": ("吨/日", "t/d"),
    "figures.unit.t/d per 10k": ("吨/日/万人", "t/d per 10,000 residents"),
    "analysis.measure.wet_waste_tpd": ("湿垃圾能力（已登记，吨/日）", "wet-waste capacity, registered (t/d)"),
    "analysis.measure.capacity_per_10k": ("每万人湿垃圾能力（已登记）", "registered wet-waste capacity per 10,000 residents"),
    "analysis.measure.served_village_count": ("镇域内集中处置的行政村数", "villages whose wet waste is treated within their town"),
    "analysis.state.unmeasured": ("未测量", "not yet measured"),
    "analysis.unit.villages_served": ("个行政村", "villages"),
    "analysis.headline_today": ("今日运行 {achieved}；目标 {target} {unit}（{share}）", "Operating today {achieved}; goal {target} {unit} ({share})"),
    "analysis.registered_after": (
        "规划项目完成后（已登记：规划中、在建、试运行、已运行）：{registered}（目标的 {share}）",
        "After the plan's projects (registered: planned, under construction, commissioning, operating): {registered} ({share} of the goal)",
    ),
    "analysis.existing_part": (
        "今日运行中含现有设施（改造项目完成前）的能力：{value}",
        "Operating today includes existing facilities before their upgrade: {value}",
    ),
    "analysis.metric.operating_today": ("今日运行", "Operating today"),
    "analysis.metric.after_projects": ("规划项目完成后", "After the plan's projects"),
    "analysis.forecast.reached": ("已于 {year} 年达到目标", "The goal was reached in {year}"),
    "analysis.forecast.reached_late": ("已于 {year} 年达到目标，晚于目标年份 {target_year}", "The goal was reached in {year}, after the target year {target_year}"),
    "analysis.forecast.unmeasured": ("未测量：尚无设施填写其服务的行政村", "Not yet measured: no facility has listed the villages it serves"),
    "analysis.forecast.cannot_tell": (
        "无法判断何时达到目标：取决于 {n} 个站点——{sites}",
        "Cannot tell when the goal is reached: it depends on {n} sites — {sites}",
    ),
    "analysis.forecast.reason.status_unconfirmed": ("状态久未确认", "status not confirmed recently"),
    "analysis.forecast.reason.no_expected_date": ("无预计投运日期", "no expected date"),
    "analysis.forecast.reason.expected_date_passed": ("预计日期已过", "expected date passed"),
    "analysis.forecast.reason.unknown_capacity": ("能力未知", "capacity unknown"),
    "analysis.forecast.reason.unknown_existing_capacity": ("现有能力未知", "existing capacity unknown"),
    "analysis.forecast.reason.no_served_villages": ("未填写服务行政村", "served villages not listed"),
    "analysis.forecast.reason.no_date": ("无投运日期", "no commissioning date"),
    "analysis.forecast.short.cannot_tell": ("无法判断", "cannot tell"),
    "analysis.forecast.short.not_reachable": ("现有项目不足", "not with the registered sites"),
    "analysis.forecast.short.unmeasured": ("未测量", "not measured"),
    "analysis.forecast.short.untracked": ("—", "—"),
    "analysis.forecast.short.reached": ("—", "—"),
    "analysis.forecast.short.expected": ("—", "—"),
    "analysis.forecast_rule": (
        "预测：已运行站点按实际投运日期计入；其余站点只按街镇填写的预计投运日期计入，且其状态须在 {months} 个月内确认过、日期未过。"
        "其他站点可能在今年以后任何一年到位，也可能不到位，因此只要结果取决于它们，就显示“无法判断”并列出这些站点——绝不因今天的日期推出年份。",
        "Forecast: operating sites count from their actual commissioning date; other sites only from the expected date their "
        "town gave, when their status was confirmed within {months} months and the date has not passed. Any other site may "
        "arrive in any year from now on, or never — so when the answer depends on them it says it cannot tell and names them. "
        "Today's date never supplies a year.",
    ),
    "analysis.col.forecast": ("预测", "Forecast"),
    "analysis.unplaced": (
        "{n} 个站点没有可信的日期（无预计投运日期、日期已过或状态久未确认），未放入任何年份：{ids}",
        "{n} sites have no trustworthy date (no expected date, date passed or status not confirmed recently) and are in no year: {ids}",
    ),
    "analysis.col.expected_commissioning": ("预计投运", "Expected"),
    "analysis.col.status_confirmed_at": ("状态确认于", "Status confirmed"),
    "analysis.towns.figures": ("街镇数值（按侧栏筛选）", "Town figures (sidebar filters applied)"),
    "analysis.towns.figures_note": (
        "数值按侧栏筛选后的站点计算，与地图着色、简报、工作簿和 towns --json 一致；目标进度按全部站点计算。",
        "Figures are for the sites passing the sidebar filters — the same as the map's shading, the briefing, the workbook "
        "and towns --json; target progress always counts all sites.",
    ),
    "analysis.report.filters": ("街镇数值的筛选：{filters}", "Town figures filtered by: {filters}"),
    "analysis.report.no_filters": ("无（全部站点）", "none (all sites)"),
    "field.expected_commissioning": ("预计投运日期", "Expected commissioning"),
    "field.served_villages": ("服务行政村", "Villages served"),
    "field.status_confirmed_at": ("状态确认时间", "Status confirmed at"),
    "field.status_confirmed_by": ("状态确认人", "Status confirmed by"),
    "update.expected_commissioning": ("预计投运日期（YYYY-MM-DD、YYYY-MM 或 YYYY）", "Expected commissioning (YYYY-MM-DD, YYYY-MM or YYYY)"),
    "update.expected_help": (
        "预测只采用状态在近期确认过、日期未过的预计日期；保存任何修改即确认当前状态。",
        "The forecast uses an expected date only while the status is recently confirmed and the date has not passed; saving any change confirms the current status.",
    ),
    "update.baseline_capacity": ("现有设施在项目前的处理能力", "Capacity of the existing facility before the project"),
    "update.baseline_help": (
        "例如 E.11 国清综合处理厂的现有湿垃圾处理能力；计入“今日运行”。须在说明中注明来源。",
        "E.g. the present wet-waste capacity of the 国清 plant (E.11); counts toward “operating today”. Name the source in the note.",
    ),
    "update.served_villages": ("本设施集中处置其湿垃圾的行政村（用 、 或 ; 分隔）", "Villages whose wet waste this facility treats (separate with 、 or ;)"),
    "update.served_villages_help": (
        "用于“力争50个以上行政村湿垃圾实现镇域范围内集中处置”目标；留空表示尚未填写（未测量）。",
        "Counts toward the ≥ 50 villages target (wet waste treated within the town); empty means not yet filled in (not measured).",
    ),
})

# audit field → message key of its label
AUDIT_FIELD_KEYS: dict[str, str] = {
    "status": "field.status",
    "operating_capacity_value": "field.operating_capacity",
    "operating_capacity_unit": "update.capacity_unit",
    "operating_capacity_norm": "field.capacity_norm",
    "capacity_value": "field.capacity",
    "capacity_unit": "update.capacity_unit",
    "commissioned": "field.commissioned",
    "lon": "field.lon",
    "lat": "field.lat",
    "precision": "field.precision",
    "location_source": "field.location_source",
    "status_source": "field.status_source",
    "status_as_of": "field.status_as_of",
    "expected_commissioning": "field.expected_commissioning",
    "served_villages": "field.served_villages",
}


def audit_field_label(field: object, lang: str = DEFAULT_LANG) -> str:
    """An audit row's field name as the user reads it (``operating_capacity_unit`` → 单位);
    fields without a label are shown as stored."""
    if field is None or field == "":
        return ""
    key = AUDIT_FIELD_KEYS.get(str(field))
    return t(key, lang) if key and key in MESSAGES else str(field)


def audit_value_label(field: object, value: object, lang: str = DEFAULT_LANG) -> str:
    """An audit row's old/new value in ``lang``: status, precision and unit codes get their
    labels, the store's ``official`` source marker a phrase; empty stays empty; anything else
    (numbers, dates, free text) is shown as stored."""
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return ""
    f = str(field or "")
    if f == "status":
        return status_label(value, lang)
    if f == "precision":
        return precision_label(value, lang)
    if f.endswith("_unit"):
        return unit_label(value, lang) or str(value)
    if f in ("location_source", "status_source"):
        text = str(value)
        if text == "official":
            return t("source.official", lang)
        if text.startswith("official: "):
            return f"{t('source.official', lang)}: {text[len('official: '):]}"
        return text
    return str(value)


def last_change_label(change: dict | None, lang: str = DEFAULT_LANG) -> str:
    """A site's latest audit row (``Store.last_changes()``) as one line: when · who · field: old → new."""
    if not change:
        return ""
    parts = [str(change.get("at_local") or change.get("at") or ""), str(change.get("user_name") or "")]
    field = change.get("field")
    if field:
        old = audit_value_label(field, change.get("old_value"), lang) or "—"
        new = audit_value_label(field, change.get("new_value"), lang) or "—"
        parts.append(f"{audit_field_label(field, lang)}: {old} → {new}")
    return " · ".join(p for p in parts if p)


# --- issue 11v: validation — site rules, 待核实 proposals, design capacity ---
MESSAGES.update({
    "import.insist_hint": ("如数值无误，可在 insist 列填“是”并在 note 列说明理由（街镇人员的修改将作为待核实，经规划人员确认后生效）。", "If the value is right, put yes in the insist column and say why in the note column (a town official's edit then awaits a planner's confirmation as 待核实)."),
    "rule.capacity_above_design": ("运行能力 {value:g} {unit} 超过设计能力 {design:g} {unit}。", "Operating capacity {value:g} {unit} is above the site's design capacity {design:g} {unit}."),
    "rule.capacity_jump": ("运行能力 {value:g} {unit} 与原值 {previous:g} {unit} 相差超过 10 倍（设计能力：{design_text}）。", "Operating capacity {value:g} {unit} is more than 10× away from the previous {previous:g} {unit} (design capacity: {design_text})."),
    "rule.commissioned_before_site": ("投运日期 {value} 早于规划建设期起点 {floor}（{project_id} 为规划项目）。", "Commissioning date {value} is before the plan's construction period began ({floor}); {project_id} is a project of the plan."),
    "rule.outside_own_zone": ("新位置不在本街镇（{town}）范围内：迁往其他街镇须经规划人员确认。", "The new location is outside your town ({town}): moving a site to another town needs a planner's confirmation."),
    "rule.unit_category_mismatch": ("单位 {unit} 与该站点类别不符（应为 {expected_unit}）。", "Unit {unit} does not fit the site's category (capacities are in {expected_unit})."),
    "rule.commissioned_in_future": ("投运日期 {value} 晚于今天。", "Commissioning date {value} is in the future."),
    "update.rule_design": ("设计能力：{design}", "Design capacity: {design}"),
    "update.implausible": ("未保存：修改不合常理（规则 {rules}）。", "Not saved: the edit looks implausible (rule {rules})."),
    "update.insist": ("数值无误，坚持提交（须填写说明）", "The value is right: insist (a note is required)"),
    "update.insist_help": ("街镇人员坚持提交的修改将标为“待核实”，经规划人员或管理员确认后才生效，此前不计入任何合计。", "A town official's insisted edit is marked 待核实 (awaiting confirmation) and counts in no total until a planner or administrator confirms it."),
    "update.proposed": ("已提交待核实修改 #{id}（{site_id}）：经规划人员确认后生效。", "Submitted for confirmation as #{id} ({site_id}): it takes effect once a planner confirms it."),
    "update.pending_here": ("待核实：本站点有修改等待规划人员确认（#{id}，{who}，{at}）：{changes}", "待核实 (awaiting confirmation): an edit of this site awaits a planner's confirmation (#{id}, {who}, {at}): {changes}"),
    "update.proposals": ("待核实修改", "Edits awaiting confirmation (待核实)"),
    "update.proposals_none": ("没有待核实的修改。", "No edits await confirmation."),
    "update.proposal_pick": ("待核实修改", "Proposal"),
    "update.proposal_decision_note": ("核实说明（驳回时必填）", "Note (required to reject)"),
    "update.proposal_confirm": ("确认", "Confirm"),
    "update.proposal_reject": ("驳回", "Reject"),
    "update.proposal_confirmed": ("已确认待核实修改 #{id}，站点 {site_id} 已更新。", "Proposal #{id} confirmed; site {site_id} updated."),
    "update.proposal_rejected": ("已驳回待核实修改 #{id}。", "Proposal #{id} rejected."),
    "update.design": ("设定设计能力", "Set the design capacity"),
    "update.design_value": ("设计能力数值", "Design capacity"),
    "update.design_source": ("来源（必填）", "Source (required)"),
    "update.design_submit": ("保存设计能力", "Save design capacity"),
    "update.design_saved": ("已更新 {site_id} 的设计能力。", "Design capacity of {site_id} updated."),
    "proposal.col_id": ("编号", "No."),
    "proposal.col_site": ("站点", "Site"),
    "proposal.col_by": ("提交人", "Proposed by"),
    "proposal.col_at": ("提交时间", "Proposed at"),
    "proposal.col_changes": ("修改内容", "Changes"),
    "proposal.col_rules": ("规则", "Rules"),
    "proposal.col_note": ("说明", "Note"),
    "field.pending": ("待核实", "Awaiting confirmation (待核实)"),
    "action.propose": ("提交待核实", "proposed (待核实)"),
    "action.confirm_proposal": ("确认待核实", "proposal confirmed"),
    "action.reject_proposal": ("驳回待核实", "proposal rejected"),
    "action.override": ("越过规则", "rule overridden"),
    "action.set_design_capacity": ("设定设计能力", "design capacity set"),
    "data.import_proposals": ("其中 {n} 个站点的修改不合常理且已坚持提交，将作为待核实，经规划人员确认后生效：{sites}", "{n} sites' edits break a plausibility rule and were insisted on: they are stored as 待核实 and take effect once a planner confirms them: {sites}"),
})

# --- issue 12: confirmations, freshness, update rounds, the per-town update workbook ---
MESSAGES.update({
    "action.confirm": ("确认无变化", "confirmed unchanged"),
    "action.open_round": ("发起更新轮次", "update round opened"),
    "action.close_round": ("结束更新轮次", "update round closed"),
    "import.bad_confirm": ("“确认无变化”一栏只能填 是/yes/1 或留空，而不是 {value!r}", "the confirm cell must be yes/是/1 or empty, not {value!r}"),
    "import.confirm_unchanged": ("确认无变化（{status}）", "confirmed unchanged ({status})"),
    "round.header": ("更新轮次", "Update round"),
    "round.banner": ("更新轮次「{title}」进行中（截止 {deadline}；类别：{categories}）：本街镇 {total} 个站点中还有 {todo} 个待确认或更正。", "Update round “{title}” is open (deadline {deadline}; categories: {categories}): {todo} of your town's {total} sites still to confirm or correct."),
    "round.all_categories": ("全部", "all"),
    "round.open_now": ("进行中：#{id}「{title}」，截止 {deadline}，类别：{categories}（{by} 于 {at} 发起）", "Open: #{id} “{title}”, deadline {deadline}, categories: {categories} (opened by {by} at {at})"),
    "round.col_town": ("街镇", "Town"),
    "round.col_answered": ("已答复", "Answered"),
    "round.col_total": ("站点数", "Sites"),
    "round.col_progress": ("进度", "Progress"),
    "round.col_last": ("最近答复", "Last answer"),
    "round.col_id": ("编号", "No."),
    "round.col_opened": ("发起", "Opened"),
    "round.col_closed": ("结束", "Closed"),
    "round.col_answers": ("答复数", "Answers"),
    "round.close": ("结束本轮", "Close the round"),
    "round.closed": ("更新轮次 #{id} 已结束。", "Update round #{id} closed."),
    "round.none": ("目前没有进行中的更新轮次。发起一轮，请各街镇确认或更正其站点：", "No update round is open. Open one to ask the towns to confirm or correct their sites:"),
    "round.title": ("标题", "Title"),
    "round.deadline": ("截止日期", "Deadline"),
    "round.towns": ("街镇（不选 = 全部）", "Towns (none = all)"),
    "round.categories": ("类别（不选 = 全部）", "Categories (none = all)"),
    "round.open": ("发起更新轮次", "Open the round"),
    "round.opened": ("已发起更新轮次 #{id}「{title}」。", "Update round #{id} “{title}” opened."),
    "round.past": ("已结束的轮次（{n}）", "Closed rounds ({n})"),
    "confirm.header": ("确认状态无变化", "Confirm statuses unchanged"),
    "confirm.help": ("状态没有变化时，点“确认无变化”即可（记录确认人和时间，不修改其他内容）；有变化请在下方表单中修改。", "When a status has not changed, “confirm unchanged” records who confirmed it and when (nothing else changes); edit it in the form below when it has."),
    "confirm.only_todo": ("只显示待确认（本轮未答复或已过期）", "Only those to confirm (not answered in the round, or stale)"),
    "confirm.none_left": ("没有待确认的站点。", "No sites left to confirm."),
    "confirm.flag_round": ("本轮待确认", "to confirm in this round"),
    "confirm.flag_stale": ("已过期未确认", "stale"),
    "confirm.last": ("最近确认：{at}", "last confirmed: {at}"),
    "confirm.button": ("确认无变化", "Confirm unchanged"),
    "confirm.all": ("确认以上全部无变化（{n} 个站点）", "Confirm all shown unchanged ({n} sites)"),
    "confirm.too_many": ("共 {n} 个站点：勾选“只显示待确认”或在下方逐个选择站点。", "{n} sites: tick “only those to confirm” or pick sites one by one below."),
    "confirm.done": ("已确认 {n} 个站点无变化：{sites}", "Confirmed {n} sites unchanged: {sites}"),
    "confirm.site_button": ("确认本站点状态无变化", "Confirm this site's status unchanged"),
    "confirm.site_done": ("已确认 {site_id} 状态无变化。", "{site_id}: status confirmed unchanged."),
    "workbook.header": ("街镇更新表（Excel）", "Town update workbook (Excel)"),
    "workbook.town": ("街镇", "Town"),
    "workbook.download": ("下载 {town} 更新表（.xlsx）", "Download the update workbook of {town} (.xlsx)"),
    "workbook.help": ("表中状态可从下拉列表选择，“确认无变化”填“是”；填好后在“数据”页“批量更新”上传，预览无误后应用。", "Pick statuses from the dropdown and put 是 (yes) in the confirm column; upload it on the Data page (bulk update): the dry run shows every change before it is applied."),
    "field.stale": ("已过期未确认", "Stale"),
    "field.status_confirmed": ("最近确认", "Last confirmed"),
    "field.round_todo": ("本轮待确认", "To confirm (round)"),
    "freshness.col_confirmed": ("期内已确认", "Confirmed within period"),
    "freshness.col_stale": ("已过期未确认", "Stale"),
    "freshness.col_last": ("最近确认", "Last confirmation"),
    "freshness.towns_caption": ("“期内已确认”：状态在最近 {months} 个月内经街镇或规划人员确认（修改即确认）；其余为已过期未确认。", "“Confirmed within period”: the status was confirmed by a town official or planner in the last {months} months (an edit confirms); the others are stale."),
    "freshness.behind": ("计入该数字的 {total} 个站点中，{n} 个的状态超过 {months} 个月未确认（已过期）。", "Of the {total} sites behind this figure, {n} have a status not confirmed for over {months} months (stale)."),
    "freshness.line": ("状态确认：{sites} 个站点中 {confirmed} 个在 {months} 个月内确认，{stale} 个已过期；最近确认 {last}", "Status confirmation: {confirmed} of {sites} sites confirmed within {months} months, {stale} stale; last confirmed {last}"),
    "round.answers": ("答复明细（{n}）", "Answers ({n})"),
    "round.col_at": ("时间", "When"),
    "round.col_by": ("答复人", "By"),
    "round.col_site": ("站点", "Site"),
    "round.col_answer": ("答复", "Answer"),
    "round.answer.confirm": ("确认无变化", "confirmed unchanged"),
    "round.answer.update": ("修改", "edited"),
    "round.answer.propose": ("提交待核实", "proposed (待核实)"),
    "update.stale_count": ("其中 {n} 个站点的状态超过 {months} 个月未确认（已过期）。", "{n} of them have a status not confirmed for over {months} months (stale)."),
})
