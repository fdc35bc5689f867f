"""The hostile-input corpus: every bad input, the entry points it reaches, and what must happen.

Each :class:`Case` names its ``entries`` (where the input is put in) and ``expect``: ``"refused"``
(a clear message, the database unchanged) or ``"literal"`` (accepted as data, stored byte for byte,
and shown only as literal text: escaped in map HTML, terminal-safe in the CLI, a string — never a
formula — in spreadsheets).  The tests in this folder iterate over these lists; nothing here
decides an outcome by itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    id: str
    description: str
    value: object
    entries: tuple[str, ...]
    expect: str  # "refused" | "literal" | "accepted"
    notes: dict[str, str] = field(default_factory=dict)  # per-entry expectation when it differs


# Entry points (names used in the results and the report).
# The app's forms, driven through Streamlit's AppTest (tests/hostile/test_app_forms.py).
APP_NOTE = "app:更新 form(note, with a status change)"
APP_NAME = "app:admin add-site form(name_zh)"
APP_LOGIN = "app:login form(user name)"
APP_CAPACITY = "app:更新 form(capacity value + unit)"
APP_LOCATION = "app:更新 form(location typed, datum)"
APP_COMMISSIONED = "app:更新 form(commissioning date)"
NOTE_ENTRIES = ("store.update_site(note)", "cli:status set --note", "bulk_import(note column)", APP_NOTE)
NAME_ENTRIES = ("store.add_site(name_zh)→map HTML", "exports CSV/XLSX(name_zh)", APP_NAME)
USER_ENTRIES = ("auth.create_user(name)", "cli:users add NAME", APP_LOGIN)

# --- text fields: note, site name, user name ------------------------------------------------
# Every text that reaches a form is also typed as a log-in name: an account of that name can
# exist only where auth.create_user accepts it (else the log-in is refused, nothing written).
_T = NOTE_ENTRIES + NAME_ENTRIES + (APP_LOGIN,)
_TU = NOTE_ENTRIES + NAME_ENTRIES + USER_ENTRIES
_NO_APP_LOGIN = {APP_LOGIN: "refused"}  # not a valid user name (too long, invisible characters)
TEXT_CASES: tuple[Case, ...] = (
    Case("html-img", "HTML with an event handler", "<img src=x onerror=alert(1)>", _TU, "literal"),
    Case("script-tag", "a script element", "<script>alert('x')</script>", _TU, "literal"),
    Case("attr-break", "breaks out of an attribute, then SVG onload", "\"'><svg onload=alert(1)>", _TU, "literal"),
    Case("js-url", "javascript: URL", "javascript:alert(document.cookie)", _T, "literal"),
    Case("md-link", "markdown link with a javascript: target", "[点此](javascript:alert(1)) **粗体**", _T, "literal"),
    Case("template", "template/expression syntax", "{{7*7}} ${7*7} <%= 7*7 %>", _T, "literal"),
    Case("jinja-ssti", "server-side template injection (Jinja: reach os through globals)",
         "{{ cycler.__init__.__globals__.os.getcwd() }}{% print(7*7) %}{# c #}", _T, "literal",
         _NO_APP_LOGIN),
    Case("sql-drop", "SQL: close the string and drop a table", "'); DROP TABLE sites; --", _TU, "literal"),
    Case("sql-or", "SQL: always-true condition", "' OR '1'='1", _TU, "literal"),
    Case("sql-comment", "SQL comment and statement separator", "x\"; DELETE FROM audit; /*", _T, "literal"),
    Case("formula", "spreadsheet formula (CSV/XLSX injection)", "=HYPERLINK(\"http://evil.example\",\"点击\")", _T, "literal"),
    Case("formula-plus", "formula starting with + / @", "+cmd|' /C calc'!A0", _T, "literal"),
    Case("long-10k-ascii", "10,000 ASCII characters", "A" * 10_000, _T, "literal", _NO_APP_LOGIN),
    Case("long-10k-cjk", "10,000 CJK characters", "无废城市" * 2_500, _T, "literal", _NO_APP_LOGIN),
    Case("long-name", "a 10,000-character user name", "u" * 10_000, USER_ENTRIES, "refused"),
    Case("nul", "a NUL byte", "a\x00b", _TU, "refused"),
    Case("ansi-escape", "terminal escape sequence (ANSI colour, clear screen)", "\x1b[31m红\x1b[2J", _TU, "refused",
         {e: "literal" for e in NOTE_ENTRIES}),
    Case("bell-backspace", "bell and backspaces", "ok\x07\x08\x08\x08", _T, "refused", {e: "literal" for e in NOTE_ENTRIES}),
    Case("newlines", "CR/LF inside a one-line field", "第一行\r\n第二行\n", NOTE_ENTRIES, "literal"),
    Case("rtl-override", "right-to-left override (spoofs text direction)", "\u202etxt.exe", _T, "literal",
         {e: "refused" for e in USER_ENTRIES}),
    Case("rtl-user", "RTL mark in a user name", "admin\u200f", USER_ENTRIES, "refused"),
    Case("zero-width", "zero-width space in a user name (look-alike account)", "ad\u200bmin", USER_ENTRIES, "refused"),
    Case("emoji", "emoji with ZWJ sequences and skin tones", "♻️🚮👩🏽‍🔧🇨🇳", _T, "literal", _NO_APP_LOGIN),
    Case("emoji-user", "emoji in a user name", "♻️回收员", USER_ENTRIES, "literal"),
    Case("rare-cjk", "CJK extension B and a rare character (𠀀, 𪚥)", "𠀀𪚥站", _TU, "literal"),
    # Streamlit cannot carry a lone surrogate from a browser (its messages are UTF-8 protobuf), so
    # the app's forms are not entry points for it (test_app_forms shows AppTest cannot send it).
    Case("lone-surrogate", "a lone UTF-16 surrogate (not encodable)", "bad\ud800",
         tuple(e for e in _TU if not e.startswith("app:")), "refused"),
    Case("whitespace-only", "only blanks (a note that says nothing)", "  \t ", ("store.update_site(note)", APP_NOTE), "refused"),
    # the commissioning date is a text field of the 更新 form (the core's date check decides)
    Case("date-future", "a commissioning date in the future", "2099-01-01", (APP_COMMISSIONED,), "refused"),
    Case("date-impossible", "a commissioning date that does not exist (30 February)", "2023-02-30",
         (APP_COMMISSIONED,), "refused"),
)
# Issue 15: a user name is an identifier with a strict character set (letters, digits, symbols,
# " .-_@·"): these texts, stored literally elsewhere, can no longer be an account's name — created
# nowhere, and typed into the log-in form they are refused like any unknown name.
NOT_A_USER_NAME = ("html-img", "script-tag", "attr-break", "js-url", "md-link", "template", "sql-drop", "sql-or",
                   "sql-comment", "formula", "formula-plus")
TEXT_CASES = tuple(
    Case(c.id, c.description, c.value, c.entries, c.expect,
         {**c.notes, **{e: "refused" for e in (*USER_ENTRIES, APP_LOGIN) if e in c.entries}})
    if c.id in NOT_A_USER_NAME else c
    for c in TEXT_CASES
)
DATE_CASES: tuple[Case, ...] = tuple(c for c in TEXT_CASES if APP_COMMISSIONED in c.entries)

# --- values: capacities, units, coordinates ------------------------------------------------------
CAPACITY_CASES: tuple[Case, ...] = (
    Case("cap-nan", "capacity NaN", (float("nan"), "t/d"), ("store", "bulk_import", APP_CAPACITY), "refused"),
    Case("cap-nan-text", "capacity 'nan' as text", ("nan", "t/d"), ("store", "bulk_import", APP_CAPACITY), "refused"),
    Case("cap-inf", "capacity +Inf", (float("inf"), "t/d"), ("store", "bulk_import", APP_CAPACITY), "refused"),
    Case("cap-inf-text", "capacity '1e999' (overflows to Inf)", ("1e999", "t/d"), ("store", "bulk_import", APP_CAPACITY), "refused"),
    Case("cap-neg", "negative capacity", (-5, "t/d"), ("store", "bulk_import", APP_CAPACITY), "refused"),
    Case("cap-huge-overflow", "finite value that overflows when normalised (1e308 万吨/年 → Inf)", ("1e308", "万吨/年"),
         ("store", "bulk_import", APP_CAPACITY), "refused"),
    Case("cap-text", "capacity in words", ("三百", "t/d"), ("store", "bulk_import", APP_CAPACITY), "refused"),
    Case("cap-unit-wrong-kind", "a power unit for a wet-waste site", (300, "kW"), ("store", "bulk_import", APP_CAPACITY), "refused"),
    Case("cap-unit-yearly", "a yearly unit for a daily-capacity site", (300, "吨/年"), ("store", "bulk_import", APP_CAPACITY), "refused"),
    Case("cap-unit-unknown", "an unknown unit", (300, "furlongs/fortnight"), ("store", "bulk_import"), "refused"),
    Case("cap-unit-missing", "a value without unit", (300, ""), ("store", "bulk_import"), "refused"),
    Case("cap-unit-markup", "markup as the unit", (300, "<b>t/d</b>"), ("store", "bulk_import"), "refused"),
    Case("cap-kg", "500 kg/d is 0.5 t/d (the factor is applied)", (500, "kg/d"), ("store", "bulk_import", APP_CAPACITY), "accepted"),
)

# (lon, lat, datum) as typed; the district's seat is near (121.124, 31.150) WGS-84.
COORD_CASES: tuple[Case, ...] = (
    Case("xy-swapped", "latitude first (31.15, 121.12)", (31.150, 121.124, "wgs84"), ("store", "bulk_import", APP_LOCATION), "refused"),
    Case("xy-dms", "degrees-minutes-seconds text", ("121°07′26″E", "31°09′00″N", "wgs84"), ("store", "bulk_import", APP_LOCATION), "refused"),
    Case("xy-projected", "projected metres (CGCS2000 GK, EPSG:4549)", (500000.0, 3447000.0, "wgs84"), ("store", "bulk_import", APP_LOCATION), "refused"),
    Case("xy-outside", "central Shanghai (黄浦), outside Qingpu", (121.47, 31.23, "wgs84"), ("store", "bulk_import", APP_LOCATION), "refused"),
    Case("xy-null-island", "(0, 0)", (0.0, 0.0, "wgs84"), ("store", "bulk_import", APP_LOCATION), "refused"),
    Case("xy-nan", "NaN coordinates", (float("nan"), float("nan"), "wgs84"), ("store", "bulk_import", APP_LOCATION), "refused"),
    Case("xy-datum-unknown", "an unknown datum", (121.124, 31.150, "cgcs2000-gk"), ("store", "bulk_import"), "refused"),
    Case("xy-gcj02", "a GCJ-02 point inside the district, declared as such", (121.1285, 31.1481, "gcj02"), ("store", "bulk_import", APP_LOCATION), "accepted"),
)

# --- files ---------------------------------------------------------------------------------------
SPREADSHEET_CASES = (
    "csv-empty", "csv-header-only", "csv-truncated-quote", "csv-binary", "csv-utf16", "csv-no-site-id",
    "csv-gbk", "csv-utf8-bom", "csv-utf8", "xlsx-truncated", "xlsx-not-a-zip", "xlsx-csv-renamed",
    "xlsx-empty-sheet", "csv-200mb",
)
BOUNDARY_CASES = (
    "geojson-empty", "geojson-malformed", "geojson-truncated", "geojson-no-features", "geojson-projected-no-crs",
    "geojson-points", "geojson-bowtie", "geojson-elsewhere", "geojson-gbk", "shp-zip-no-prj", "shp-zip-no-shp",
    "shp-zip-truncated", "geojson-200mb",
)


def all_case_ids() -> list[str]:
    return [c.id for c in TEXT_CASES + CAPACITY_CASES + COORD_CASES] + list(SPREADSHEET_CASES) + list(BOUNDARY_CASES)


# --- round two (issue 15): the classes the first round missed -----------------------------------
# Class → the case ids its tests record (the tests in tests/hostile/ build the inputs).  The
# report counts the recorded outcomes per class and lists any case that was not tried.
ROUND_TWO: dict[str, tuple[str, ...]] = {
    "Lock-out under concurrency": ("parallel-guessing",),
    "Login timing": ("login-timing",),
    "Size bombs in every file reader": (
        "xlsx-150k-rows", "xlsx-wide-row", "xlsx-unpacks-1GB", "xlsx-10M-char-cell", "xlsx-forged-dimension",
        "csv-150k-rows", "csv-10M-char-note", "shp-zip-unpacks-1GB", "geojson-1M-vertices", "backup-zip-bomb"),
    "Official boundaries validated as a whole": (
        "boundary-shifted-gcj02", "boundary-shifted-bd09", "boundary-each-covers-district", "boundary-eleven-specks",
        "boundary-codes-rotated", "boundary-million-vertices", "boundary-small-overlap", "boundary-good"),
    "Nothing the store holds takes the app down": (
        "zone-400m-square", "zone-bowtie", "zone-empty", "zone-not-json", "zone-infinite", "zone-missing-town",
        "bad-values"),
    "No network from reading a file": (
        "geojson-crs-link", "geojson-crs-name-url", "geojson-crs-name-vsicurl", "shp-zip-vrt-url", "shp-zip-vrt-local",
        "shp-zip-prj-url", "gpkg-vrt-url", "gpkg-virtualogr-local", "geojson-crs-urn"),
    "Spreadsheet formulas (CSV for people)": (
        "csv-formula-eq", "csv-formula-plus", "csv-formula-minus", "csv-formula-at", "csv-formula-tab", "csv-formula-cr"),
    "Restore trusts what it reads": (
        "restore-extra-admin", "restore-audit-rewrite", "restore-infinite-coordinates", "restore-terminal-escape-name",
        "restore-terminal-escape-user", "restore-unsigned", "restore-foreign", "restore-unsigned-accepted"),
    "Identifiers reaching markdown/HTML": (
        "siteid-md-image", "siteid-md-link", "siteid-html", "siteid-space", *NOT_A_USER_NAME),
    "Clean failures": (
        "restore-duplicate-rows", "restore-locked-db", "restore-disk-full", "restore-read-only-db", "cli-duplicate-user"),
    "Imports read what the user meant": (
        "csv-mixed-encoding", "number-1,5", "number-1_0", "number-1,50", "number-1.5.2", "number--0.5", "note-over-cap",
        "dry-run-note"),
    "User names (NFKC, case, look-alikes)": (
        "user-case", "user-upper", "user-fullwidth", "user-cyrillic-a", "user-all-cyrillic", "user-greek-o", "user-nfkc"),
}

# ---- round three (issue 27), volume, expansion and faults (hard-volume) ----
# The classes of tests/hostile/ (round three); the report lists each with its counts.
ROUND_THREE_VOLUME: dict[str, tuple[str, ...]] = {
    "What a file expands to (shared strings)": ("xlsx-shared-string-8.7kB",),
    "No volume of stored data takes a reader down": ("town-only-400", "seed-town-only", "located-100k"),
    "Faults named, reads kept": ("db-read-only", "db-full-read", "page-bug", "page-database"),
}
