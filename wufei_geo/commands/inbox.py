"""``wufei-geo inbox --user NAME [--json]``: what waits for a user — the list the app shows at the top
of every page (:mod:`wufei_geo.inbox`).  A local read, as ``users list``: no password asked."""
from __future__ import annotations

import argparse
import json
from types import SimpleNamespace

from wufei_geo.commands import fail


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("inbox")
    p.add_argument("--user", required=True)
    p.add_argument("--json", action="store_true")
    p.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
    p.set_defaults(func=cmd_inbox)


def cmd_inbox(args: argparse.Namespace) -> int:
    from wufei_geo import auth, inbox
    from wufei_geo.commands.status import printable
    from wufei_geo.store import Store

    store = Store.open()
    user = next((u for u in auth.list_users(store) if u["name"] == args.user and not u.get("disabled")), None)
    if user is None:
        return fail(f"no active user {args.user!r}")
    actor = SimpleNamespace(name=user["name"], role=user["role"], town_code=user.get("town_code"))
    items = inbox.inbox(store, actor)
    if args.json:
        print(json.dumps({"user": user["name"], "role": user["role"], "total": inbox.total(items),
                          "items": [i.to_dict(args.lang) for i in items]}, ensure_ascii=False, indent=2, default=str))
        return 0
    print(inbox.headline(items, args.lang) or inbox.item_text(inbox.InboxItem("empty"), args.lang))
    for item in items:
        note = f" — {printable(item.note)}" if item.note else ""
        print(f"  {inbox.item_text(item, args.lang)}{note}")
    return 0
