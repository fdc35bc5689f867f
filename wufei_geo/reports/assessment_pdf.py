"""The assessment (终期评估) as an A4 PDF in either language: the register's summary lines, then
the entries not met and the entries not measured (and those awaiting a judgement) listed by
responsible department — "who owes an answer".  Texts are :mod:`wufei_geo.register.texts`'."""
from __future__ import annotations

import datetime as dt
import io
import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from wufei_geo.departments import department_label
from wufei_geo.i18n import t  # noqa: E402
from wufei_geo.register.assess import Assessment, summary  # noqa: E402
from wufei_geo.register.texts import latest_text, summary_lines, target_text  # noqa: E402
from wufei_geo.reports.briefing_pdf import A4_INCHES, cjk_font, no_font  # noqa: E402

LINES_PER_PAGE = 62
_SIZES = {"title": 13, "h1": 10, "h2": 8.5, "body": 7}
_STEP = {"title": 2.0, "h1": 1.6, "h2": 1.3, "body": 1.0}


def _owner_groups(rows: Sequence[Assessment], lang: str) -> dict[str, list[Assessment]]:
    """Entries by department (an entry of several departments under each; none: a note)."""
    groups: dict[str, list[Assessment]] = {}
    for a in rows:
        owners = tuple(department_label(d, lang) for d in a.entry.departments) or (
            (t("assessment.facility_owner", lang),) if a.entry.source == "target" else (t("assessment.no_owner", lang),))
        for d in owners:
            groups.setdefault(d, []).append(a)
    facility = t("assessment.facility_owner", lang)
    return dict(sorted(groups.items(), key=lambda kv: kv[0] == facility))  # the facility targets last


def _lines(rows: Sequence[Assessment], lang: str, as_of: dt.date, generated: dt.date) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [
        ("title", t("assessment.title", lang)),
        ("body", t("assessment.subtitle", lang, date=as_of.isoformat(), generated=generated.isoformat())),
    ]
    out += [("h1", line) for line in summary_lines(summary(rows), lang)]
    width = 70 if lang == "zh" else 125
    for status in ("not_met", "unmeasured", "judgement"):
        chosen = [a for a in rows if a.status == status]
        out.append(("h1", t(f"assessment.section.{status}", lang, n=len(chosen))))
        for dept, items in _owner_groups(chosen, lang).items():
            out.append(("h2", f"{dept}（{len(items)}）" if lang == "zh" else f"{dept} ({len(items)})"))
            for a in items:
                e = a.entry
                text = f"{e.id}  {e.name(lang)} — {latest_text(a, lang)} / {target_text(e, lang)}"
                for i, part in enumerate(textwrap.wrap(text, width) or [""]):
                    out.append(("body", ("    " if i else "") + part))
    out.append(("body", t("assessment.footer", lang)))
    return out


def assessment_pdf(rows: Sequence[Assessment], as_of: dt.date, lang: str = "zh",
                   generated: dt.date | None = None) -> bytes:
    """The assessment's PDF bytes (A4 pages).  Raises BriefingFontError without a CJK font."""
    font = cjk_font()
    if font is None:
        raise no_font()
    lines = _lines(rows, lang, as_of, generated or as_of)
    buf = io.BytesIO()
    style = {"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"], "pdf.fonttype": 42}
    with plt.rc_context(style), PdfPages(buf, metadata={"Title": t("assessment.title", lang)}) as pdf:
        page_no = 0
        i = 0
        while i < len(lines):
            page_no += 1
            fig = plt.figure(figsize=A4_INCHES)
            y = 0.95
            used = 0.0
            while i < len(lines) and used + _STEP[lines[i][0]] <= LINES_PER_PAGE:
                kind, text = lines[i]
                weight = "normal" if kind == "body" else "bold"
                fig.text(0.07, y, text, fontsize=_SIZES[kind], fontweight=weight, va="top",
                         color="#1a237e" if kind == "h1" else "#111111")
                step = _STEP[kind] * 0.0142
                y -= step
                used += _STEP[kind]
                i += 1
            fig.text(0.93, 0.03, str(page_no), fontsize=6, ha="right", color="#666666")
            pdf.savefig(fig)
            plt.close(fig)
    return buf.getvalue()
