"""``wufei-geo status set`` and ``wufei-geo history``: the same core as the app's 更新 page."""
from __future__ import annotations

import argparse
import json
import unicodedata
from typing import Any

from wufei_geo.commands import fail
from wufei_geo.commands.users import read_password
from wufei_geo.errors import WufeiError
from wufei_geo.model import STATUSES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("status")
    sub = p.add_subparsers(dest="status_command", required=True)
    s = sub.add_parser("set")
    s.add_argument("site_id")
    s.add_argument("status", choices=STATUSES)
    s.add_argument("--user", required=True)
    s.add_argument("--expect-version", type=int)
    s.add_argument("--note")
    s.add_argument("--password-stdin", action="store_true")
    s.set_defaults(func=_set)
    c = sub.add_parser("confirm")
    c.add_argument("site_id")
    c.add_argument("--user", required=True)
    c.add_argument("--expect-version", type=int)
    c.add_argument("--note")
    c.add_argument("--password-stdin", action="store_true")
    c.set_defaults(func=_confirm)

    h = subparsers.add_parser("history")
    h.add_argument("site_id")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=_history)


def printable(value: Any) -> str:
    """Text for a terminal: control characters (e.g. escape sequences in a note) shown as \\uXXXX."""
    if value is None:
        return "∅"
    return "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in str(value)
    )


def _set(args: argparse.Namespace) -> int:
    from wufei_geo import auth
    from wufei_geo.store import Store

    try:
        password = read_password(args, f"Password for {args.user}: ")
        store = Store.open()
        actor = auth.authenticate(store, args.user, password)
        try:
            version = args.expect_version if args.expect_version is not None else store.get_site(args.site_id)["version"]
            before = store.get_site(args.site_id)["status"]
            after = store.update_site(actor, args.site_id, {"status": args.status}, version, args.note)
        finally:
            auth.logout(store, actor)
    except WufeiError as exc:
        return fail(exc)
    print(f"{args.site_id}: {before} → {after['status']} (version {after['version']})")
    return 0


def _confirm(args: argparse.Namespace) -> int:
    from wufei_geo import auth
    from wufei_geo.store import Store

    try:
        password = read_password(args, f"Password for {args.user}: ")
        store = Store.open()
        actor = auth.authenticate(store, args.user, password)
        try:
            version = args.expect_version if args.expect_version is not None else store.get_site(args.site_id)["version"]
            after = store.confirm_site(actor, args.site_id, version, args.note)
        finally:
            auth.logout(store, actor)
    except WufeiError as exc:
        return fail(exc)
    print(f"{args.site_id}: {after['status']} confirmed unchanged by {printable(after['status_confirmed_by'])} "
          f"at {after['status_confirmed_at']}")
    return 0


def _history(args: argparse.Namespace) -> int:
    from wufei_geo.store import Store

    store = Store.open()
    try:
        store.get_site(args.site_id)
    except WufeiError as exc:
        return fail(exc)
    rows = store.history(site_id=args.site_id)
    if args.json:
        for r in rows:
            r["at"] = r["at"].isoformat()
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(f"{args.site_id}: no recorded changes")
        return 0
    for r in rows:
        what = f"{r['field']}: {printable(r['old_value'])} → {printable(r['new_value'])}" if r["field"] else r["action"]
        note = f"  — {printable(r['note'])}" if r["note"] else ""
        print(f"{r['at_local']}  {printable(r['user_name'])}  {r['action']}  {what}{note}")
    return 0
