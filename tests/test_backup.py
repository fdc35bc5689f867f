"""Backup and restore: complete, portable (SQLite ⇄ PostgreSQL), validated, all-or-nothing, admin only."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import TEST_PASSWORD, site_record

from wufei_geo import auth, db
from wufei_geo.cli import main
from wufei_geo.config import Settings
from wufei_geo.errors import PermissionDenied
from wufei_geo.io import backup, layers, tabular
from wufei_geo.store import Store

XIAYANG = "310118001"


def _open(url: str) -> Store:
    return Store.open(url, seed=False, settings=Settings(db_url=url))


def _populate(store: Store, admin: auth.Actor) -> None:
    """Sites, an official's edits (audit), users and a note: a small but complete database."""
    store.seed([site_record("E.12-1"), site_record("E.12-2", name_zh="<b>嵩山村</b> 站", town_code="310118107"),
                site_record("E.21-1", category="construction_waste", capacity_value=50.0, capacity_unit="万吨/年",
                            capacity_norm=500000.0, capacity_norm_unit="t/yr", capacity_components=[], wet_waste_mode=None)])
    auth.create_user(store, "xiayang", "town_official", XIAYANG, TEST_PASSWORD)
    official = auth.authenticate(store, "xiayang", TEST_PASSWORD)
    store.update_site(official, "E.12-1", {"status": "under_construction"}, 1, "开工 2025-03")
    store.update_site(official, "E.12-1", {"operating_capacity_value": 400, "operating_capacity_unit": "kg/d"}, 2)
    store.update_site(admin, "E.21-1", {"status": "operating", "commissioned": "2024-06"}, 1)


def _export(store: Store) -> bytes:
    return tabular.to_csv_bytes("sites", layers.sites_layer(store.sites_frame(include_retired=True)))


def _rows(store: Store, table: sa.Table) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]


def test_backup_restore_into_empty_database_gives_identical_export(store, admin, tmp_path):
    _populate(store, admin)
    path = tmp_path / "wufei.backup.zip"
    manifest = backup.backup(store, path)
    assert manifest["tables"]["sites"]["rows"] == 3
    assert manifest["tables"]["users"]["rows"] == 2  # admin + xiayang
    assert manifest["tables"]["audit"]["rows"] == len(_rows(store, db.audit))
    assert "sessions" not in manifest["tables"]

    target = _open(f"sqlite:///{tmp_path / 'restored.sqlite'}")
    try:
        summary = backup.restore(target, path, accept_unsigned=True)  # another installation (issue 15)
        assert summary.counts["sites"] == 3
        assert _export(target) == _export(store)
        assert _rows(target, db.sessions) == []  # everybody logged out
        # users keep their bcrypt hashes: the official can log in on the restored database
        assert auth.authenticate(target, "xiayang", TEST_PASSWORD).town_code == XIAYANG
        assert _rows(target, db.users) == _rows(store, db.users)
        restored_audit = _rows(target, db.audit)
        assert restored_audit[:-1] == _rows(store, db.audit)
        assert restored_audit[-1][5] == "restore"  # the restore itself is on the record
    finally:
        target.close()


def test_backup_holds_hashes_never_passwords(store, admin, tmp_path):
    _populate(store, admin)
    path = tmp_path / "b.zip"
    backup.backup(store, path)
    with zipfile.ZipFile(path) as zf:
        text = b"".join(zf.read(n) for n in zf.namelist()).decode("utf-8")
    assert TEST_PASSWORD not in text
    users = [json.loads(line) for line in zipfile.ZipFile(path).read("tables/users.jsonl").decode().splitlines()]
    assert all(u["password_hash"].startswith("$2") for u in users)


@pytest.mark.postgres
def test_sqlite_backup_restores_into_postgresql_and_back(sqlite_url, pg_url, tmp_path):
    source = _open(sqlite_url)
    auth.create_user(source, "admin", "admin", None, TEST_PASSWORD)
    _populate(source, auth.authenticate(source, "admin", TEST_PASSWORD))
    path = tmp_path / "from-sqlite.zip"
    backup.backup(source, path)
    pg = _open(pg_url)
    try:
        backup.restore(pg, path, accept_unsigned=True)
        assert _export(pg) == _export(source)
        # the PostgreSQL sequences continue after the restored ids: new edits and users work
        official = auth.authenticate(pg, "xiayang", TEST_PASSWORD)
        pg.update_site(official, "E.12-1", {"status": "commissioning"}, 3)
        auth.create_user(pg, "planner2", "planner", None, TEST_PASSWORD)
        assert pg.get_site("E.12-1")["status"] == "commissioning"
        # and back: PostgreSQL → SQLite
        back_path = tmp_path / "from-pg.zip"
        backup.backup(pg, back_path)
        again = _open(f"sqlite:///{tmp_path / 'again.sqlite'}")
        backup.restore(again, back_path, accept_unsigned=True)
        assert _export(again) == _export(pg)
        again.close()
    finally:
        pg.close()
        source.close()


