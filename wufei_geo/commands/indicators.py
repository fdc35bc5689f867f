"""``wufei-geo indicators``: the register (附表1's 62 indicators and the facility targets) assessed
at a date; ``indicators set`` enters a reported value, ``judge`` records a planner's judgement,
``pending`` / ``confirm`` / ``reject`` handle 待核实 values."""
from __future__ import annotations

import argparse
import datetime as dt
import json

from wufei_geo.commands import fail, lang
from wufei_geo.commands.status import printable
from wufei_geo.commands.users import as_user
from wufei_geo.errors import WufeiError

STATUS_CHOICES = ("met", "not_met", "unmeasured", "judgement")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("indicators")
    p.add_argument("--json", action="store_true")
    p.add_argument("--department")
    p.add_argument("--status", choices=STATUS_CHOICES)
    p.add_argument("--as-of", type=_date, default=None)
    p.set_defaults(func=_list)
    sub = p.add_subparsers(dest="indicators_command", required=False)

    s = sub.add_parser("set")
    s.add_argument("id")
    s.add_argument("--year", required=True, type=int)
    s.add_argument("--value", required=True)
    s.add_argument("--source", required=True)
    s.add_argument("--note")
    s.add_argument("--insist", action="store_true")
    s.add_argument("--user", required=True)
    s.add_argument("--password-stdin", action="store_true")
    s.set_defaults(func=_set)

    j = sub.add_parser("judge")
    j.add_argument("id")
    j.add_argument("verdict", choices=("met", "not_met"))
    j.add_argument("--note", required=True)
    j.add_argument("--as-of", type=_date, default=None)
    j.add_argument("--user", required=True)
    j.add_argument("--password-stdin", action="store_true")
    j.set_defaults(func=_judge)

    w = sub.add_parser("workbook")
    w.add_argument("-o", "--output", required=True)
    w.add_argument("--department")
    w.add_argument("--year", type=int, default=2025)
    w.set_defaults(func=_workbook)

    im = sub.add_parser("import")
    im.add_argument("file")
    im.add_argument("--apply", action="store_true")
    im.add_argument("--user", required=True)
    im.add_argument("--password-stdin", action="store_true")
    im.set_defaults(func=_import)

    pe = sub.add_parser("pending")
    pe.add_argument("--json", action="store_true")
    pe.set_defaults(func=_pending)
    for name, confirm in (("confirm", True), ("reject", False)):
        c = sub.add_parser(name)
        c.add_argument("value_id", type=int)
        c.add_argument("--note")
        c.add_argument("--user", required=True)
        c.add_argument("--password-stdin", action="store_true")
        c.set_defaults(func=_decide, confirm=confirm)


def _open():
    from wufei_geo.store import Store

    return Store.open()


def _list(args: argparse.Namespace) -> int:
    from wufei_geo.departments import check_department
    from wufei_geo.i18n import t
    from wufei_geo.register.assess import PLAN_DEADLINE, assess, summary
    from wufei_geo.register.texts import latest_text, summary_lines, target_text

    as_of = args.as_of or PLAN_DEADLINE
    rows = assess(_open(), as_of)
    if args.department:
        try:
            key = check_department("department", args.department)
        except WufeiError as exc:
            return fail(exc)
        rows = [a for a in rows if key in a.entry.departments]
    if args.status:
        rows = [a for a in rows if a.status == args.status]
    if args.json:
        print(json.dumps([a.to_dict() for a in rows], ensure_ascii=False, indent=1, default=str))
        return 0
    lang = args.lang
    for line in summary_lines(summary(rows), lang, as_of):
        print(line)
    for a in rows:
        e = a.entry
        print(f"{e.id:>28}  {t('register.status.' + a.status, lang):<6}  {printable(e.name(lang))}  "
              f"{latest_text(a, lang)} / {target_text(e, lang)}")
    return 0


def _with_actor(args: argparse.Namespace, work) -> int:
    try:
        return as_user(args, work)
    except WufeiError as exc:
        return fail(exc)


