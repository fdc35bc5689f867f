"""Update rounds (issue 12): opening and closing a round, its scope (``in_scope``), the answers
written with every confirmation, edit or proposal of a site in scope (``record_answer``), and
the reads of rounds, their sites and their progress per town."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import auth, db, permissions
from wufei_geo.auth import Actor
from wufei_geo.errors import NotFound, ValidationError
from wufei_geo.model import CATEGORIES
from wufei_geo.store import audit
from wufei_geo.store.atomic import for_write, guarded_update, serialise
from wufei_geo.store.reads import Reads
from wufei_geo.store.values import check_text

# The rule "one round open at a time" (no row holds it: every opener takes this lock first).
OPEN_ROUND_RULE = "update_rounds.one_open"


def round_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    d = dict(row)
    d["towns"] = json.loads(d["towns"] or "[]")
    d["categories"] = json.loads(d["categories"] or "[]")
    d["opened_at_local"] = auth.shanghai_time(d["opened_at"]) if d.get("opened_at") else None
    d["closed_at_local"] = auth.shanghai_time(d["closed_at"]) if d.get("closed_at") else None
    return d


# The "town" of the district-level sites (no town) in a round's progress: they are the planners' to
# answer (or the responsible department's once departments have accounts).
DISTRICT = "district"


def in_scope(rnd: Mapping[str, Any], town_code: Any, category: Any) -> bool:
    """A site is asked about when its category is in scope and its town is — a district-level site
    (no town) whenever the round covers the whole district (no towns named)."""
    towns, cats = rnd["towns"], rnd["categories"]
    if town_code in (None, "") or (isinstance(town_code, float) and town_code != town_code):
        return not towns and (not cats or category in cats)
    return (not towns or str(town_code) in towns) and (not cats or category in cats)


def record_answer(conn: Connection, now: dt.datetime, who: str, site: Mapping[str, Any], answer: str) -> None:
    """Keep a confirmation or edit as an answer to every open round whose scope has the site."""
    # share-locked: a round closing meanwhile either waits for this answer or is no longer open
    query = for_write(conn, sa.select(db.update_rounds).where(db.update_rounds.c.status == "open"), shared=True)
    for row in conn.execute(query).mappings().all():
        rnd = round_dict(row)
        if in_scope(rnd, site["town_code"], site["category"]):
            conn.execute(sa.insert(db.round_answers).values(
                round_id=rnd["id"], site_id=site["site_id"], town_code=site["town_code"], answer=answer,
                answered_by=who, answered_at=now))


def _round_title(title: Any) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError(rule="round_title", key="error.round_title", field="title")
    check_text("the title", title, controls=True)
    title = title.strip()
    if len(title) > 200:
        raise ValidationError(rule="round_title", key="error.round_title_long", max=200)
    return title


def _round_deadline(deadline: Any) -> str | None:
    if deadline in (None, ""):
        return None
    try:
        return (deadline if isinstance(deadline, dt.date) else dt.date.fromisoformat(str(deadline).strip())).isoformat()
    except ValueError:
        raise ValidationError(rule="round_deadline", key="error.round_deadline_format", field="deadline", value=deadline) from None


def _round_categories(categories: Iterable[str] | None) -> list[str]:
    cat_list = [c for c in CATEGORIES if c in set(categories or [])]
    unknown = sorted(set(categories or []) - set(CATEGORIES))
    if unknown:
        raise ValidationError(rule="round_category", key="error.round_category", names=", ".join(map(str, unknown)))
    return cat_list


class Rounds(Reads):
    """Update rounds."""

    def open_round(self, actor: Actor | None, title: str, deadline: Any = None, towns: Iterable[str] | None = None,
                   categories: Iterable[str] | None = None) -> dict[str, Any]:
        """A planner or administrator opens an update round: each official of a town in scope is asked
        to confirm or correct the town's sites of the categories in scope (``None``/empty = all).
        One round is open at a time.  Audited as ``open_round``."""
        title = _round_title(title)
        deadline_text = _round_deadline(deadline)
        town_list = sorted({auth.check_town_code(str(t)) for t in (towns or [])})
        cat_list = _round_categories(categories)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            who = auth.check_actor(conn, actor, now, self.settings)
            permissions.require(who, "manage_rounds")
            if deadline_text is not None and deadline_text < self.today().isoformat():
                raise ValidationError(rule="round_deadline", key="error.round_deadline_past", field="deadline")
            serialise(conn, OPEN_ROUND_RULE)  # two planners opening at once: the second sees the first's round
            current = conn.execute(sa.select(db.update_rounds.c.id).where(db.update_rounds.c.status == "open")).first()
            if current is not None:
                raise ValidationError(rule="round_open", key="error.round_open", round_id=current[0])
            rid = conn.execute(sa.insert(db.update_rounds).values(
                title=title, deadline=deadline_text, towns=json.dumps(town_list), categories=json.dumps(cat_list),
                status="open", opened_by=who.name, opened_at=now).returning(db.update_rounds.c.id)).scalar_one()
            audit.record(conn, now, who.name, None, None, "open_round", None, None, f"#{rid} {title}", None, None)
            auth.touch(conn, who.session_id, now)
            return round_dict(conn.execute(sa.select(db.update_rounds).where(db.update_rounds.c.id == rid)).mappings().one())

        return self.run_write(work)

    def close_round(self, actor: Actor | None, round_id: int) -> dict[str, Any]:
        """A planner or administrator closes an open round (its answers are kept).  Audited as ``close_round``."""
        if isinstance(round_id, bool) or not isinstance(round_id, int):
            raise ValidationError(rule="round_id", key="error.round_id")

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            who = auth.check_actor(conn, actor, now, self.settings)
            permissions.require(who, "manage_rounds")
            r = db.update_rounds
            row = conn.execute(for_write(conn, sa.select(r).where(r.c.id == round_id))).mappings().first()
            if row is None:
                raise NotFound(rule="no_round", key="error.no_round", round_id=round_id)
            if row["status"] != "open":
                raise ValidationError(rule="round_closed", key="error.round_closed", round_id=round_id)
            guarded_update(conn, r, sa.and_(r.c.id == round_id, r.c.status == "open"),
                           {"status": "closed", "closed_by": who.name, "closed_at": now},
                           lambda: ValidationError(rule="round_closed", key="error.round_closed", round_id=round_id))
            audit.record(conn, now, who.name, None, None, "close_round", None, None, f"#{round_id} {row['title']}", None, None)
            auth.touch(conn, who.session_id, now)
            return round_dict(conn.execute(sa.select(db.update_rounds).where(db.update_rounds.c.id == round_id)).mappings().one())

        return self.run_write(work)

    def rounds(self, status: str | None = None) -> list[dict[str, Any]]:
        """Update rounds, newest first (``towns``/``categories`` decoded; empty = all)."""
        r = db.update_rounds
        q = sa.select(r).order_by(r.c.id.desc())
        if status is not None:
            q = q.where(r.c.status == status)
        return [round_dict(row) for row in self.read(lambda c: c.execute(q).mappings().all())]

    def current_round(self) -> dict[str, Any] | None:
        """The open round, if any."""
        found = self.rounds("open")
        return found[0] if found else None

    def get_round(self, round_id: int) -> dict[str, Any]:
        row = self.read(lambda c: c.execute(sa.select(db.update_rounds).where(db.update_rounds.c.id == round_id)).mappings().first())
        if row is None:
            raise NotFound(rule="no_round", key="error.no_round", round_id=round_id)
        return round_dict(row)

    def round_answers(self, round_id: int) -> list[dict[str, Any]]:
        """Every answer of a round, oldest first (who answered what, when)."""
        a = db.round_answers
        rows = self.read(lambda c: c.execute(sa.select(a).where(a.c.round_id == round_id).order_by(a.c.id)).mappings().all())
        out = []
        for row in rows:
            d = dict(row)
            d["answered_at_local"] = auth.shanghai_time(d["answered_at"])
            out.append(d)
        return out

    def round_sites(self, round_id: int, town_code: str | None = None) -> pd.DataFrame:
        """The live sites in a round's scope (optionally of one town; :data:`DISTRICT`: the sites of no
        town), with ``answered`` (bool)."""
        rnd = self.get_round(round_id)
        sites = self.sites_frame()
        mask = [in_scope(rnd, t, c) for t, c in zip(sites["town_code"], sites["category"], strict=True)]
        sites = sites[pd.Series(mask, index=sites.index, dtype=bool)]
        if town_code == DISTRICT:
            sites = sites[sites["town_code"].isna() | (sites["town_code"].astype("string") == "")]
        elif town_code is not None:
            sites = sites[sites["town_code"].astype("string") == str(town_code)]
        answered = {a["site_id"] for a in self.round_answers(round_id)}
        return sites.assign(answered=sites["site_id"].astype(str).isin(answered).astype(bool)).reset_index(drop=True)

    def round_progress(self, round_id: int) -> list[dict[str, Any]]:
        """Per town in the round's scope: ``{town_code, total, answered, last_answer_at, last_answer_at_local,
        last_answer_by, assigned_to}`` — answered = sites with at least one answer (town order: by code;
        the district-level sites last, as :data:`DISTRICT`, assigned to the planners)."""
        rnd = self.get_round(round_id)
        sites = self.round_sites(round_id)
        answers = self.round_answers(round_id)
        codes = rnd["towns"] or sorted({str(c) for c in sites["town_code"].dropna() if str(c)}
                                       | {str(a["town_code"]) for a in answers if a["town_code"]})
        no_town = sites["town_code"].isna() | (sites["town_code"].astype("string") == "")
        if no_town.any():
            codes = [*codes, DISTRICT]
        out = []
        for code in codes:
            mine = sites[no_town] if code == DISTRICT else sites[sites["town_code"].astype("string") == code]
            last = [a for a in answers if (a["town_code"] or DISTRICT) == code]
            out.append({
                "town_code": code, "assigned_to": "planner" if code == DISTRICT else "town_official",
                "total": int(len(mine)), "answered": int(mine["answered"].sum()),
                "last_answer_at": last[-1]["answered_at"] if last else None,
                "last_answer_at_local": last[-1]["answered_at_local"] if last else None,
                "last_answer_by": last[-1]["answered_by"] if last else None,
            })
        return out
