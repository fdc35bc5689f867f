"""``wufei-geo serve``: run the web app from any directory (``streamlit run`` on the bundled app)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
    )
    p.add_argument("--print-command", action="store_true")
    p.set_defaults(func=cmd_serve, accepts_extra_args=True)


def config_flags(config_file: Path) -> list[str]:
    """The settings of the app's ``.streamlit/config.toml`` as ``streamlit run`` options.

    Streamlit reads ``.streamlit/config.toml`` only from the current directory; passing the
    settings as options makes them hold wherever the app is started from."""
    import tomllib

    with config_file.open("rb") as fh:
        config = tomllib.load(fh)
    flags = []
    for section, values in config.items():
        for key, value in values.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags.append(f"--{section}.{key}={text}")
    return flags


def streamlit_command(extra: list[str]) -> list[str]:
    from wufei_geo.paths import APP_SCRIPT, STREAMLIT_CONFIG

    if not APP_SCRIPT.is_file():
        raise FileNotFoundError(f"the app is missing: {APP_SCRIPT}")
    return [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT), *config_flags(STREAMLIT_CONFIG), *extra]


def cmd_serve(args: argparse.Namespace) -> int:
    command = streamlit_command(list(args.extra_args))
    if args.print_command:
        print(" ".join(command))
        return 0
    sys.stdout.flush()
    if os.name == "posix":
        os.execv(command[0], command)  # the server replaces this process (signals reach it directly)
    import subprocess

    return subprocess.call(command)
