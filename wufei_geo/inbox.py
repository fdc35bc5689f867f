"""What waits for a logged-in user: the one list every page shows at its top, the navigation counts
and ``wufei-geo inbox`` prints.

The list is put together from *providers*, one per source of work: a provider is a function
``(store, actor, context) -> list[InboxItem]`` in :data:`PROVIDERS` (add one with
:func:`register`).  Other sources (register values owed by a department, places awaiting approval)
are one provider each and need nothing else here.

Planners (and administrators): 待核实 proposals, existing facilities whose capacity before the upgrade
is missing, sites of a capacity target whose design capacity is missing, sites without an expected
commissioning date, stale statuses, the open round and its progress.  Town officials: their own
pending and rejected proposals (with the planner's note), their sites still to confirm in the open
round, their sites without an expected date.

Planners also: places whose claim waits for approval, register values waiting as 待核实.  A
department account: the indicators it reports that have no value for the plan's last year.

Each item names the form that resolves it (:attr:`InboxItem.form`: ``proposal``, ``site``,
``bulk``, ``round``, ``places``, ``indicators``) and the site or proposal it opens with."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from wufei_geo import permissions
from wufei_geo.i18n import t

# The statuses in which a site still needs an expected commissioning date.
_UNFINISHED = ("planned", "under_construction", "commissioning")
# The plan's last year: the value a department owes for each indicator it reports.
PLAN_LAST_YEAR = 2025
# Rejections an official is told about: decided within this many days.
REJECTED_DAYS = 30


@dataclass(frozen=True)
class InboxItem:
    """One thing waiting for a user: what (``kind``), how many, where it is resolved."""

    kind: str
    count: int = 1
    site_id: str | None = None
    proposal_id: int | None = None
    form: str = "site"  # proposal | site | bulk | round | places | indicators
    params: dict[str, Any] = field(default_factory=dict)
    note: str | None = None  # typed by a person (a planner's decision note, an official's reason)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {**asdict(self), "text": item_text(self, lang)}


@dataclass
class Context:
    """What every provider may read, computed once per inbox."""

    sites: pd.DataFrame
    today: dt.date
    months: int
    targets: list[dict[str, Any]] = field(default_factory=list)


Provider = Callable[[Any, Any, Context], list[InboxItem]]
PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add a source of items (usable as a decorator)."""
    PROVIDERS.append(provider)
    return provider


def _planner(actor: Any) -> bool:
    """A district planner (or administrator): who decides proposals and keeps the district's sites."""
    return permissions.may(actor, "decide_proposal")


def _live(sites: pd.DataFrame) -> pd.DataFrame:
    if "retired" in sites.columns:
        return sites[~sites["retired"].fillna(False).astype(bool)]
    return sites


def _mine(sites: pd.DataFrame, actor: Any) -> pd.DataFrame:
    return sites[sites["town_code"].astype("string") == str(actor.town_code)]


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype("string").str.strip() == "")


# --------------------------------------------------------------------------- providers
@register
def proposals(store: Any, actor: Any, ctx: Context) -> list[InboxItem]:
    """Planners: every 待核实 proposal.  Officials: their own pending ones, and their rejections
    of the last :data:`REJECTED_DAYS` days with the planner's note."""
    if _planner(actor):
        return [InboxItem("proposal_pending", site_id=p["site_id"], proposal_id=int(p["id"]), form="proposal",
                          params={"by": p["proposed_by"], "at": p["proposed_at_local"]}, note=p["note"])
                for p in store.proposals(status="pending")]
    out = [InboxItem("proposal_waiting", site_id=p["site_id"], proposal_id=int(p["id"]), form="proposal",
                     params={"at": p["proposed_at_local"]}, note=p["note"])
           for p in store.proposals(status="pending") if p["proposed_by"] == actor.name]
    since = ctx.today - dt.timedelta(days=REJECTED_DAYS)
    for p in store.proposals(status="rejected"):
        decided = p.get("decided_at")
        if p["proposed_by"] == actor.name and decided is not None and decided.date() >= since:
            out.append(InboxItem("proposal_rejected", site_id=p["site_id"], proposal_id=int(p["id"]), form="site",
                                 params={"by": p["decided_by"], "at": p["decided_at_local"]},
                                 note=p.get("decision_note")))
    return out


@register
def missing_capacities(store: Any, actor: Any, ctx: Context) -> list[InboxItem]:
    """Planners: upgraded facilities without their capacity before the project (it keeps 今日运行
    unknown), and sites of a capacity target without a design capacity — one item per site."""
    if not _planner(actor):
        return []
    sites = _live(ctx.sites)
    out = []
    existing = sites["existing_facility"].fillna(False).astype(bool) if "existing_facility" in sites else None
    if existing is not None and "baseline_capacity_norm" in sites:
        for sid in sites.loc[existing & sites["baseline_capacity_norm"].isna(), "site_id"]:
            out.append(InboxItem("missing_baseline", site_id=str(sid), form="site"))
    capacity_categories = {tg.get("category") for tg in ctx.targets if tg.get("measure") == "capacity"}
    pursued = sites["status"].isin([*_UNFINISHED, "operating"])
    lacking = sites[pursued & sites["category"].isin(capacity_categories) & sites["capacity_norm"].isna()]
    out += [InboxItem("missing_design", site_id=str(sid), form="site") for sid in lacking["site_id"]]
    return out


