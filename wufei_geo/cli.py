"""The wufei-geo command line.

Each module in wufei_geo.commands owns a group of sub-commands and exposes
register(subparsers); every sub-parser sets func(args) -> int.  The commands
only parse arguments and print: the work is done by the core modules.

Every text of the help comes from the message catalogue in the run's language (``--lang``, else
the locale: only ``en_*`` gives English — :func:`argv_lang`), argparse's own words included: a
command's summary is ``cli.cmd.<path>`` (and its longer description, where it has one,
``cli.cmd.<path>.description``), an option's help ``cli.opt.<path>.<option>`` or, when several
commands share it, ``cli.opt.<option>``; the commands' modules give no help text themselves.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from wufei_geo import commands
from wufei_geo.i18n import MESSAGES, t

# One example per command (path of sub-command names; "" is the top level), shown at the end of its help.
EXAMPLES: dict[str, str] = {
    "": "wufei-geo capacity",
    "capacity": "wufei-geo capacity --counts-toward centralised --lang en",
    "towns": "wufei-geo towns --json > towns.json",
    "report": "wufei-geo report -o brief.pdf\nwufei-geo report -o brief-en.pdf --lang en --measure site_count\n"
              "wufei-geo report -o qingpu.xlsx",
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
    "places": "wufei-geo places --json > places.json",
    "places add": "wufei-geo places add XJ-B1 --name-zh 徐泾零浪费街区 --type zero_waste_block --town 徐泾镇 --user xujing",
    "places set": "wufei-geo places set XJ-B1 --status built --source 区验收文件 --user xujing",
    "places confirm": "wufei-geo places confirm XJ-B1 --user xujing --note 电话核实",
    "places approve": "wufei-geo places approve XJ-B1 --user planner1 --note 已核实",
    "places reject": "wufei-geo places reject XJ-B1 --user planner1 --note 已核实",
    "places history": "wufei-geo places history XJ-B1",
    "import-places": "wufei-geo import-places places.xlsx --user admin --apply",
}
class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter with the usage line's prefix in the run's language."""

    usage_prefix = "usage: "

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, self.usage_prefix if prefix is None else prefix)


# argparse's own error messages (English, from the argparse module) → catalogue keys
_ARGPARSE_MESSAGES = (
    (re.compile(r"the following arguments are required: (?P<args>.+)"), "cli.argparse.required"),
    (re.compile(r"argument (?P<arg>\S+): invalid choice: (?P<value>.+) \(choose from (?P<choices>.+)\)"),
     "cli.argparse.invalid_choice"),
    (re.compile(r"argument (?P<arg>\S+): expected one argument"), "cli.argparse.expected_one"),
    (re.compile(r"argument (?P<arg>\S+): invalid \S+ value: (?P<value>.+)"), "cli.argparse.invalid_value"),
    (re.compile(r"unrecognized arguments: (?P<args>.+)"), "cli.argparse.unrecognized"),
)


class _Parser(argparse.ArgumentParser):
    """A parser that speaks the run's language: usage prefix, section titles and errors."""

    lang = "zh"

    def _get_formatter(self) -> argparse.HelpFormatter:
        formatter = _Formatter(prog=self.prog)
        formatter.usage_prefix = t("cli.argparse.usage", self.lang)
        return formatter

    def error(self, message: str) -> NoReturn:
        for pattern, key in _ARGPARSE_MESSAGES:
            match = pattern.fullmatch(message)
            if match:
                message = t(key, self.lang, **match.groupdict())
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: {t('cli.error', self.lang)}: {message}\n")


def _option_help(dotted: str, name: str, lang: str) -> str:
    """An option's help: ``cli.opt.<command path>.<option>``, else the shared ``cli.opt.<option>``."""
    specific = f"cli.opt.{dotted}.{name}"
    return t(specific if specific in MESSAGES else f"cli.opt.{name}", lang)


def _finish(parser: argparse.ArgumentParser, path: str, lang: str) -> None:
    """Every text of a (sub-)parser from the catalogue in ``lang``, and its example."""
    dotted = path.replace(" ", ".") or "main"
    parser.lang = lang  # type: ignore[attr-defined]
    parser._positionals.title = t("cli.argparse.positionals", lang)
    parser._optionals.title = t("cli.argparse.options", lang)
    own = f"cli.cmd.{dotted}.description"
    parser.description = t(own, lang) if own in MESSAGES else (t(f"cli.cmd.{dotted}", lang) if path else None)
    example = "\n".join(f"  {line}" for line in EXAMPLES.get(path, "").splitlines())
    parser.epilog = "\n\n".join(
        part for part in (example and f"{t('cli.example', lang)}\n{example}", not path and t("cli.more_help", lang))
        if part
    ) or None
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            # the list of sub-commands in the parent's help, one summary each
            action._choices_actions = [
                action._ChoicesPseudoAction(name, (), t(f"cli.cmd.{f'{path} {name}'.strip().replace(' ', '.')}", lang))
                for name in action.choices
            ]
            for name, sub in action.choices.items():
                _finish(sub, f"{path} {name}".strip(), lang)
        elif isinstance(action, argparse._HelpAction):
            action.help = t("cli.opt.help", lang)
        else:
            name = (action.option_strings[-1] if action.option_strings else action.dest).lstrip("-")
            action.help = _option_help(dotted, name, lang)


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, its help in ``lang`` (default: the run's language)."""
    parser = _Parser(prog="wufei-geo")
    parser.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    _finish(parser, "", lang or commands.lang())
    return parser


def argv_lang(argv: Sequence[str]) -> str:
    """The language a run asks for before its arguments are parsed (so that ``--help`` speaks it):
    the last ``--lang zh|en`` of ``argv``, else the locale (:func:`commands.locale_lang`)."""
    chosen = None
    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else arg.partition("--lang=")[2]
        if value in ("zh", "en"):
            chosen = value
    return chosen or commands.locale_lang()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv_lang(argv))
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
        from wufei_geo.store.session import failure_refusal

        refusal = failure_refusal(exc)  # worded from the catalogue in the run's language
        if refusal is None:
            raise
        return commands.fail(refusal)


if __name__ == "__main__":
    sys.exit(main())
