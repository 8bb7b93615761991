"""Annual reports: a cooperative's year in figures, and the umbrella's roll-up over its
member cooperatives, as PDF (WeasyPrint) or XLSX (openpyxl), made by a background job.

The figures are aggregates only (counts and sums), a fixed number of grouped queries
whatever the number of members or cooperatives. A cooperative's figures are read in its
own tenancy scope; the umbrella's roll-up reads its member cooperatives' rows only inside
one named ``cross_tenant`` scope, and never per person.

Definitions (the period is the calendar year, cut off at today for the current year):
a member counts on a day when ``joined_on <= day`` and ``left_on`` is empty or later;
help requests count by their ``wanted_on`` date; hours by ``worked_on``.
"""

from __future__ import annotations

import io
import os
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, distinct, extract, func, or_, select

from koepel.platform import audit, pdf, xlsx
from koepel.platform.extensions import db
from koepel.platform.jobs import JobContext, enqueue, job
from koepel.platform.models import (
    Affiliation,
    AffiliationKind,
    JobRun,
    Organisation,
    OrgKind,
    User,
)
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import to_local, utcnow
from koepel.tenants import charts
from koepel.tenants.models import HelpRequest, HelpStatus, HourEntry, Member, Service
from koepel.tenants.models import VolunteerProfile as Volunteer

JOB_NAME = "reports.annual"
KINDS = {OrgKind.COOPERATIVE.value: OrgKind.COOPERATIVE, OrgKind.UMBRELLA.value: OrgKind.UMBRELLA}
MIMETYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
YEARS_BACK = 5  # the form offers this year and the five before
TENTH = Decimal("0.1")

# The headline figures, in the order reports show them.
FIGURES = (
    "members_start",
    "joined",
    "left",
    "members_end",
    "active_volunteers",
    "volunteers_with_hours",
    "help_done",
    "help_cancelled",
    "hours",
)


class ReportError(ValueError):
    pass


def _today() -> date:
    return to_local(utcnow()).date()


def _period(year: int, today: date | None) -> tuple[date, date]:
    today = today or _today()
    if year > today.year:
        raise ReportError(_("Over een jaar dat nog niet begonnen is, valt niets te melden."))
    return date(year, 1, 1), min(date(year, 12, 31), today)


def hours(minutes: int) -> Decimal:
    """Minutes as hours with one decimal (half up), e.g. 95 -> 1.6."""
    return (Decimal(minutes) / 60).quantize(TENTH, rounding=ROUND_HALF_UP)


def _member_on(day: date):
    return and_(Member.joined_on <= day, or_(Member.left_on.is_(None), Member.left_on > day))


def _only(column, ids: list[int] | None):
    # In a tenant's own scope the ORM already limits the rows; across tenants name them.
    return [column.in_(ids)] if ids is not None else []


def _figures(ids: list[int] | None, start: date, end: date) -> dict[int, dict[str, Any]]:
    """Headline figures per tenant: five grouped queries, whatever the number of rows."""
    before = date(start.year - 1, 12, 31)
    out: dict[int, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(FIGURES[:-1], 0))

    for tenant, at_start, joined, left, at_end in db.session.execute(
        select(
            Member.tenant_id,
            func.count().filter(_member_on(before)),
            func.count().filter(Member.joined_on.between(start, end)),
            func.count().filter(Member.left_on.between(start, end)),
            func.count().filter(_member_on(end)),
        )
        .where(*_only(Member.tenant_id, ids))
        .group_by(Member.tenant_id)
    ):
        row = out[tenant]
        row["members_start"], row["joined"] = int(at_start), int(joined)
        row["left"], row["members_end"] = int(left), int(at_end)

    for tenant, count in db.session.execute(
        select(Volunteer.tenant_id, func.count())
        .join(Member, Member.id == Volunteer.member_id)
        .where(Volunteer.active.is_(True), _member_on(end), *_only(Volunteer.tenant_id, ids))
        .group_by(Volunteer.tenant_id)
    ):
        out[tenant]["active_volunteers"] = int(count)

    for tenant, status, count in db.session.execute(
        select(HelpRequest.tenant_id, HelpRequest.status, func.count())
        .where(
            HelpRequest.status.in_([HelpStatus.DONE, HelpStatus.CANCELLED]),
            HelpRequest.wanted_on.between(start, end),
            *_only(HelpRequest.tenant_id, ids),
        )
        .group_by(HelpRequest.tenant_id, HelpRequest.status)
    ):
        key = "help_done" if HelpStatus(status) == HelpStatus.DONE else "help_cancelled"
        out[tenant][key] = int(count)

    month = extract("month", HourEntry.worked_on)
    for tenant, m, minutes in db.session.execute(
        select(HourEntry.tenant_id, month, func.sum(HourEntry.minutes))
        .where(HourEntry.worked_on.between(start, end), *_only(HourEntry.tenant_id, ids))
        .group_by(HourEntry.tenant_id, month)
    ):
        out[tenant].setdefault("minutes_per_month", [0] * 12)[int(m) - 1] = int(minutes or 0)

    for tenant, count in db.session.execute(
        select(HourEntry.tenant_id, func.count(distinct(HourEntry.volunteer_id)))
        .where(HourEntry.worked_on.between(start, end), *_only(HourEntry.tenant_id, ids))
        .group_by(HourEntry.tenant_id)
    ):
        out[tenant]["volunteers_with_hours"] = int(count)

    for row in out.values():
        per_month = row.setdefault("minutes_per_month", [0] * 12)
        row["minutes"] = sum(per_month)
        row["hours"] = hours(row["minutes"])
    return out


