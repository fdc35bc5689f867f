"""The bundled facility data: ``validate``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
    )
    p.add_argument("--dir", type=Path, default=None)
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """Exit 0 with a one-line summary when clean; exit 1 with ``file:row: field: message`` lines."""
    from wufei_geo import facilities
    from wufei_geo.paths import FACILITIES_DIR

    args.dir = args.dir or FACILITIES_DIR
    problems = facilities.validate(args.dir)
    indicators = Path(args.dir) / "indicators.csv"
    if indicators.exists():  # issue 23: 附表1's indicators (a folder without them is checked without)
        from wufei_geo.register.entries import check_indicators

        problems += check_indicators(args.dir)
    if (Path(args.dir) / "places.csv").exists():  # issue 24: the seed places, same field rules as an add
        from wufei_geo.places.seed import validate_seed

        problems += validate_seed(args.dir)
    if problems:
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem(s) in {args.dir}", file=sys.stderr)
        return 1
    sites = facilities.load_seed_sites(args.dir, check=False)
    components = sum(len(s["capacity_components"]) for s in sites)
    targets = facilities.load_targets(args.dir)
    projects = facilities.load_projects(args.dir)
    print(
        f"OK {args.dir}: {len(projects)} projects, {len(sites)} sites, "
        f"{components} capacity components, {len(targets)} targets"
        + (", 62 indicators" if indicators.exists() else "")
    )
    return 0
