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
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # e.g. `wufei-geo sites | head`
        return 0
    except Exception as exc:  # noqa: BLE001 — expected failures end in one clear line, never a traceback
        message = failure_message(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 1


def failure_message(exc: BaseException) -> str | None:
    """One line for an expected failure (issue 15: database locked or read-only, disk full,
    duplicate rows, refusals, unreadable files), or None for a bug (which keeps its traceback).
    Database errors are named by kind only: their text carries the SQL parameters, which may
    hold password hashes."""
    from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

    from wufei_geo.errors import WufeiError

    if isinstance(exc, WufeiError):
        return str(exc)
    if isinstance(exc, IntegrityError):
        return ("the database refused the change: a row with the same key already exists or a rule of the "
                "schema is broken; nothing was saved / 数据重复或违反约束，未保存")
    if isinstance(exc, DBAPIError):
        from wufei_geo.store import _is_transient, _storage_refusal

        if _is_transient(exc):
            return "the database is locked by another program; nothing was saved, try again / 数据库被占用，未保存"
        return _storage_refusal(exc) or (
            f"the database could not be used ({type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__}); "
            "check WUFEI_DB_URL and the database server / 无法使用数据库")
    if isinstance(exc, SQLAlchemyError):
        return f"the database could not be used ({type(exc).__name__}) / 无法使用数据库"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return f"{exc.strerror or type(exc).__name__}{where} / 文件读写失败"
    from wufei_geo.backup import BackupError

    if isinstance(exc, BackupError):
        return str(exc)
    return None


if __name__ == "__main__":
    sys.exit(main())
