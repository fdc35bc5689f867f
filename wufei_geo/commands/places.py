"""Places (issue 24): ``places`` (list, ``--json``), ``places add|set|confirm|approve|reject|history``
and ``import-places`` (dry run unless ``--apply``) — the same core as the 更新 page, as a named user."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from wufei_geo.commands import fail
from wufei_geo.commands.users import as_user, read_password
from wufei_geo.errors import WufeiError
from wufei_geo.model import DATUMS

_FIELD_OPTIONS = (
    ("--name-zh", "name_zh"),
    ("--name-en", "name_en"),
    ("--type", "place_type"),
    ("--town", "town_code"),
    ("--address", "address"),
    ("--area", "area"),
    ("--precision", "precision"),
    ("--location-source", "location_source"),
    ("--status", "status"),
    ("--status-as-of", "status_as_of"),
    ("--source", "status_source"),
    ("--unit", "responsible_unit"),
    ("--data-note", "data_note"),
)


def _account_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", required=True)
    p.add_argument("--password-stdin", action="store_true")


def _field_options(p: argparse.ArgumentParser) -> None:
    for flag, dest in _FIELD_OPTIONS:
        p.add_argument(flag, dest=dest)
    p.add_argument("--lon", type=str)
    p.add_argument("--lat", type=str)
    p.add_argument("--datum", choices=DATUMS, default="wgs84")
    p.add_argument("--note")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("places")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_list)
    sub = p.add_subparsers(dest="places_command")
    a = sub.add_parser("add")
    a.add_argument("place_id")
    _field_options(a)
    _account_options(a)
    a.set_defaults(func=_add)
    s = sub.add_parser("set")
    s.add_argument("place_id")
    _field_options(s)
    s.add_argument("--expect-version", type=int)
    _account_options(s)
    s.set_defaults(func=_set)
    c = sub.add_parser("confirm")
    c.add_argument("place_id")
    c.add_argument("--expect-version", type=int)
    c.add_argument("--note")
    _account_options(c)
    c.set_defaults(func=_confirm)
    for name, approve in (("approve", True), ("reject", False)):
        d = sub.add_parser(name)
        d.add_argument("place_id")
        d.add_argument("--note", required=not approve)
        _account_options(d)
        d.set_defaults(func=_decide, approve=approve)
    h = sub.add_parser("history")
    h.add_argument("place_id", nargs="?")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=_history)

    i = subparsers.add_parser("import-places")
    i.add_argument("file")
    _account_options(i)
    i.add_argument("--apply", action="store_true")
    i.set_defaults(func=_import)


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    out = {dest: getattr(args, dest) for _, dest in _FIELD_OPTIONS if getattr(args, dest, None) is not None}
    if isinstance(out.get("area"), str) and out["area"].startswith("@"):
        out["area"] = Path(out["area"][1:]).read_text(encoding="utf-8")
    if args.lon is not None or args.lat is not None:
        out["location"] = (args.lon, args.lat, args.datum)
    return out


def _with_actor(args: argparse.Namespace, work: Any) -> int:
    from wufei_geo.places.store import place_book

    try:
        result = as_user(args, lambda store, actor: work(place_book(store), actor))
    except (WufeiError, OSError) as exc:
        return fail(exc)
    print(result)
    return 0


def _describe(place: dict[str, Any]) -> str:
    claim = f" (claim: {place['claim_status']}, awaiting a planner)" if place.get("claim_status") else ""
    return f"{place['place_id']}: {place['status']}{claim}, town {place['town_code'] or '—'}, version {place['version']}"


def _add(args: argparse.Namespace) -> int:
    return _with_actor(args, lambda book, actor: _describe(
        book.add(actor, {"place_id": args.place_id, **_changes(args)}, args.note)))


def _set(args: argparse.Namespace) -> int:
    def work(book: Any, actor: Any) -> str:
        version = args.expect_version if args.expect_version is not None else book.get(args.place_id)["version"]
        return _describe(book.update(actor, args.place_id, _changes(args), version, args.note))

    return _with_actor(args, work)


def _confirm(args: argparse.Namespace) -> int:
    def work(book: Any, actor: Any) -> str:
        version = args.expect_version if args.expect_version is not None else book.get(args.place_id)["version"]
        return _describe(book.confirm(actor, args.place_id, version, args.note))

    return _with_actor(args, work)


def _decide(args: argparse.Namespace) -> int:
    return _with_actor(args, lambda book, actor: _describe(book.decide_claim(actor, args.place_id, args.approve,
                                                                             args.note)))


def _list(args: argparse.Namespace) -> int:
    from wufei_geo.catalog import load_catalog
    from wufei_geo.io import place_layer
    from wufei_geo.store import Store

    if getattr(args, "places_command", None):
        return 0
    table = place_layer.places_layer(load_catalog(Store.open()).places)
    if args.json:
        print(json.dumps(place_layer.records(table), ensure_ascii=False, indent=1))
        return 0
    cols = ["place_id", "name_zh", "place_type", "town_code", "status", "claim_status", "precision"]
    print(table[cols].astype(object).where(table[cols].notna(), "").to_string(index=False))
    return 0


def _history(args: argparse.Namespace) -> int:
    from wufei_geo.commands.status import printable
    from wufei_geo.places.store import place_book
    from wufei_geo.store import Store

    rows = place_book(Store.open()).history(place_id=args.place_id)
    if args.json:
        print(json.dumps([{**r, "at": r["at"].isoformat()} for r in rows], ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        what = f"{r['field']}: {printable(r['old_value'])} → {printable(r['new_value'])}" if r["field"] else ""
        note = f"  — {printable(r['note'])}" if r["note"] else ""
        print(f"{r['at_local']}  {r['place_id']}  {printable(r['user_name'])}  {r['action']}  {what}{note}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from wufei_geo import auth
    from wufei_geo.commands import lang
    from wufei_geo.io import bulk_import, place_import
    from wufei_geo.store import Store

    try:
        data = bulk_import.read_file(Path(args.file))
        store = Store.open()
        actor = auth.authenticate(store, args.user, read_password(args, f"Password for {args.user}: "))
        report = place_import.import_places(store, actor, data, Path(args.file).name, lang(), apply=args.apply)
    except (WufeiError, OSError, bulk_import.ImportFileError) as exc:
        return fail(exc)
    for row in report.rows:
        print(f"row {row['row']}: {row['place_id']}: {row['action']}")
    for err in report.errors:
        print(f"row {err['row']}: {err['place_id']}: {err['message']}", file=sys.stderr)
    if report.errors:
        return fail(f"{len(report.errors)} error(s); nothing changed.")
    print(("applied" if args.apply else "dry run (nothing changed; --apply to apply)") + f": {len(report.rows)} row(s)")
    return 0
