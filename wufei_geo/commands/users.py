"""``wufei-geo users``: accounts, from the machine that holds the database (the local administrator)."""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from wufei_geo.commands import fail, lang
from wufei_geo.errors import ValidationError, WufeiError
from wufei_geo.permissions import ROLES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("users")
    sub = p.add_subparsers(dest="users_command", required=True)

    a = sub.add_parser("add")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=tuple(ROLES))
    a.add_argument("--town")
    a.add_argument("--department")
    a.add_argument("--password-stdin", action="store_true")
    a.set_defaults(func=_add)

    ls = sub.add_parser("list")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)

    d = sub.add_parser("disable")
    d.add_argument("name")
    d.set_defaults(func=_disable)

    s = sub.add_parser("set-password")
    s.add_argument("name")
    s.add_argument("--password-stdin", action="store_true")
    s.set_defaults(func=_set_password)


def read_password(args: argparse.Namespace, prompt: str, confirm: bool = False) -> str:
    """From standard input when asked or piped (first line), else an interactive prompt."""
    if getattr(args, "password_stdin", False) or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat: ") != first:
        raise ValidationError(key="error.passwords_differ")
    return first


def _open():  # imported late: opening the store migrates and seeds
    from wufei_geo.store import Store

    return Store.open()


def _fail(exc: Exception) -> int:
    return fail(exc)


def _add(args: argparse.Namespace) -> int:
    from wufei_geo import auth  # bcrypt + SQLAlchemy: only when an account command runs

    try:
        password = read_password(args, f"Password for {args.name}: ", confirm=True)
        store = _open()
        town = auth.town_code_from(args.town) if args.town else None
        user = auth.create_user(store, args.name, args.role, town, password, department=args.department)
    except WufeiError as exc:
        return _fail(exc)
    town = f" ({user['town_code']})" if user["town_code"] else ""
    town += f" ({user['department']})" if user.get("department") else ""
    print(f"created {user['name']}: {user['role']}{town}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from wufei_geo import auth  # bcrypt + SQLAlchemy: only when an account command runs

    users = auth.list_users(_open())
    if args.json:
        for u in users:
            for key in ("locked_until", "created_at"):
                u[key] = u[key].isoformat() if u[key] else None
        print(json.dumps(users, ensure_ascii=False, indent=2))
        return 0
    from wufei_geo import i18n

    L = lang()
    if not users:
        print(i18n.t("cli.users.none", L))
        return 0
    names = auth.town_names(L)
    print("\t".join(i18n.t(f"cli.users.col.{c}", L) for c in ("name", "role", "town", "state")))
    for u in users:
        state = i18n.t("cli.users.disabled", L) if u["disabled"] else (
            i18n.t("cli.users.locked", L, until=auth.shanghai_time(u["locked_until"])) if u["locked_until"]
            else i18n.t("cli.users.active", L))
        town = f"{u['town_code']} {names.get(u['town_code'], '')}".strip() if u["town_code"] else (
            u.get("department") or "—")  # issue 23: a department account shows its department here
        print(f"{u['name']}\t{i18n.t('role.' + u['role'], L)}\t{town}\t{state}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    from wufei_geo import auth  # bcrypt + SQLAlchemy: only when an account command runs

    try:
        auth.disable_user(_open(), args.name)
    except WufeiError as exc:
        return _fail(exc)
    print(f"disabled {args.name}")
    return 0


def _set_password(args: argparse.Namespace) -> int:
    from wufei_geo import auth  # bcrypt + SQLAlchemy: only when an account command runs

    try:
        password = read_password(args, f"New password for {args.name}: ", confirm=True)
        auth.set_password(_open(), args.name, password)
    except WufeiError as exc:
        return _fail(exc)
    print(f"password set for {args.name}")
    return 0


T = TypeVar("T")


def as_user(args: argparse.Namespace, work: Callable[[Any, Any], T]) -> T:
    """Log ``args.user`` in (the password from ``--password-stdin`` or a prompt), run
    ``work(store, actor)`` and log out again; refusals are left to the command to word."""
    from wufei_geo import auth
    from wufei_geo.store import Store

    password = read_password(args, f"Password for {args.user}: ")
    store = Store.open()
    actor = auth.authenticate(store, args.user, password)
    try:
        return work(store, actor)
    finally:
        auth.logout(store, actor)