def _months(minutes_per_month: list[int]) -> list[dict[str, Any]]:
    return [
        {"month": i + 1, "minutes": m, "hours": hours(m)} for i, m in enumerate(minutes_per_month)
    ]


def _empty_figures() -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FIGURES[:-1], 0)
    row.update(minutes_per_month=[0] * 12, minutes=0, hours=hours(0))
    return row


def _header(org: Organisation, kind: OrgKind, year: int, start: date, end: date) -> dict:
    return {
        "kind": kind.value,
        "year": year,
        "organisation": {"id": org.id, "name": org.name, "slug": org.slug},
        "period": {"start": start, "end": end, "complete": end == date(year, 12, 31)},
        "generated_at": utcnow(),
    }


def cooperative_year(org: Organisation, year: int, today: date | None = None) -> dict[str, Any]:
    """One cooperative's figures for one calendar year, read in its own tenancy scope."""
    if org.kind != OrgKind.COOPERATIVE:
        raise ReportError("not a cooperative")
    start, end = _period(year, today)
    with acting_for(org.id):
        figures = _figures(None, start, end).get(org.id) or _empty_figures()
        by_service = db.session.execute(
            select(Service.name, func.count(HelpRequest.id))
            .join(HelpRequest, HelpRequest.service_id == Service.id)
            .where(HelpRequest.status == HelpStatus.DONE, HelpRequest.wanted_on.between(start, end))
            .group_by(Service.name)
            .order_by(func.count(HelpRequest.id).desc(), Service.name)
        ).all()
    report = _header(org, OrgKind.COOPERATIVE, year, start, end)
    minutes_per_month = figures.pop("minutes_per_month")
    report.update(
        figures=figures,
        months=_months(minutes_per_month),
        done_by_service=[{"name": name, "done": int(n)} for name, n in by_service],
    )
    return report


def _members_during(umbrella: Organisation, start: date, end: date) -> list[dict[str, Any]]:
    """Cooperatives that were a member of the umbrella on some day of the period, with
    the dates their membership began or ended inside it (end dates are exclusive)."""
    rows = db.session.scalars(
        select(Affiliation)
        .where(
            Affiliation.kind == AffiliationKind.UMBRELLA_MEMBER,
            Affiliation.parent_id == umbrella.id,
            Affiliation.start_date <= end,
            or_(Affiliation.end_date.is_(None), Affiliation.end_date > start),
        )
        .options(db.joinedload(Affiliation.child))
    ).all()
    spans: dict[int, dict[str, Any]] = {}
    for a in rows:
        span = spans.setdefault(
            a.child_id, {"org": a.child, "from": a.start_date, "until": a.end_date}
        )
        span["from"] = min(span["from"], a.start_date)
        if span["until"] is not None:
            span["until"] = None if a.end_date is None else max(span["until"], a.end_date)
    return sorted(
        (s for s in spans.values() if s["org"].kind == OrgKind.COOPERATIVE),
        key=lambda s: (s["org"].name.lower(), s["org"].id),
    )


