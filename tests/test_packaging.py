"""The package carries its data: a built wheel holds the app, facilities/ and geodata/ (as
wufei_geo/_data), the migrations and the Leaflet assets, and works from any directory.

The wheel is built from a copy of the checkout (``pip wheel --no-build-isolation``: no network)
and installed with ``pip install --target`` into a temporary folder; the commands then run from
another temporary folder with only that folder on ``PYTHONPATH`` for wufei_geo.  CI also
installs it into a fresh virtual environment and starts the app (.ci/smoke_installed.py).
"""
from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from wufei_geo import paths

REPO = Path(__file__).resolve().parent.parent
_NOT_SOURCES = shutil.ignore_patterns(
    ".git", "var", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis",
    ".ruff_cache", "_artifacts", "_data", ".venv*", "node_modules",
)


def _setup_module():
    spec = importlib.util.spec_from_file_location("wufei_setup", REPO / "setup.py")
    module = importlib.util.module_from_spec(spec)
    # setup.py calls setup() at import; only its list of bundled files is wanted here
    with pytest.MonkeyPatch.context() as mp:
        import setuptools

        mp.setattr(setuptools, "setup", lambda **kw: None)
        spec.loader.exec_module(module)
    return module


def test_a_checkout_reads_the_reviewed_sources_at_the_top_of_the_repository():
    assert paths.SOURCE_ROOT == REPO and paths.BUNDLE_DIR is None
    assert paths.FACILITIES_DIR == REPO / "facilities"
    assert paths.GEODATA_DIR == REPO / "geodata"
    assert paths.APP_SCRIPT == REPO / "app.py"
    assert paths.STREAMLIT_CONFIG == REPO / ".streamlit" / "config.toml"
    assert paths.DEFAULT_DB_PATH == REPO / "var" / "wufei.sqlite"


def test_every_file_read_at_runtime_is_bundled():
    bundled = {p.as_posix() for p in _setup_module().bundled_files(REPO)}
    runtime = {
        "app.py", ".streamlit/config.toml",
        "geodata/towns.csv", "geodata/district.geojson", "geodata/town_zones.geojson",
        *(p.relative_to(REPO).as_posix() for p in (REPO / "facilities").glob("*.csv")),
        *(p.relative_to(REPO).as_posix() for p in (REPO / "app_pages").rglob("*.py")),
        *(p.relative_to(REPO).as_posix() for p in (REPO / "app_pages").rglob("*.js")),  # the map's runtime
    }
    assert runtime <= bundled, sorted(runtime - bundled)
    assert not [p for p in bundled if p.startswith("geodata/") and ("build" in p or "sources" in p)]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("checkout") / "wufei-geo"
    shutil.copytree(REPO, src, ignore=_NOT_SOURCES)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(out), str(src)],
        check=True, capture_output=True, timeout=600,
    )
    (found,) = out.glob("wufei_geo-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_contains_the_data_the_app_and_the_migrations(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for rel in _setup_module().bundled_files(REPO):
            member = f"wufei_geo/_data/{rel.as_posix()}"
            assert member in names, member
            assert zf.read(member) == (REPO / rel).read_bytes(), member
        for migration in (REPO / "wufei_geo" / "migrations").rglob("*.py"):
            assert migration.relative_to(REPO).as_posix() in names
        for asset in (REPO / "wufei_geo" / "assets").rglob("*"):
            if asset.is_file():
                assert asset.relative_to(REPO).as_posix() in names
        assert not [n for n in names if "geodata/build.py" in n or "geodata/sources" in n]
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "wufei-geo = wufei_geo.cli:main" in zf.read(entry_points).decode()


@pytest.mark.slow
def test_the_installed_wheel_works_from_any_directory(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(site), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("WUFEI_DB_URL", "PYTHONPATH")}
    env |= {"PYTHONPATH": str(site), "XDG_DATA_HOME": str(tmp_path / "xdg")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], cwd=elsewhere, env=env, capture_output=True,
                              text=True, timeout=600, check=False)

    where = run("-c", "import json, wufei_geo.paths as p; print(json.dumps({k: str(getattr(p, k)) for k in "
                "('DATA_ROOT', 'SOURCE_ROOT', 'FACILITIES_DIR', 'APP_SCRIPT', 'DEFAULT_DB_PATH')}))")
    assert where.returncode == 0, where.stderr
    found = json.loads(where.stdout)
    assert found["DATA_ROOT"] == str(site / "wufei_geo" / "_data") and found["SOURCE_ROOT"] == "None"
    assert Path(found["APP_SCRIPT"]).is_file()
    assert found["DEFAULT_DB_PATH"] == str(tmp_path / "xdg" / "wufei-geo" / "wufei.sqlite")

    validate = run("-m", "wufei_geo", "validate")
    assert validate.returncode == 0 and validate.stdout.startswith("OK "), validate.stdout + validate.stderr
    sites = run("-m", "wufei_geo", "sites", "--json")
    assert sites.returncode == 0, sites.stderr
    listed = json.loads(sites.stdout)
    with (REPO / "facilities" / "sites.csv").open(encoding="utf-8", newline="") as fh:
        seeded = {row["site_id"] for row in csv.DictReader(fh)}
    assert {s["site_id"] for s in listed} == seeded
    assert (tmp_path / "xdg" / "wufei-geo" / "wufei.sqlite").is_file()  # migrations ran from the wheel
    serve = run("-m", "wufei_geo", "serve", "--print-command", "--server.port", "1")
    assert f"run {site / 'wufei_geo' / '_data' / 'app.py'} " in serve.stdout, serve.stdout + serve.stderr
    assert not list(elsewhere.iterdir())  # nothing written into the working directory
