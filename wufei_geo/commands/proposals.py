"""``wufei-geo edit``, ``wufei-geo proposals list|confirm|reject`` and ``wufei-geo design-capacity``.

The same core as the app's 更新 page: every value goes through ``Store.update_site`` (the rules
of :mod:`wufei_geo.site_rules`); each command acts as a named, logged-in user.  A refusal is
printed with its rule key (``error [capacity_above_design]: …``) and exits 1.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from wufei_geo.commands.status import printable
from wufei_geo.commands.users import as_user
from wufei_geo.errors import ImplausibleEdit, WufeiError
from wufei_geo.model import DATUMS, STATUSES


def _user_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", required=True)
    p.add_argument("--password-stdin", action="store_true")


def register(subparsers: argparse._SubParsersAction) -> None:
    e = subparsers.add_parser("edit")
    e.add_argument("site_id")
    e.add_argument("--status", choices=STATUSES)
    e.add_argument("--operating-capacity")
    e.add_argument("--unit")
    e.add_argument("--commissioned")
    e.add_argument("--expected-commissioning")
    e.add_argument("--served-villages")
    e.add_argument("--baseline-capacity")
    e.add_argument("--lon")
    e.add_argument("--lat")
    e.add_argument("--datum", choices=DATUMS, default="wgs84")
    # issue 23: what indicators #58, #49, #47 read (empty text: back to unknown)
    e.add_argument("--online-monitoring")
    e.add_argument("--online-monitoring-since")
    e.add_argument("--pollution-insurance")
    e.add_argument("--investment")
    e.add_argument("--note")
    e.add_argument("--insist", action="store_true")
    e.add_argument("--expect-version", type=int)
    _user_args(e)
    e.set_defaults(func=_edit)

    p = subparsers.add_parser("proposals")
    sub = p.add_subparsers(dest="proposals_command", required=True)
    ls = sub.add_parser("list")
    ls.add_argument("--status", choices=("pending", "confirmed", "rejected", "all"), default="pending")
    ls.add_argument("--site")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)
    for name in ("confirm", "reject"):
        c = sub.add_parser(name)
        c.add_argument("proposal_id", type=int)
        c.add_argument("--note", required=(name == "reject"))
        _user_args(c)
        c.set_defaults(func=_confirm if name == "confirm" else _reject)

    d = subparsers.add_parser("design-capacity")
    d.add_argument("site_id")
    d.add_argument("value")
    d.add_argument("unit")
    d.add_argument("--note", required=True)
    d.add_argument("--expect-version", type=int)
    _user_args(d)
    d.set_defaults(func=_design)


def _error(exc: WufeiError) -> int:
    rule = getattr(exc, "rule", None)
    print(f"error{f' [{rule}]' if rule else ''}: {exc}", file=sys.stderr)
    if isinstance(exc, ImplausibleEdit):
        print("hint: if the value is right, repeat with --insist and a --note saying why", file=sys.stderr)
    return 1


def _as_user(args: argparse.Namespace, work: Callable[[Any, Any], int]) -> int:
    try:
        return as_user(args, work)
    except WufeiError as exc:
        return _error(exc)


def _edit(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    if args.status:
        changes["status"] = args.status
    if args.operating_capacity is not None or (args.unit is not None and args.baseline_capacity is None):
        changes["operating_capacity_value"] = args.operating_capacity
        changes["operating_capacity_unit"] = args.unit
    if args.baseline_capacity is not None:
        changes["baseline_capacity_value"] = args.baseline_capacity
        changes["baseline_capacity_unit"] = args.unit
    if args.commissioned is not None:
        changes["commissioned"] = args.commissioned
    if args.expected_commissioning is not None:
        changes["expected_commissioning"] = args.expected_commissioning
    if args.served_villages is not None:
        changes["served_villages"] = args.served_villages
    if args.lon is not None or args.lat is not None:
        changes["location"] = (args.lon, args.lat, args.datum)
    for name in ("online_monitoring", "online_monitoring_since", "pollution_insurance"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name) or None
    if args.investment is not None:
        changes["investment_yuan"] = args.investment or None

    def work(store: Any, actor: Any) -> int:
        version = args.expect_version if args.expect_version is not None else store.get_site(args.site_id)["version"]
        after = store.update_site(actor, args.site_id, changes, version, args.note, insist=args.insist)
        proposal = after.get("proposal")
        if proposal:
            print(f"{args.site_id}: stored as 待核实 proposal #{proposal['id']} (rules: {', '.join(proposal['rule_keys'])}); "
                  f"the site is unchanged until a planner confirms it")
        else:
            print(f"{args.site_id}: saved (version {after['version']})")
        return 0

    return _as_user(args, work)


def _show_changes(p: dict[str, Any]) -> str:
    return "; ".join(f"{k}: {printable(p['old_values'].get(k))} → {printable(v)}" for k, v in p["new_values"].items()
                     if k not in ("precision", "location_source"))


def _list(args: argparse.Namespace) -> int:
    from wufei_geo.store import Store

    store = Store.open()
    rows = store.proposals(status=None if args.status == "all" else args.status, site_id=args.site)
    if args.json:
        for r in rows:
            for key in ("proposed_at", "decided_at"):
                r[key] = r[key].isoformat() if r.get(key) else None
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return 0
    if not rows:
        print("no proposals")
        return 0
    for r in rows:
        print(f"#{r['id']}  {r['status']}  {r['site_id']}  {r['proposed_at_local']}  {printable(r['proposed_by'])}  "
              f"[{', '.join(r['rule_keys'])}]  {_show_changes(r)}  — {printable(r['note'])}")
    return 0


def _confirm(args: argparse.Namespace) -> int:
    def work(store: Any, actor: Any) -> int:
        site = store.confirm_proposal(actor, args.proposal_id, args.note)
        print(f"proposal #{args.proposal_id} confirmed: {site['site_id']} is now version {site['version']}")
        return 0

    return _as_user(args, work)


def _reject(args: argparse.Namespace) -> int:
    def work(store: Any, actor: Any) -> int:
        store.reject_proposal(actor, args.proposal_id, args.note)
        print(f"proposal #{args.proposal_id} rejected")
        return 0

    return _as_user(args, work)


def _design(args: argparse.Namespace) -> int:
    def work(store: Any, actor: Any) -> int:
        site = store.set_design_capacity(actor, args.site_id, args.value, args.unit, args.note, args.expect_version)
        print(f"{args.site_id}: design capacity {site['capacity_value']:g} {site['capacity_unit']} "
              f"({site['capacity_norm']:g} {site['capacity_norm_unit']}), version {site['version']}")
        return 0

    return _as_user(args, work)