def _rewrite(path: Path, out: Path, edit) -> Path:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    edit(members)
    with zipfile.ZipFile(out, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    return out


def _set_manifest(members: dict, **changes) -> None:
    manifest = json.loads(members["manifest.json"])
    manifest.update(changes)
    members["manifest.json"] = json.dumps(manifest).encode()


def _tamper_sites(members: dict) -> None:
    members["tables/sites.jsonl"] = members["tables/sites.jsonl"].replace(b'"planned"', b'"operating"')


def _tamper_sites_and_fix_checksum(members: dict) -> None:
    """A well-formed checksum over a row with a wrong type: caught by value validation."""
    data = members["tables/sites.jsonl"].replace(b'"version": 1', b'"version": "one"', 1)
    members["tables/sites.jsonl"] = data
    manifest = json.loads(members["manifest.json"])
    manifest["tables"]["sites"]["sha256"] = hashlib.sha256(data).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m.pop("manifest.json"), "manifest"),
        (lambda m: _set_manifest(m, format="something-else"), "wufei-geo"),
        (lambda m: _set_manifest(m, schema_revision="0000_other"), "0000_other"),
        (_tamper_sites, "sites"),
        (lambda m: m.pop("tables/audit.jsonl"), "audit"),
        (_tamper_sites_and_fix_checksum, "version"),
    ],
    ids=["no-manifest", "not-ours", "other-schema", "checksum", "missing-table", "bad-value"],
)
def test_broken_backup_is_refused_and_changes_nothing(store, admin, tmp_path, edit, message):
    _populate(store, admin)
    good = tmp_path / "good.zip"
    backup.backup(store, good)
    store.update_site(admin, "E.12-2", {"status": "under_construction"}, 1)  # the database moved on
    before = store.content_hash()
    broken = _rewrite(good, tmp_path / "broken.zip", edit)
    with pytest.raises(backup.BackupError, match=message):
        backup.restore(store, broken)
    assert store.content_hash() == before


def test_not_a_zip_is_refused(store, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    before = store.content_hash()
    with pytest.raises(backup.BackupError, match="zip"):
        backup.restore(store, path)
    assert store.content_hash() == before


def test_only_an_admin_restores_or_backs_up_from_the_app(store, admin, planner, tmp_path):
    _populate(store, admin)
    path = tmp_path / "b.zip"
    backup.backup(store, path, actor=admin)
    before = store.content_hash()
    with pytest.raises(PermissionDenied):
        backup.restore(store, path, actor=planner)
    with pytest.raises(PermissionDenied):
        backup.backup(store, io.BytesIO(), actor=planner)
    assert store.content_hash() == before


def test_cli_backup_and_restore_asks_unless_yes(sqlite_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WUFEI_DB_URL", sqlite_url)
    store = Store.open(sqlite_url, settings=Settings(db_url=sqlite_url))  # seeded from facilities/, like the CLI
    auth.create_user(store, "admin", "admin", None, TEST_PASSWORD)
    admin = auth.authenticate(store, "admin", TEST_PASSWORD)
    first = store.sites_frame().iloc[0]
    store.update_site(admin, first["site_id"], {"status": "under_construction"}, int(first["version"]))
    path = tmp_path / "cli.zip"
    assert main(["backup", str(path)]) == 0
    expected = _export(store)
    site = store.get_site(first["site_id"])
    store.update_site(admin, site["site_id"], {"status": "cancelled"}, site["version"], "用地取消")
    before = store.content_hash()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal, no --yes
    assert main(["restore", str(path)]) == 1
    assert "--yes" in capsys.readouterr().err
    assert store.content_hash() == before
    assert main(["restore", str(path), "--yes"]) == 0
    assert _export(store) == expected
    assert store.get_site(first["site_id"])["status"] == "under_construction"
    store.close()


def test_places_and_their_history_travel_in_the_backup(store, admin, tmp_path):
    from wufei_geo.places.store import place_book

    place_book(store).add(admin, {"place_id": "XY-B1", "name_zh": "夏阳零浪费街区", "place_type": "zero_waste_block",
                                  "town_code": XIAYANG, "status": "built", "status_source": "区绿化市容局验收"})
    path = tmp_path / "wufei.backup.zip"
    manifest = backup.backup(store, path)
    assert manifest["tables"]["places"]["rows"] == len(_rows(store, db.places)) > 1  # the seeded ones too
    target = _open(f"sqlite:///{tmp_path / 'restored.sqlite'}")
    try:
        backup.restore(target, path, accept_unsigned=True)
        assert _rows(target, db.places) == _rows(store, db.places)
        assert _rows(target, db.place_audit) == _rows(store, db.place_audit)
        assert place_book(target).get("XY-B1")["status"] == "built"
    finally:
        target.close()