@register
def undated_sites(store: Any, actor: Any, ctx: Context) -> list[InboxItem]:
    """Sites not finished yet without an expected commissioning date: officials one item per own site,
    planners one item with the count (filled in bulk: the import or the round workbook)."""
    sites = _live(ctx.sites)
    undated = sites[sites["status"].isin(_UNFINISHED) & _blank(sites["expected_commissioning"])]
    if _planner(actor):
        return [InboxItem("undated_sites", count=len(undated), form="bulk")] if len(undated) else []
    return [InboxItem("undated_site", site_id=str(sid), form="site") for sid in _mine(undated, actor)["site_id"]]


@register
def stale_statuses(store: Any, actor: Any, ctx: Context) -> list[InboxItem]:
    """Planners: how many statuses were not confirmed within the period."""
    if not _planner(actor):
        return []
    from wufei_geo.freshness import stale_flags

    sites = _live(ctx.sites)
    n = int(stale_flags(sites, ctx.today, ctx.months).sum()) if len(sites) else 0
    return [InboxItem("stale_statuses", count=n, form="bulk", params={"months": ctx.months})] if n else []


@register
def open_round(store: Any, actor: Any, ctx: Context) -> list[InboxItem]:
    """Planners: the open round and its progress.  Officials: their sites still to confirm in it."""
    rnd = store.current_round()
    if rnd is None:
        return []
    if _planner(actor):
        progress = store.round_progress(rnd["id"])
        answered, total = sum(p["answered"] for p in progress), sum(p["total"] for p in progress)
        return [InboxItem("round_progress", count=total - answered, form="round",
                          params={"id": rnd["id"], "title": rnd["title"], "answered": answered, "total": total,
                                  "deadline": rnd["deadline"] or "—"})]
    if permissions.town_scope(actor) is None:  # not a town's account (a department): no sites to confirm
        return []
    if rnd["towns"] and actor.town_code not in rnd["towns"]:
        return []
    sites = store.round_sites(rnd["id"], actor.town_code)
    todo = int((~sites["answered"]).sum()) if len(sites) else 0
    return [InboxItem("round_todo", count=todo, form="round",
                      params={"id": rnd["id"], "title": rnd["title"], "deadline": rnd["deadline"] or "—"})] if todo else []


@register
def place_claims(store: Any, actor: Any, ctx: Context) -> list[InboxItem]:
    """Planners: places whose 已建成 / 已命名 claim waits for their approval (one item, counted)."""
    if not permissions.may(actor, "decide_place_claim"):
        return []
    from wufei_geo.places.store import place_book

    n = sum(1 for c in place_book(store).pending_claims() if c.get("claim_by") != actor.name)
    return [InboxItem("place_claims", count=n, form="places")] if n else []


@register
def register_values(store: Any, actor: Any, ctx: Context) -> list[InboxItem]:
    """Planners: register values waiting as 待核实.  A department account: the reported indicators it
    owns with no value yet for the plan's last year (what the assessment still needs from it)."""
    from wufei_geo.register import reporting

    if permissions.may(actor, "judge_register"):
        n = len(reporting.values(store, status="pending"))
        return [InboxItem("register_pending", count=n, form="indicators")] if n else []
    department = permissions.department_scope(actor)
    if department is None:
        return []
    from wufei_geo.register.entries import load_register
    from wufei_geo.register.measures import ReportedMeasure

    year = PLAN_LAST_YEAR
    reported = {v["entry_id"] for v in reporting.values(store) if v["year"] >= year}
    owed = [e.id for e in load_register() if isinstance(e.measure, ReportedMeasure) and e.owned_by(department)
            and e.id not in reported]
    return [InboxItem("register_owed", count=len(owed), form="indicators",
                      params={"year": year, "ids": "、".join(owed[:12]) + ("…" if len(owed) > 12 else "")})] \
        if owed else []


# --------------------------------------------------------------------------- the list
def inbox(store: Any, actor: Any, *, sites: pd.DataFrame | None = None, targets: Any = None,
          today: dt.date | None = None) -> list[InboxItem]:
    """Everything waiting for ``actor`` (no one logged in: nothing), from every provider in turn."""
    if actor is None:
        return []
    if sites is None:
        sites = store.sites_frame()
    if targets is None:
        from wufei_geo.facilities import load_targets

        targets = load_targets()
    rows = targets.to_dict("records") if isinstance(targets, pd.DataFrame) else list(targets)
    ctx = Context(sites=sites, today=today or store.today(), months=store.settings.status_confirmation_months,
                  targets=rows)
    items: list[InboxItem] = []
    for provider in PROVIDERS:
        items += provider(store, actor, ctx)
    return items


def total(items: list[InboxItem]) -> int:
    """The count in the navigation: every site or proposal waiting (an aggregated item by its count)."""
    return sum(item.count for item in items)


def item_text(item: InboxItem, lang: str) -> str:
    """One line of the inbox in the reader's language (typed notes are added by the caller, escaped)."""
    values = {"n": item.count, "site": item.site_id or "", "id": item.proposal_id or "", **item.params}
    return t(f"inbox.item.{item.kind}", lang, **values)


def headline(items: list[InboxItem], lang: str) -> str:
    """The top line: '1 条待核实 · 13 个站点缺预计投运日期 · …' (the kinds with their counts)."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + item.count
    sep = " · "
    return sep.join(t(f"inbox.count.{kind}", lang, n=n) for kind, n in counts.items() if n)
