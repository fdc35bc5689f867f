"""Data in and out: ``sites``, ``export``, ``import-sites``, ``backup``, ``restore``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from wufei_geo.commands.users import read_password
from wufei_geo.io.formats import EXPORT_FORMATS
from wufei_geo.model import EXPORT_DATUMS, EXPORT_LAYERS

# Heavy modules (geopandas, the store) are imported by the commands that run, not at start-up.


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sites")
    p.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true")
    _placeholder_option(p)
    p.set_defaults(func=cmd_sites)

    p = subparsers.add_parser("export")
    p.add_argument("--layer", choices=EXPORT_LAYERS, default=None)
    p.add_argument("--format", choices=EXPORT_FORMATS, default="geojson")
    p.add_argument("--datum", choices=EXPORT_DATUMS, default="wgs84")
    p.add_argument("-o", "--output", required=True)
    _placeholder_option(p)
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser("import-sites")
    p.add_argument("file")
    p.add_argument("--user", required=True)
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--apply", action="store_true")
    p.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
    p.set_defaults(func=cmd_import_sites)

    p = subparsers.add_parser("backup")
    p.add_argument("file")
    p.set_defaults(func=cmd_backup)

    p = subparsers.add_parser("restore")
    p.add_argument("file")
    p.add_argument("--yes", action="store_true")
    p.add_argument("--accept-unsigned", action="store_true")
    p.set_defaults(func=cmd_restore)


def _placeholder_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--placeholder-points", action="store_true",
    )


def _load_catalog(args: argparse.Namespace) -> Any:
    from wufei_geo.catalog import load_catalog
    from wufei_geo.config import load_settings

    placeholder = bool(getattr(args, "placeholder_points", False)) or load_settings().placeholder_points
    return load_catalog(_open_store(), placeholder_points=placeholder)


def _open_store() -> Any:
    from wufei_geo.store import Store

    return Store.open()


def _err(message: object) -> int:
    """A refusal in the run's language (keyed core refusals from the catalogue)."""
    from wufei_geo.commands import fail
    from wufei_geo.errors import WufeiError

    if isinstance(message, WufeiError):
        return fail(message)
    print(message, file=sys.stderr)
    return 1


JSON_CHUNK_ROWS = 2_000  # sites --json converts and prints this many rows at a time (bounded memory)


def _print_json_rows(table: Any, convert: Any) -> None:
    """Print ``convert(part)`` of every part of ``table`` as ONE JSON list, ``JSON_CHUNK_ROWS`` rows
    at a time: the same text as ``json.dumps(rows, indent=1)`` without holding every row twice
    (issue 27: 3 GB for 100,000 sites)."""
    out = sys.stdout
    first = True
    for start in range(0, len(table), JSON_CHUNK_ROWS):
        for row in convert(table.iloc[start:start + JSON_CHUNK_ROWS]):
            text = json.dumps(row, ensure_ascii=False, indent=1).replace("\n", "\n ")
            out.write(("[\n " if first else ",\n ") + text)
            first = False
    out.write("[]\n" if first else "\n]\n")


def cmd_sites(args: argparse.Namespace) -> int:
    from wufei_geo.io import geofiles, layers

    catalog = _load_catalog(args)
    table = layers.sites_layer(catalog.sites)
    if args.json:
        _print_json_rows(table, lambda part: [f["properties"] for f in
                                              json.loads(geofiles.to_geojson_bytes("sites", part, "wgs84"))["features"]])
        return 0
    cols = ["site_id", "project_id", "name_zh", "category", "town_code", "status", "capacity_norm", "capacity_norm_unit", "precision"]
    # for people: headers as labels, category/status/precision as words (the export's table for people)
    people, _mapping = layers.people_table("sites", table[[*cols, "geometry"]], args.lang)
    frame = people.astype(object).where(people.notna(), "")
    print(frame.to_string(index=False))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from wufei_geo.io import exports, layers

    layer = args.layer if (args.layer or args.format != "gpkg") else None
    layer = layer or ("sites" if args.format != "gpkg" else None)
    catalog = _load_catalog(args)
    try:
        path = exports.write_export(args.output, catalog, args.format, layer, args.datum,
                                    lang=getattr(args, "lang", None) if args.format == "xlsx" else None)
    except exports.ExportError as exc:
        return _err(exc)
    what = layer or ", ".join(layers.GPKG_LAYER.values())
    print(f"{path}: {what} ({args.format}, {args.datum})")
    return 0


def cmd_import_sites(args: argparse.Namespace) -> int:
    from wufei_geo import auth
    from wufei_geo.errors import WufeiError
    from wufei_geo.io import bulk_import

    path = Path(args.file)
    try:
        data = bulk_import.read_file(path)
    except (OSError, bulk_import.ImportFileError) as exc:
        return _err(exc)
    store = _open_store()
    try:
        actor = auth.authenticate(store, args.user, read_password(args, f"Password for {args.user}: "))
    except WufeiError as exc:
        return _err(exc)
    run = bulk_import.apply_import if args.apply else bulk_import.plan_import
    report = run(store, actor, data, path.name, args.lang)
    for line in report.summary_lines():
        print(line, file=sys.stdout if not report.errors else sys.stderr)
    if report.errors:
        return _err(f"{len(report.errors)} error(s); nothing changed.")
    if args.apply:
        print(f"applied: {report.n_changes} change(s) in {len(report.rows)} site(s), as {args.user}.")
    else:
        print(f"dry run: {report.n_changes} change(s) in {len(report.rows)} site(s) of {report.rows_read} row(s); nothing written (use --apply).")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from wufei_geo.io import backup

    manifest = backup.backup(_open_store(), args.file)
    counts = ", ".join(f"{name} {t['rows']}" for name, t in manifest["tables"].items())
    print(f"{args.file}: {counts}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from wufei_geo.commands import lang
    from wufei_geo.i18n import t
    from wufei_geo.io import backup

    store = _open_store()
    try:
        preview = backup.preview(store, args.file)
    except backup.BackupError as exc:
        return _err(exc)
    for line in preview.lines(lang()):
        print(line)
    if not preview.trusted and not args.accept_unsigned:
        return _err(t("cli.restore_unsigned", lang()))
    if not args.yes:
        if not sys.stdin.isatty():
            return _err(t("cli.restore_needs_yes", lang()))
        answer = input(t("cli.restore_ask", lang()) + " [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            return _err(t("cli.restore_declined", lang()))
    try:
        summary = backup.restore(store, args.file, accept_unsigned=args.accept_unsigned)
    except backup.BackupError as exc:
        return _err(exc)
    print(f"restored {args.file}: " + ", ".join(f"{k} {v}" for k, v in summary.counts.items()))
    return 0