def umbrella_year(umbrella: Organisation, year: int, today: date | None = None) -> dict[str, Any]:
    """The umbrella's roll-up: per member cooperative the headline figures, and totals.
    Aggregates only; reading across tenants happens in one named scope."""
    if umbrella.kind != OrgKind.UMBRELLA:
        raise ReportError("not an umbrella")
    start, end = _period(year, today)
    spans = _members_during(umbrella, start, end)
    ids = [s["org"].id for s in spans]
    figures: dict[int, dict[str, Any]] = {}
    by_code: list[tuple[str, int]] = []
    if ids:
        with cross_tenant("an umbrella's annual report: aggregates of its member cooperatives"):
            figures = _figures(ids, start, end)
            by_code = db.session.execute(
                select(Service.code, func.count(HelpRequest.id))
                .join(HelpRequest, HelpRequest.service_id == Service.id)
                .where(
                    HelpRequest.tenant_id.in_(ids),
                    HelpRequest.status == HelpStatus.DONE,
                    HelpRequest.wanted_on.between(start, end),
                )
                .group_by(Service.code)
                .order_by(func.count(HelpRequest.id).desc(), Service.code)
            ).all()
    cooperatives = []
    for span in spans:
        org = span["org"]
        row = figures.get(org.id) or _empty_figures()
        cooperatives.append(
            {
                "name": org.name,
                "slug": org.slug,
                # Only when the membership began or ended inside the period.
                "member_from": span["from"] if span["from"] > start else None,
                "member_until": span["until"] if span["until"] and span["until"] <= end else None,
                **row,
            }
        )
    totals: dict[str, Any] = {
        key: sum(c[key] for c in cooperatives) for key in (*FIGURES[:-1], "minutes")
    }
    total_per_month = [sum(c["minutes_per_month"][i] for c in cooperatives) for i in range(12)]
    totals["hours"] = hours(totals["minutes"])
    for c in cooperatives:
        c["months"] = _months(c.pop("minutes_per_month"))
    report = _header(umbrella, OrgKind.UMBRELLA, year, start, end)
    report.update(
        cooperatives=cooperatives,
        totals=totals,
        months=_months(total_per_month),
        done_by_service=[{"code": code, "done": int(n)} for code, n in by_code],
    )
    return report


# -- rendering -----------------------------------------------------------------------------
LOCALE = "nl"  # the report is a Dutch document, whatever language the requester reads


def _service_label(code: str) -> str:
    from koepel.tenants.views.service_forms import CATALOGUE_LABELS

    return str(CATALOGUE_LABELS.get(code, code))


def _number(value: int | Decimal) -> str:
    if isinstance(value, Decimal):
        return format_decimal(value, format="#,##0.0", locale=LOCALE)
    return format_decimal(value, locale=LOCALE)


def _month_name(month: int, width: str = "LLLL") -> str:
    return format_date(date(2000, month, 1), width, locale=LOCALE)


def _date(value: date | datetime, width: str = "long") -> str:
    if isinstance(value, datetime):
        value = to_local(value).date()
    return format_date(value, width, locale=LOCALE)


def _labels(report: dict[str, Any]) -> dict[str, str]:
    end = report["period"]["end"]
    return {
        "members_start": _("Leden aan het begin van het jaar"),
        "joined": _("Nieuwe leden"),
        "left": _("Opgezegd"),
        "members_end": _("Leden op %(date)s", date=format_date(end, "d MMMM", locale=LOCALE)),
        "active_volunteers": _("Actieve vrijwilligers"),
        "volunteers_with_hours": _("Vrijwilligers die uren schreven"),
        "help_done": _("Hulpvragen afgerond"),
        "help_cancelled": _("Hulpvragen geannuleerd"),
        "hours": _("Uren vrijwilligerswerk"),
    }


def _check_kind(report: dict, kind: str) -> str:
    if kind not in KINDS or report.get("kind") != kind:
        raise ReportError(f"report kind {kind!r} does not match")
    return kind


def render_pdf(report: dict[str, Any], kind: str) -> bytes:
    """The report as an A4 PDF, from ``tenants/reports/annual.html``."""
    _check_kind(report, kind)
    with force_locale(LOCALE):
        chart = charts.bar_chart(
            [(_month_name(m["month"], "LLL"), m["minutes"]) for m in report["months"]],
            width=640,
            height=220,
        )
        html = current_app.jinja_env.get_template("tenants/reports/annual.html").render(
            report=report,
            kind=kind,
            labels=_labels(report),
            figures=FIGURES,
            chart=chart,
            number=_number,
            month_name=_month_name,
            local_date=_date,
            service_label=_service_label,
        )
    return pdf.render(html)


