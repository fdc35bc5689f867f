"""The wufei-geo command line.

Each module in wufei_geo.commands owns a group of sub-commands and exposes
register(subparsers); every sub-parser sets func(args) -> int.  The commands
only parse arguments and print: the work is done by the core modules.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from wufei_geo import commands

DESCRIPTION = "The wufei-geo command line: Qingpu's zero-waste facilities, targets, accounts and data."

# One example per command, shown at the end of its help (commands that set their own epilog keep it).
EXAMPLES: dict[str, str] = {
    "capacity": "wufei-geo capacity --counts-toward centralised --lang en",
    "towns": "wufei-geo towns --json > towns.json",
    "report": "wufei-geo report -o brief.pdf",
    "validate": "wufei-geo validate --dir facilities/",
    "import-boundaries": "wufei-geo import-boundaries towns.gpkg --code-field XZQDM --dry-run",
    "sites": "wufei-geo sites --json > sites.json",
    "export": "wufei-geo export -o qingpu.gpkg --format gpkg --datum wgs84",
    "import-sites": "wufei-geo import-sites updates.xlsx --user admin --apply",
    "inbox": "wufei-geo inbox --user planner1 --json",
    "backup": "wufei-geo backup wufei-backup.zip",
    "restore": "wufei-geo restore wufei-backup.zip --yes",
    "status": "wufei-geo status set E.12-1 operating --user zhaoxiang --note 已投运",
    "status set": "wufei-geo status set E.12-1 operating --user zhaoxiang --note 已投运",
    "history": "wufei-geo history E.12-1",
    "users": "wufei-geo users list",
    "users add": "wufei-geo users add xujing --role town_official --town 徐泾镇",
    "users list": "wufei-geo users list --json",
    "users disable": "wufei-geo users disable xujing",
    "users set-password": "wufei-geo users set-password xujing",
    "status confirm": "wufei-geo status confirm E.12-1 --user zhaoxiang --note 电话核实",
    "edit": "wufei-geo edit E.12-1 --operating-capacity 5 --unit t/d --user zhaoxiang",
    "proposals": "wufei-geo proposals list",
    "proposals list": "wufei-geo proposals list --status all --json",
    "proposals confirm": "wufei-geo proposals confirm 3 --user planner1 --note 电话核实",
    "proposals reject": "wufei-geo proposals reject 3 --user planner1 --note 数值有误",
    "design-capacity": "wufei-geo design-capacity E.11-1 600 t/d --user planner1 --note 附表3 E.11",
    "rounds": "wufei-geo rounds list",
    "rounds open": "wufei-geo rounds open 2026年第四季度核实 --deadline 2026-12-31 --user planner1",
    "rounds close": "wufei-geo rounds close 1 --user planner1",
    "rounds list": "wufei-geo rounds list --json",
    "rounds progress": "wufei-geo rounds progress 1",
    "serve": "wufei-geo serve --server.port 8501",
    "indicators": "wufei-geo indicators --department 区绿化市容局 --status unmeasured",
    "indicators set": "wufei-geo indicators set 27 --year 2025 --value 210 --source 区绿化市容局年报 --user lvhua",
    "indicators judge": "wufei-geo indicators judge 35 met --note 已印发实施方案 --user planner1",
    "indicators pending": "wufei-geo indicators pending --json",
    "indicators workbook": "wufei-geo indicators workbook -o lvhua.xlsx --department 区绿化市容局",
    "indicators import": "wufei-geo indicators import lvhua.xlsx --user lvhua --apply",
    "indicators confirm": "wufei-geo indicators confirm 3 --user planner1 --note 电话核实",
    "indicators reject": "wufei-geo indicators reject 3 --user planner1 --note 数值有误",
}
# Help for options and arguments whose command module gives none.
OPTION_HELP: dict[tuple[str, str], str] = {
    ("export", "--format"): "file format: geojson, gpkg (GeoPackage, all layers), csv or xlsx (default: geojson)",
    ("export", "--datum"): "coordinates of the file: wgs84 (GPS, OSM, 天地图), gcj02 (AMap/Tencent) or bd09 "
                           "(Baidu) (default: wgs84)",
    ("import-sites", "file"): "the CSV or XLSX update file (template: wufei-geo export --format xlsx)",
    ("import-sites", "--lang"): "language of the report: zh or en (default: the locale)",
    ("backup", "file"): "the backup file to write (.zip)",
    ("restore", "file"): "the backup file to read (.zip, made by wufei-geo backup)",
    ("status set", "site_id"): "the site's id, e.g. E.12-1 (see wufei-geo sites)",
    ("status set", "status"): "the new status code",
    ("history", "site_id"): "the site's id, e.g. E.12-1",
    ("history", "--json"): "print the changes as JSON",
    ("users add", "name"): "the new account's log-in name",
    ("users add", "--role"): "admin (accounts, boundaries, backups), planner (edits any site) or "
                             "town_official (edits the sites of one town)",
    ("users list", "--json"): "print the accounts as JSON",
    ("users disable", "name"): "the account to disable",
    ("users set-password", "name"): "the account whose password is set",
    ("edit", "site_id"): "the site's id, e.g. E.12-1 (see wufei-geo sites)",
    ("edit", "--status"): "the new status code",
    ("edit", "--datum"): "datum of --lon/--lat: wgs84 (GPS, OSM, 天地图), gcj02 (AMap/Tencent) or bd09 (Baidu)",
    ("proposals list", "--status"): "which proposals: pending (default), confirmed, rejected or all",
    ("proposals list", "--site"): "only the proposals of this site id",
    ("proposals list", "--json"): "print the proposals as JSON",
    ("proposals confirm", "proposal_id"): "the proposal's number (see wufei-geo proposals list)",
    ("proposals confirm", "--note"): "why it is right (recorded in the history)",
    ("proposals reject", "proposal_id"): "the proposal's number (see wufei-geo proposals list)",
    ("proposals reject", "--note"): "why it is rejected (required; recorded in the history)",
    ("design-capacity", "site_id"): "the site's id, e.g. E.11-1",
    ("design-capacity", "value"): "the design capacity, e.g. 600",
    ("design-capacity", "unit"): "its unit, e.g. t/d, t/yr, kW",
    ("design-capacity", "--expect-version"): "refuse if the site changed since this version",
    ("rounds open", "title"): "the round's title, e.g. 2026年第四季度核实",
    ("rounds open", "--user"): "the planner or administrator opening the round (its password is asked)",
    ("rounds open", "--password-stdin"): "read the password from standard input",
    ("rounds close", "round_id"): "the round's number (see wufei-geo rounds list)",
    ("rounds close", "--user"): "the planner or administrator closing the round (its password is asked)",
    ("rounds close", "--password-stdin"): "read the password from standard input",
    ("rounds list", "--json"): "print the rounds as JSON",
    ("rounds progress", "round_id"): "the round's number (default: the open round)",
    ("rounds progress", "--json"): "print the progress per town as JSON",
    ("status confirm", "site_id"): "the site's id, e.g. E.12-1 (see wufei-geo sites)",
}


def _finish(parser: argparse.ArgumentParser, path: str) -> None:
    """Examples, missing help texts and a plain-text formatter on every (sub-)parser."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    if path and not parser.epilog and path in EXAMPLES:
        parser.epilog = f"Example:\n  {EXAMPLES[path]}"
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                _finish(sub, f"{path} {name}".strip())
        elif action.help is None:
            key = action.option_strings[-1] if action.option_strings else action.dest
            action.help = OPTION_HELP.get((path, key))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wufei-geo", description=DESCRIPTION,
        epilog="Example:\n  wufei-geo capacity\n\nEach command has its own help: wufei-geo COMMAND -h",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS,
                        help="language of messages and reports: zh or en (default: the locale; zh unless it is English)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    _finish(parser, "")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_extra_args", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra_args = extra  # passed on by commands that wrap another program (serve)
    commands.set_lang(getattr(args, "lang", None))
    args.lang = commands.lang()
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # e.g. `wufei-geo sites | head`
        return 0
    except Exception as exc:  # noqa: BLE001 — expected failures end in one clear line, never a traceback
        from wufei_geo.errors import WufeiError

        if isinstance(exc, WufeiError):  # a refusal of the core: in the run's language, from its key
            return commands.fail(exc)
        from wufei_geo.store import failure_message

        message = failure_message(exc)
        if message is None:
            raise
        return commands.fail(message)


if __name__ == "__main__":
    sys.exit(main())
