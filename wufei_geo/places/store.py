"""The live places in the store's database (:class:`PlaceBook`, one per store: ``place_book(store)``).

Every change of a place — the 更新 page, the CLI, the bulk import — goes through :meth:`PlaceBook.add`,
:meth:`PlaceBook.update` or :meth:`PlaceBook.apply_batch`: the actor's live session, THE permission
rule (:func:`wufei_geo.places.rules.may_place`), the field rules, the note rule, an
optimistic-locked write and one ``place_audit`` row per changed field, in ONE transaction.  A town
official's 已建成 / 已命名 becomes a 待核实 claim (the place keeps its status, so no target counts
it) until a planner or administrator other than the claimant approves it (:meth:`decide_claim`).
Every edit, and :meth:`confirm`, stamps the status as confirmed (``freshness`` reads it).
The seed (``facilities/places.csv``) is written on first use and when the file changes, never
over a place a person changed.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import auth, db
from wufei_geo.errors import NotFound, StoreUnavailable, ValidationError, WufeiError
from wufei_geo.places import rules
from wufei_geo.places.vocab import COUNTED_STATUSES, PLACE_COLUMNS
from wufei_geo.store.values import check_note, clean, optional_note

SEED_USER = "seed"
# Actions that record a person's change (the seed leaves such a place alone).
USER_ACTIONS = frozenset({"add", "update", "approve_claim", "reject_claim", "claim", "confirm", "import"})
# Fields an edit writes besides the changed ones (not audited one by one).
_BOOKKEEPING = frozenset({"status_log", "status_confirmed_at", "status_confirmed_by", "version", "updated_at"})


def _stamp(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).isoformat(timespec="seconds")


def _fmt(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def place_row(conn: Connection, place_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(db.places).where(db.places.c.place_id == place_id)).mappings().first()
    return None if row is None else dict(row)


def _audit(conn: Connection, now: dt.datetime, who: str, place: Mapping[str, Any], action: str, field: str | None,
           old: Any, new: Any, note: str | None, version: int | None) -> None:
    conn.execute(sa.insert(db.place_audit).values(
        at=now, user_name=who, place_id=place["place_id"], town_code=place.get("town_code"), action=action,
        field=field, old_value=_fmt(old), new_value=_fmt(new), note=note, place_version=version))


def _log(place: Mapping[str, Any], status: str, as_of: str | None, source: str | None, by: str,
         now: dt.datetime, approved_by: str | None = None) -> str:
    """The status log with one more entry: every status a place reached, its date, its evidence."""
    try:
        entries = json.loads(place.get("status_log") or "[]")
    except ValueError:
        entries = []
    entry = {"status": status, "as_of": as_of, "source": source, "by": by, "at": _stamp(now)}
    if approved_by:
        entry["approved_by"] = approved_by
    return json.dumps([*entries, entry], ensure_ascii=False)


def _derive_precision(merged: dict[str, Any], cols: Mapping[str, Any]) -> None:
    """A point or area given without a precision is exact; a place that lost its point and area
    falls back to its town (or the district) — never keeps a precision it no longer has."""
    located = merged.get("lon") is not None or merged.get("area") is not None
    if ("lon" in cols or "area" in cols) and located and "precision" not in cols:
        merged["precision"] = "exact"
    if not located and merged.get("precision") in ("exact", "address", None, "unknown"):
        merged["precision"] = "town" if merged.get("town_code") else "district"
    if merged.get("precision") == "town" and not merged.get("town_code"):
        merged["precision"] = "district"


class PlaceBook:
    """The places of one store (see the module docstring)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    # ------------------------------------------------------------------ reads
    def frame(self, include_retired: bool = False) -> pd.DataFrame:
        """Every place as a frame of :data:`PLACE_COLUMNS` (lon/lat floats, version int)."""
        q = sa.select(*[db.places.c[c] for c in PLACE_COLUMNS]).order_by(db.places.c.place_id)
        if not include_retired:
            q = q.where(db.places.c.retired == sa.false())
        rows = self.store.read(lambda c: c.execute(q).all())
        frame = pd.DataFrame([tuple(r) for r in rows], columns=list(PLACE_COLUMNS))
        for col in ("lon", "lat"):
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
        frame["retired"] = frame["retired"].astype(bool)
        return frame

    def get(self, place_id: str) -> dict[str, Any]:
        row = self.store.read(lambda c: place_row(c, place_id))
        if row is None:
            raise NotFound(key="error.no_place", params={"place_id": place_id})
        return row

    def history(self, place_id: str | None = None, town_code: str | None = None) -> list[dict[str, Any]]:
        """Audit rows of places, newest first (``at_local``: Asia/Shanghai)."""
        a = db.place_audit
        q = sa.select(a).order_by(a.c.id.desc())
        if place_id is not None:
            q = q.where(a.c.place_id == place_id)
        if town_code is not None:
            q = q.where(a.c.town_code == town_code)
        rows = [dict(r) for r in self.store.read(lambda c: c.execute(q).mappings().all())]
        for r in rows:
            r["at_local"] = auth.shanghai_time(r["at"])
        return rows

    def pending_claims(self, town_code: str | None = None) -> list[dict[str, Any]]:
        """Places with a 待核实 claim awaiting a planner."""
        q = sa.select(db.places).where(db.places.c.claim_status.isnot(None), db.places.c.retired == sa.false())
        if town_code is not None:
            q = q.where(db.places.c.town_code == town_code)
        return [dict(r) for r in self.store.read(lambda c: c.execute(q.order_by(db.places.c.place_id)).mappings().all())]

    # ------------------------------------------------------------------ writes
    def add(self, actor: Any, record: Mapping[str, Any], note: str | None = None) -> dict[str, Any]:
        """Add a place (``record``: ``place_id`` + :data:`vocab.EDITABLE_FIELDS`).  Town officials:
        in their own town only; an official's 已建成 / 已命名 is kept as a claim."""
        return self.store.run_write(lambda conn: self._add(conn, actor, record, note, "add"))

    def update(self, actor: Any, place_id: str, changes: Mapping[str, Any], expected_version: int,
               note: str | None = None) -> dict[str, Any]:
        """Change a place's fields (see the module docstring); StaleVersion when it changed since."""
        return self.store.run_write(lambda conn: self._update(conn, actor, place_id, changes, expected_version, note,
                                                              "update"))

    def confirm(self, actor: Any, place_id: str, expected_version: int, note: str | None = None) -> dict[str, Any]:
        """Confirm a place's status unchanged (确认无变化): the confirmation stamp only, audited."""
        note = optional_note(note)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.store.now()
            who = auth.check_actor(conn, actor, now, self.store.settings)
            place = self._live(conn, place_id)
            rules.require_place(who, "confirm", place)
            self._check_version(place, expected_version)
            conn.execute(sa.update(db.places).where(db.places.c.place_id == place_id).values(
                status_confirmed_at=_stamp(now), status_confirmed_by=who.name))
            _audit(conn, now, who.name, place, "confirm", None, None, place["status"], note, place["version"])
            auth.touch(conn, who.session_id, now)
            return place_row(conn, place_id) or {}

        return self.store.run_write(work)

    def decide_claim(self, actor: Any, place_id: str, approve: bool, note: str | None = None) -> dict[str, Any]:
        """A planner or administrator (not the claimant) approves an official's claim — the place
        takes the claimed status, which then counts — or rejects it (note required)."""
        note = optional_note(note)
        if not approve and not note:
            raise ValidationError(key="error.place_reject_note", rule="note_required", params={"place_id": place_id})

        def work(conn: Connection) -> dict[str, Any]:
            now = self.store.now()
            who = auth.check_actor(conn, actor, now, self.store.settings)
            place = self._live(conn, place_id)
            if not place.get("claim_status"):
                raise ValidationError(key="error.place_no_claim", rule="no_claim", params={"place_id": place_id})
            rules.require_place(who, "decide_claim", place)
            version = place["version"] + 1
            clear = {k: None for k in ("claim_status", "claim_source", "claim_as_of", "claim_note", "claim_by",
                                       "claim_at")}
            values: dict[str, Any] = dict(clear, version=version, updated_at=now)
            if approve:
                values.update(
                    status=place["claim_status"], status_as_of=place["claim_as_of"] or self.store.today().isoformat(),
                    status_source=place["claim_source"], approved_by=who.name, approved_at=_stamp(now),
                    status_confirmed_at=_stamp(now), status_confirmed_by=who.name,
                    status_log=_log(place, place["claim_status"], place["claim_as_of"], place["claim_source"],
                                    place["claim_by"], now, approved_by=who.name))
            self._write(conn, place, values)
            why = f"{place['claim_by']}: {place['claim_note'] or ''}" + (f" | {note}" if note else "")
            action = "approve_claim" if approve else "reject_claim"
            _audit(conn, now, who.name, place, action, "status", place["status"],
                   place["claim_status"] if approve else place["status"], why, version)
            auth.touch(conn, who.session_id, now)
            return place_row(conn, place_id) or {}

        return self.store.run_write(work)

    def apply_batch(self, actor: Any, items: Sequence[Mapping[str, Any]], *, dry_run: bool
                    ) -> list[tuple[int, dict[str, Any] | None, WufeiError | None]]:
        """Bulk import (administrators): each item ``{row, place_id, changes, version?, note?}`` adds a
        new place or updates one, ALL in one transaction.  Returns ``(row, result, refusal)`` per
        item; a dry run (or any refusal) rolls everything back."""

        class _Rollback(Exception):
            pass

        results: list[tuple[int, dict[str, Any] | None, WufeiError | None]] = []

        def work(conn: Connection) -> None:
            results.clear()
            now = self.store.now()
            who = auth.check_actor(conn, actor, now, self.store.settings)
            rules.require_place(who, "import")
            for item in items:
                sp = conn.begin_nested()
                try:
                    existing = place_row(conn, item["place_id"])
                    if existing is None:
                        res = self._add(conn, actor, {"place_id": item["place_id"], **item["changes"]},
                                        item.get("note"), "import")
                    else:
                        version = item.get("version") or existing["version"]
                        res = self._update(conn, actor, item["place_id"], item["changes"], version, item.get("note"),
                                           "import")
                    sp.commit()
                    results.append((item["row"], res, None))
                except WufeiError as exc:
                    sp.rollback()
                    results.append((item["row"], None, exc))
            if dry_run or any(e is not None for _, _, e in results):
                raise _Rollback

        try:
            self.store.run_write(work)
        except _Rollback:
            pass
        return results

    # ------------------------------------------------------------------ the steps
    def _live(self, conn: Connection, place_id: str) -> dict[str, Any]:
        place = place_row(conn, place_id)
        if place is None:
            raise NotFound(key="error.no_place", params={"place_id": place_id})
        if place["retired"]:
            raise ValidationError(key="error.no_place", rule="retired", params={"place_id": place_id})
        return place

    @staticmethod
    def _check_version(place: Mapping[str, Any], expected: Any) -> None:
        if isinstance(expected, bool) or not isinstance(expected, int):
            raise ValidationError(key="error.bad_version", params={"started": "edit"})
        if place["version"] != expected:
            from wufei_geo.errors import StaleVersion

            raise StaleVersion(expected_version=expected, current_version=place["version"], key="error.place_stale",
                               params={"place_id": place["place_id"], "expected": expected,
                                       "current": place["version"]})

    @staticmethod
    def _write(conn: Connection, place: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        res = conn.execute(sa.update(db.places).where(db.places.c.place_id == place["place_id"],
                                                      db.places.c.version == place["version"]).values(**values))
        if res.rowcount != 1:
            from wufei_geo.store.session import Retry

            raise Retry(place["place_id"])

    def _status_step(self, who: Any, before: Mapping[str, Any], cols: dict[str, Any], note: str | None,
                     merged: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        """The status part of a change: the note rule, the evidence a counted status needs, and an
        official's counted status turned into a claim.  Returns the claim columns (or {})."""
        new = cols.get("status")
        old = before.get("status")
        if new is None or new == old:
            return {}
        rules.check_note(old, new, note)
        source = cols.get("status_source") or None
        if new in COUNTED_STATUSES and not source:
            raise ValidationError(key="error.place_evidence", rule="evidence_required", field="status_source",
                                  params={"status": new})
        as_of = cols.get("status_as_of") or self.store.today().isoformat()
        if new in COUNTED_STATUSES and not rules.may_place(who, "set_counted_status", merged):
            if before.get("claim_status"):
                raise ValidationError(key="error.place_claim_pending", rule="claim_pending",
                                      params={"place_id": before.get("place_id"), "status": before["claim_status"]})
            for k in ("status", "status_source", "status_as_of"):  # the place keeps its status meanwhile
                merged[k] = before.get(k)
            return {"claim_status": new, "claim_source": source, "claim_as_of": as_of, "claim_note": note,
                    "claim_by": who.name, "claim_at": _stamp(now)}
        merged["status_as_of"] = as_of
        merged["status_source"] = source or f"official: {who.name}"
        if new in COUNTED_STATUSES:
            merged["approved_by"], merged["approved_at"] = who.name, _stamp(now)
        merged["status_log"] = _log(before, new, as_of, merged["status_source"], who.name, now,
                                    approved_by=who.name if new in COUNTED_STATUSES else None)
        return {}

    def _add(self, conn: Connection, actor: Any, record: Mapping[str, Any], note: str | None, action: str
             ) -> dict[str, Any]:
        now = self.store.now()
        who = auth.check_actor(conn, actor, now, self.store.settings)
        if isinstance(note, str):
            check_note(note)
        note = optional_note(note)
        pid = rules.check_place_id(record.get("place_id"))
        cols = rules.parse_fields({k: v for k, v in record.items() if k != "place_id"}, self.store.today())
        rules.require_place(who, "add", {"place_id": pid, "town_code": cols.get("town_code")})
        if place_row(conn, pid) is not None:
            raise ValidationError(key="error.place_exists", rule="place_exists", params={"place_id": pid})
        cols.setdefault("status", "creating")
        merged: dict[str, Any] = {c: None for c in PLACE_COLUMNS} | {"place_id": pid} | cols
        _derive_precision(merged, cols)
        status, source = cols["status"], cols.get("status_source")
        as_of = cols.get("status_as_of") or self.store.today().isoformat()
        claim: dict[str, Any] = {}
        if status in COUNTED_STATUSES:
            if not source:
                raise ValidationError(key="error.place_evidence", rule="evidence_required", field="status_source",
                                      params={"status": status})
            if rules.may_place(who, "set_counted_status", merged):
                merged["approved_by"], merged["approved_at"] = who.name, _stamp(now)
            else:  # an official's counted status waits for a planner; the place starts as 创建中
                claim = {"claim_status": status, "claim_source": source, "claim_as_of": as_of, "claim_note": note,
                         "claim_by": who.name, "claim_at": _stamp(now)}
                status, source, as_of = "creating", None, self.store.today().isoformat()
        merged["status"], merged["status_as_of"] = status, as_of
        merged["status_source"] = source or f"official: {who.name}"
        merged["status_log"] = _log({}, status, as_of, merged["status_source"], who.name, now,
                                    approved_by=merged.get("approved_by"))
        merged.update(claim)
        merged.update(status_confirmed_at=_stamp(now), status_confirmed_by=who.name, retired=False, version=1)
        rules.check_whole(merged)
        conn.execute(sa.insert(db.places).values(**merged, updated_at=now))
        _audit(conn, now, who.name, merged, action, None, None, merged["name_zh"], note, 1)
        if claim:
            _audit(conn, now, who.name, merged, "claim", "status", merged["status"], claim["claim_status"], note, 1)
        auth.touch(conn, who.session_id, now)
        return place_row(conn, pid) or {}

    def _update(self, conn: Connection, actor: Any, place_id: str, changes: Mapping[str, Any], expected: Any,
                note: str | None, action: str) -> dict[str, Any]:
        now = self.store.now()
        who = auth.check_actor(conn, actor, now, self.store.settings)
        if isinstance(note, str):
            check_note(note)
        note = optional_note(note)
        place = self._live(conn, place_id)
        rules.require_place(who, "update", place)
        self._check_version(place, expected)
        cols = rules.parse_fields(changes, self.store.today())
        if "town_code" in cols and cols["town_code"] != place["town_code"]:
            rules.require_place(who, "update", {**place, "town_code": cols["town_code"]})
        merged = {**place, **cols}
        _derive_precision(merged, cols)
        claim = self._status_step(who, place, cols, note, merged, now)
        if "status" not in cols or cols["status"] == place["status"]:
            for k in ("status_as_of", "status_source"):  # evidence edited without a status change
                if k in cols:
                    merged[k] = cols[k]
        merged.update(claim)
        rules.check_whole(merged)
        changed = {k: v for k, v in merged.items()
                   if k not in _BOOKKEEPING and not _same(place.get(k), v)}
        if not changed:
            raise ValidationError(key="error.nothing_to_change_place", rule="nothing_to_change",
                                  params={"place_id": place_id})
        version = place["version"] + 1
        values = {k: merged[k] for k in changed} | {
            "status_log": merged.get("status_log"), "status_confirmed_at": _stamp(now),
            "status_confirmed_by": who.name, "version": version, "updated_at": now}
        self._write(conn, place, values)
        for k, v in changed.items():
            if k.startswith("claim_") and k != "claim_status":
                continue
            _audit(conn, now, who.name, merged, "claim" if k == "claim_status" else action, k, place.get(k), v, note,
                   version)
        auth.touch(conn, who.session_id, now)
        return place_row(conn, place_id) or {}

    # ------------------------------------------------------------------ seed
    def seed_from_file(self, records: Sequence[Mapping[str, Any]] | None = None) -> int:
        """Write the seed places (``facilities/places.csv``): a missing one is added, a seeded one a
        person never changed is refreshed when the file says otherwise; nothing is written (no
        transaction at all) when the database already holds the file.  Returns how many were written."""
        from wufei_geo.places.seed import load_seed_places

        wanted = [self._seed_row(rec) for rec in (load_seed_places() if records is None else records)]

        def stale(conn: Connection) -> list[dict[str, Any]]:
            touched = {r[0] for r in conn.execute(sa.select(db.place_audit.c.place_id).where(
                db.place_audit.c.action.in_(USER_ACTIONS)).distinct())}
            out = []
            for row in wanted:
                existing = place_row(conn, row["place_id"])
                if existing is None or (row["place_id"] not in touched
                                        and any(not _same(existing.get(k), v) for k, v in row.items())):
                    out.append(row)
            return out

        if not self.store.read(stale):
            return 0

        def work(conn: Connection) -> int:
            now = self.store.now()
            rows = stale(conn)
            for row in rows:
                existing = place_row(conn, row["place_id"])
                if existing is None:
                    conn.execute(sa.insert(db.places).values(**row, retired=False, version=1, updated_at=now))
                else:
                    conn.execute(sa.update(db.places).where(db.places.c.place_id == row["place_id"])
                                 .values(**row, version=existing["version"] + 1, updated_at=now))
            return len(rows)

        return self.store.run_write(work)

    @staticmethod
    def _seed_row(rec: Mapping[str, Any]) -> dict[str, Any]:
        row = {c: clean(rec.get(c)) for c in PLACE_COLUMNS if c not in ("retired", "version")}
        row["status_log"] = json.dumps([{"status": row["status"], "as_of": row["status_as_of"],
                                         "source": row["status_source"], "by": SEED_USER}], ensure_ascii=False)
        row["status_confirmed_at"] = row["status_as_of"]
        row["status_confirmed_by"] = SEED_USER
        return row


def _same(old: Any, new: Any) -> bool:
    old, new = clean(old), clean(new)
    if isinstance(old, float) and isinstance(new, (int, float)):
        return abs(old - float(new)) < 1e-9
    return old == new


def place_book(store: Any, *, seed: bool = True) -> PlaceBook:
    """The places of ``store`` (one book per store object; the seed is written on first use)."""
    book = getattr(store, "_place_book", None)
    if book is None:
        book = PlaceBook(store)
        if seed:
            try:
                book.seed_from_file()
            except StoreUnavailable:  # a read-only database still reads (its places as they are)
                logging.getLogger(__name__).warning("places not seeded: the database cannot be written")
        try:
            store._place_book = book
        except AttributeError:  # a store that takes no attributes: a fresh book each time
            pass
    return book
