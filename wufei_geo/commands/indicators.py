"""``wufei-geo indicators``: the register (附表1's 62 indicators and the facility targets) assessed
at a date; ``indicators set`` enters a reported value, ``judge`` records a planner's judgement,
``pending`` / ``confirm`` / ``reject`` handle 待核实 values."""
from __future__ import annotations

import argparse
import datetime as dt
import json

from wufei_geo.commands import fail
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
    p = subparsers.add_parser("indicators", help="the plan's indicators and targets, assessed at a date (终期评估)")
    p.add_argument("--json", action="store_true", help="one JSON object per entry")
    p.add_argument("--department", help="only the entries of this department (e.g. 区绿化市容局)")
    p.add_argument("--status", choices=STATUS_CHOICES, help="only the entries of this status")
    p.add_argument("--as-of", type=_date, default=None, help="the assessment date (default 2025-12-31, the plan's deadline)")
    p.set_defaults(func=_list)
    sub = p.add_subparsers(dest="indicators_command", required=False)

    s = sub.add_parser("set", help="enter a reported value of an entry for a year (as a named user)")
    s.add_argument("id", help="the plan's number (e.g. 27) or a target id")
    s.add_argument("--year", required=True, type=int, help="the year the value is for (2021 on)")
    s.add_argument("--value", required=True, help="the value in the entry's unit (a grade A–D for 等级)")
    s.add_argument("--source", required=True, help="where the value comes from (统计年鉴, 部门报表 …)")
    s.add_argument("--note", help="a note; required to insist on an implausible value")
    s.add_argument("--insist", action="store_true", help="keep an implausible value (a department's waits as 待核实)")
    s.add_argument("--user", required=True, help="the account entering the value (its password is asked)")
    s.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    s.set_defaults(func=_set)

    j = sub.add_parser("judge", help="record a planner's judgement of a qualitative target")
    j.add_argument("id", help="the plan's number (e.g. 35) or a target id")
    j.add_argument("verdict", choices=("met", "not_met"), help="met or not_met")
    j.add_argument("--note", required=True, help="why (required)")
    j.add_argument("--as-of", type=_date, default=None, help="the date it speaks for (default 2025-12-31)")
    j.add_argument("--user", required=True, help="the planner judging (its password is asked)")
    j.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    j.set_defaults(func=_judge)

    w = sub.add_parser("workbook", help="write a department's workbook of indicators to fill in (.xlsx)")
    w.add_argument("-o", "--output", required=True, help="the workbook to write (.xlsx)")
    w.add_argument("--department", help="the department (default: every reported indicator)")
    w.add_argument("--year", type=int, default=2025, help="the year filled in on every row (default 2025)")
    w.set_defaults(func=_workbook)

    im = sub.add_parser("import", help="import values from a CSV or XLSX (dry run unless --apply)")
    im.add_argument("file", help="the filled-in workbook (.xlsx) or a CSV with the same column codes")
    im.add_argument("--apply", action="store_true", help="write the values (all or none)")
    im.add_argument("--user", required=True, help="the account importing (its password is asked)")
    im.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    im.set_defaults(func=_import)

    pe = sub.add_parser("pending", help="list values waiting as 待核实")
    pe.add_argument("--json", action="store_true", help="print them as JSON")
    pe.set_defaults(func=_pending)
    for name, confirm in (("confirm", True), ("reject", False)):
        c = sub.add_parser(name, help=f"{name} a 待核实 value (planner or administrator)")
        c.add_argument("value_id", type=int, help="the number of the 待核实 value (see: indicators pending)")
        c.add_argument("--note", help="why")
        c.add_argument("--user", required=True, help="the planner deciding (its password is asked)")
        c.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
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
        return fail("the assessment is written as .pdf / 终期评估输出为 .pdf")
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
            return fail(f"{len(result.errors)} rows refused; nothing written / {len(result.errors)} 行被拒绝，未写入")
        print(("written" if args.apply else "dry run: nothing written") + f" ({len(result.rows)} rows)")
        return 0

    return _with_actor(args, work)
