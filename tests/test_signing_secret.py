"""The backup-signing secret lives with the installation, apart from the database it protects:
a restore after the database was lost verifies the backup (no --accept-unsigned)."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TEST_PASSWORD, site_record

from wufei_geo import auth
from wufei_geo.config import Settings
from wufei_geo.io import backup
from wufei_geo.io.archive import BackupError
from wufei_geo.store import Store


def _open(url: str, **settings) -> Store:
    s = Store.open(url, seed=False, settings=Settings(db_url=url, **settings))
    return s


def test_restore_after_losing_the_sqlite_database_verifies(tmp_path: Path) -> None:
    db_file = tmp_path / "wufei.sqlite"
    url = f"sqlite:///{db_file}"
    store = _open(url)
    store.seed([site_record("S.1")])
    auth.create_user(store, "admin", "admin", None, TEST_PASSWORD)
    path = tmp_path / "nightly.zip"
    backup.backup(store, path)
    store.close()
    secret = db_file.with_name("wufei.sqlite.secret")
    assert secret.is_file() and secret.stat().st_mode & 0o077 == 0  # beside the database, private
    for lost in tmp_path.glob("wufei.sqlite*"):  # the disk with the database fails …
        if lost != secret:
            lost.unlink()
    fresh = _open(url)  # … a new empty database at the same place
    try:
        assert backup.preview(fresh, path).trust == "signed"
        backup.restore(fresh, path)  # no accept_unsigned needed
        assert fresh.get_site("S.1")["site_id"] == "S.1"
        assert auth.authenticate(fresh, "admin", TEST_PASSWORD).role == "admin"
    finally:
        fresh.close()


def test_an_existing_installations_secret_moves_into_the_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = _open(url, signing_secret_file=str(tmp_path / "none-yet" / "s.secret"))
    try:
        old = backup.installation_secret(store)  # created in meta and the file
        (tmp_path / "none-yet" / "s.secret").unlink()  # an installation from before the file
        assert backup.installation_secret(store) == old  # meta's secret is kept, written to the file again
        assert bytes.fromhex((tmp_path / "none-yet" / "s.secret").read_text().strip()) == old
    finally:
        store.close()


def test_servers_sharing_the_secret_file_verify_each_others_backups(db_url: str, tmp_path: Path) -> None:
    shared = str(tmp_path / "shared.secret")
    first = _open(db_url, signing_secret_file=shared)
    other_url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    second = _open(other_url, signing_secret_file=shared)
    try:
        first.seed([site_record("S.2")])
        path = tmp_path / "b.zip"
        backup.backup(first, path)
        assert backup.preview(second, path).trust == "signed"
        assert backup.preview(_open(f"sqlite:///{tmp_path / 'third.sqlite'}"), path).trust == "foreign"
    finally:
        first.close()
        second.close()


def test_a_damaged_secret_file_is_refused_not_replaced(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.sqlite'}"
    store = _open(url)
    try:
        (tmp_path / "d.sqlite.secret").write_text("not hex\n")
        with pytest.raises(BackupError) as exc:
            backup.backup(store, tmp_path / "x.zip")
        assert exc.value.key == "error.secret_file_damaged"
        assert (tmp_path / "d.sqlite.secret").read_text() == "not hex\n"
    finally:
        store.close()
