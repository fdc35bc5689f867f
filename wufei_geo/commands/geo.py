"""Geography: ``import-boundaries`` (official town boundaries replace the approximate zones)."""
from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "import-boundaries",
    )
    p.add_argument("file")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--code-field", metavar="F")
    which.add_argument("--name-field", metavar="F")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--accept-warnings", action="store_true")
    p.set_defaults(func=cmd_import_boundaries)


def cmd_import_boundaries(args: argparse.Namespace) -> int:
    """Exit 0 after storing (or a clean dry run); exit 1 with the problems and nothing changed."""
    from wufei_geo import geodata, i18n
    from wufei_geo.boundaries import BoundaryImportError
    from wufei_geo.commands import fail, lang
    from wufei_geo.io.geofiles import read_boundaries

    try:
        zones = read_boundaries(args.file, code_field=args.code_field, name_field=args.name_field)
    except BoundaryImportError as exc:
        fail(exc)  # in the run's language
        print("nothing was changed", file=sys.stderr)
        return 1

    approx = geodata.load_default_zones().set_index("town_code")["area_km2"]
    print(f"{'town':<22} {'matched feature':<40} {'official km²':>12} {'approx. km²':>12}")
    for r in zones.itertuples():
        name = f"{r.town_code} {r.name_zh}"
        print(f"{name:<22} {r.source_feature:<40} {r.area_km2:>12.2f} {approx.get(r.town_code, float('nan')):>12.2f}")
    print(f"{'total':<63} {zones.area_km2.sum():>12.2f} {approx.sum():>12.2f}")
    warnings = list(zones.attrs.get("warnings", []))
    for w in warnings:
        print(f"warning: {i18n.item_text(w, lang())}", file=sys.stderr)
    if args.dry_run:
        print("dry run: nothing stored")
        return 0
    if warnings and not args.accept_warnings:
        print(f"{len(warnings)} warning(s): check them, then run again with --accept-warnings to store; "
              "nothing was changed", file=sys.stderr)
        return 1

    from wufei_geo.errors import WufeiError
    from wufei_geo.store import Store

    try:
        store = Store.open()
        try:
            store.replace_zones(None, zones, source=zones["source"].iloc[0], accept_warnings=args.accept_warnings)
        finally:
            store.close()
    except WufeiError as exc:
        from wufei_geo.commands import fail

        return fail(exc)
    print(f"stored {len(zones)} official town zones (boundary_quality=official); they replace the approximate ones")
    return 0