def render_xlsx(report: dict[str, Any], kind: str) -> bytes:
    """The report as a workbook: headline figures first, then one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    _check_kind(report, kind)
    HOURS, DATE = "0.0", "dd-mm-yyyy"
    with force_locale(LOCALE):
        labels = _labels(report)
        wb = Workbook()
        ws = wb.active
        ws.title = _("Kerncijfers")
        org = report["organisation"]
        xlsx.put(ws, 1, 1, _("Jaarverslag %(year)d", year=report["year"])).font = Font(bold=True)
        xlsx.put(ws, 2, 1, _("Organisatie"))
        xlsx.put(ws, 2, 2, org["name"])
        xlsx.put(ws, 3, 1, _("Van"))
        xlsx.put(ws, 3, 2, report["period"]["start"], DATE)
        xlsx.put(ws, 4, 1, _("Tot en met"))
        xlsx.put(ws, 4, 2, report["period"]["end"], DATE)
        headline = report["totals"] if kind == "umbrella" else report["figures"]
        rows = [[labels[k], headline[k]] for k in FIGURES]
        if kind == "umbrella":
            rows.insert(0, [_("Aangesloten coöperaties"), len(report["cooperatives"])])
        xlsx.table(ws, 6, [_("Cijfer"), _("Aantal")], rows, {})
        for r in range(7, 7 + len(rows)):
            if isinstance(ws.cell(row=r, column=2).value, Decimal):
                ws.cell(row=r, column=2).number_format = HOURS

        months = [[_month_name(m["month"]), m["minutes"], m["hours"]] for m in report["months"]]
        months.append([_("Totaal"), headline["minutes"], headline["hours"]])
        xlsx.table(
            wb.create_sheet(_("Uren per maand")),
            1,
            [_("Maand"), _("Minuten"), _("Uren")],
            months,
            {3: HOURS},
        )

        if kind == "cooperative":
            services = [[s["name"], s["done"]] for s in report["done_by_service"]]
            header = [_("Dienst"), _("Keer geholpen")]
        else:
            services = [[_service_label(s["code"]), s["done"]] for s in report["done_by_service"]]
            header = [_("Soort dienst"), _("Keer geholpen")]
        xlsx.table(wb.create_sheet(_("Hulp per dienst")), 1, header, services, {})

        if kind == "umbrella":
            keys = [k for k in FIGURES if k != "hours"]
            coops = [
                [c["name"], c["member_from"], c["member_until"], *(c[k] for k in keys), c["hours"]]
                for c in report["cooperatives"]
            ]
            totals = report["totals"]
            coops.append([_("Totaal"), None, None, *(totals[k] for k in keys), totals["hours"]])
            header = [_("Coöperatie"), _("Lid vanaf"), _("Lid tot")]
            header += [labels[k] for k in keys] + [labels["hours"]]
            xlsx.table(
                wb.create_sheet(_("Per coöperatie")),
                1,
                header,
                coops,
                {2: DATE, 3: DATE, len(header): HOURS},
            )
            per_month = [
                [c["name"], *(m["hours"] for m in c["months"]), c["hours"]]
                for c in report["cooperatives"]
            ]
            per_month.append(
                [_("Totaal"), *(m["hours"] for m in report["months"]), totals["hours"]]
            )
            xlsx.table(
                wb.create_sheet(_("Uren per coöperatie")),
                1,
                [_("Coöperatie"), *(_month_name(m, "LLL") for m in range(1, 13)), _("Totaal")],
                per_month,
                {col: HOURS for col in range(2, 15)},
            )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# -- the job ---------------------------------------------------------------------------------
def report_path(tenant_id: int, run_id: str, fmt: str) -> Path:
    """Where a run's file lives: named after the run, so a retry overwrites it."""
    if fmt not in MIMETYPES:
        raise ReportError(f"unknown format {fmt!r}")
    return Path(current_app.instance_path) / "reports" / str(int(tenant_id)) / f"{run_id}.{fmt}"


def request_annual_report(*, actor: User, org: Organisation, year: int, fmt: str) -> JobRun:
    """Queue a report for the organisation (a cooperative or an umbrella); it is made
    after the commit. Recorded in the audit log: an umbrella's roll-up reads across
    its member cooperatives."""
    if org.kind.value not in KINDS or fmt not in MIMETYPES:
        raise ReportError("no annual report for this organisation or format")
    _period(year, None)
    kwargs = {"kind": org.kind.value, "year": int(year), "fmt": fmt}
    run = enqueue(JOB_NAME, tenant_id=org.id, kwargs=kwargs, key=None, created_by_id=actor.id)
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="report.requested",
        obj_type="job_run",
        obj_id=run.id,
        after=kwargs,
    )
    return run


@job(JOB_NAME)
def build_annual_report(ctx: JobContext, kind: str, year: int, fmt: str) -> None:
    """Compute, render and store one annual report (runs in the tenant's scope)."""
    org = db.session.get(Organisation, ctx.tenant_id) if ctx.tenant_id is not None else None
    if org is None or kind not in KINDS or org.kind != KINDS[kind] or fmt not in MIMETYPES:
        raise ReportError(f"cannot make a {kind!r} report as {fmt!r} here")
    ctx.progress(0, 3, _("De cijfers worden verzameld…"))
    report = cooperative_year(org, year) if kind == "cooperative" else umbrella_year(org, year)
    ctx.progress(1, 3, _("Het verslag wordt opgemaakt…"))
    body = render_pdf(report, kind) if fmt == "pdf" else render_xlsx(report, kind)
    ctx.progress(2, 3, _("Het verslag wordt bewaard…"))
    path = report_path(org.id, ctx.run_id, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(body)
    os.replace(partial, path)  # whole or not at all, also when a retry overwrites it
    ctx.progress(3, 3, _("Het jaarverslag is klaar."))
