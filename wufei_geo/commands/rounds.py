"""``wufei-geo rounds open|list|progress|close``: update rounds (issue 12), the core of the 更新 page."""
from __future__ import annotations

import argparse
import json
import sys

from wufei_geo.commands.status import printable
from wufei_geo.commands.users import as_user
from wufei_geo.errors import WufeiError
from wufei_geo.model import CATEGORIES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("rounds")
    sub = p.add_subparsers(dest="rounds_command", required=True)
    o = sub.add_parser("open")
    o.add_argument("title")
    o.add_argument("--deadline")
    o.add_argument("--town", action="append", default=[])
    o.add_argument("--category", action="append", choices=CATEGORIES, default=[])
    o.add_argument("--user", required=True)
    o.add_argument("--password-stdin", action="store_true")
    o.set_defaults(func=_open)
    c = sub.add_parser("close")
    c.add_argument("round_id", type=int)
    c.add_argument("--user", required=True)
    c.add_argument("--password-stdin", action="store_true")
    c.set_defaults(func=_close)
    ls = sub.add_parser("list")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)
    pr = sub.add_parser("progress")
    pr.add_argument("round_id", type=int, nargs="?")
    pr.add_argument("--json", action="store_true")
    pr.set_defaults(func=_progress)


_as_user = as_user  # refusals are worded by each round command


def _fail(exc: WufeiError) -> int:
    rule = getattr(exc, "rule", None)
    print(f"error{f' [{rule}]' if rule else ''}: {exc}", file=sys.stderr)
    return 1


def _open(args: argparse.Namespace) -> int:
    try:
        rnd = _as_user(args, lambda store, actor: store.open_round(actor, args.title, args.deadline, args.town, args.category))
    except WufeiError as exc:
        return _fail(exc)
    print(f"round #{rnd['id']} opened: {printable(rnd['title'])} (deadline {rnd['deadline'] or '—'})")
    return 0


def _close(args: argparse.Namespace) -> int:
    try:
        rnd = _as_user(args, lambda store, actor: store.close_round(actor, args.round_id))
    except WufeiError as exc:
        return _fail(exc)
    print(f"round #{rnd['id']} closed")
    return 0


def _plain(rnd: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rnd.items()}


def _list(args: argparse.Namespace) -> int:
    from wufei_geo.store import Store

    rounds = Store.open().rounds()
    if args.json:
        print(json.dumps([_plain(r) for r in rounds], ensure_ascii=False, indent=2))
        return 0
    if not rounds:
        print("no update rounds")
    for r in rounds:
        print(f"#{r['id']} [{r['status']}] {printable(r['title'])} · deadline {r['deadline'] or '—'} · "
              f"towns {', '.join(r['towns']) or 'all'} · categories {', '.join(r['categories']) or 'all'} · "
              f"opened {r['opened_at_local']} by {printable(r['opened_by'])}"
              + (f" · closed {r['closed_at_local']} by {printable(r['closed_by'])}" if r["closed_at"] else ""))
    return 0


def _progress(args: argparse.Namespace) -> int:
    from wufei_geo.store import Store

    store = Store.open()
    try:
        if args.round_id is None:
            current = store.current_round()
            if current is None:
                print("no open round", file=sys.stderr)
                return 1
            round_id = current["id"]
        else:
            round_id = args.round_id
        rows = store.round_progress(round_id)
    except WufeiError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps([_plain(r) for r in rows], ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        last = f"{r['last_answer_at_local']} {printable(r['last_answer_by'])}" if r["last_answer_at"] else "—"
        print(f"{r['town_code']}  {r['answered']}/{r['total']}  last answer: {last}")
    return 0