def _set(args: argparse.Namespace) -> int:
    from wufei_geo.register import reporting

    def work(store, actor) -> int:
        row = reporting.report_value(store, actor, args.id, args.year, args.value, args.source, args.note, args.insist)
        shown = row["text"] if row["text"] is not None else f"{row['value']:g}"
        print(f"{row['entry_id']} {row['year']}: {shown} ({row['status']}, #{row['id']})")
        return 0

    return _with_actor(args, work)


def _judge(args: argparse.Namespace) -> int:
    from wufei_geo.register import reporting
    from wufei_geo.register.assess import PLAN_DEADLINE

    def work(store, actor) -> int:
        row = reporting.judge(store, actor, args.id, args.as_of or PLAN_DEADLINE, args.verdict, args.note)
        print(f"{row['entry_id']} {row['as_of']}: {row['verdict']}")
        return 0

    return _with_actor(args, work)


def _pending(args: argparse.Namespace) -> int:
    from wufei_geo.register import reporting

    rows = reporting.values(_open(), status="pending")
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        return 0
    for r in rows:
        print(f"#{r['id']}  {r['entry_id']}  {r['year']}: {r['value'] if r['text'] is None else r['text']}  "
              f"{printable(r['entered_by'])}  {printable(r['note'])}")
    return 0


def _decide(args: argparse.Namespace) -> int:
    from wufei_geo.register import reporting

    def work(store, actor) -> int:
        row = reporting.decide_value(store, actor, args.value_id, args.confirm, args.note)
        print(f"#{row['id']} {row['entry_id']}: {row['status']}")
        return 0

    return _with_actor(args, work)


def write_assessment(args: argparse.Namespace) -> int:
    """``wufei-geo report --assessment -o FILE.pdf`` (the report command's assessment branch)."""
    from pathlib import Path

    from wufei_geo.i18n import t
    from wufei_geo.register.assess import PLAN_DEADLINE, assess
    from wufei_geo.reports.assessment_pdf import assessment_pdf
    from wufei_geo.reports.briefing_pdf import BriefingFontError

    if not str(args.output).lower().endswith(".pdf"):
        return fail(t("cli.assessment_pdf_only", lang()))
    as_of = args.as_of or PLAN_DEADLINE
    store = _open()
    try:
        data = assessment_pdf(assess(store, as_of), as_of, args.lang, generated=args.today or store.today())
    except BriefingFontError as exc:
        return fail(t(exc.key, args.lang, **exc.params))
    Path(args.output).write_bytes(data)
    print(f"wrote {args.output}")
    return 0


def _workbook(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wufei_geo.departments import check_department
    from wufei_geo.io.value_import import department_workbook

    try:
        department = check_department("department", args.department) if args.department else None
    except WufeiError as exc:
        return fail(exc)
    Path(args.output).write_bytes(department_workbook(department, args.lang, args.year))
    print(f"wrote {args.output}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from wufei_geo.i18n import t
    from wufei_geo.io.bulk_import import read_file
    from wufei_geo.io.tabular import ImportFileError
    from wufei_geo.io.value_import import apply_values, plan_values

    def work(store, actor) -> int:
        try:
            data = read_file(args.file)
            result = (apply_values if args.apply else plan_values)(store, actor, data, str(args.file), args.lang)
        except ImportFileError as exc:
            return fail(exc)
        for r in result.rows:
            state = f"✗ {printable(r.error)}" if r.error else ("待核实" if r.pending else "✓")
            print(f"{r.row:>4}  {printable(r.item['entry_id'])}  {printable(r.item['year'])}: "
                  f"{printable(r.item['value'])}  {state}")
        if result.errors:
            return fail(t("cli.rows_refused", lang(), n=len(result.errors)))
        print(("written" if args.apply else "dry run: nothing written") + f" ({len(result.rows)} rows)")
        return 0

    return _with_actor(args, work)
