"""The ``wufei-geo`` command line.

Each module in :mod:`wufei_geo.commands` owns a group of sub-commands and exposes
``register(subparsers)``; every sub-parser sets ``func(args) -> int``.  The commands
only parse arguments and print: the work is done by the core modules.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from wufei_geo import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wufei-geo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_extra_args", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra_args = extra  # passed on by commands that wrap another program (serve)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # e.g. `wufei-geo sites | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
