"""Exports of budgets, made by a background job: an Excel workbook of every allocation
version, an Excel workbook of the settlement, and a partner's settlement statement as PDF.

Each export shows exactly what the requesting organisation may see on the pages (the same
named functions read it): a subcontractor's workbook holds its own share and the totals, a
partner's settlement workbook its own statement and the totals. Texts in cells are never
formulas (the guard of ``koepel.tenants.reports``). The documents are Dutch, whatever
language the requester reads.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from koepel.contracts import allocation_versions as versions_ops
from koepel.contracts import districts
from koepel.contracts.budgeting import BudgetError, BudgetView, budget_for, explanation_text
from koepel.contracts.models.budgets import AllocationMethod, AllocationShare, VersionStatus
from koepel.platform import audit, files, pdf
from koepel.platform.extensions import db
from koepel.platform.jobs import JobContext, PermanentJobError, enqueue, job
from koepel.platform.models import JobRun, Organisation, User
from koepel.platform.timeutil import format_datetime_local
from koepel.platform.xlsx import put as put_cell  # the formula-injection guard
from koepel.platform.xlsx import table as put_table

JOB_NAME = "budgets.export"
LOCALE = "nl"
FORMATS = {"allocations": "xlsx", "settlement": "xlsx", "statement": "pdf"}
MIMETYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MONEY = "#,##0.00"


def method_labels() -> dict[AllocationMethod, str]:
    return {
        AllocationMethod.PROPOSALS: _("eigen voorstellen van de partners"),
        AllocationMethod.PERCENTAGES: _("vaste percentages"),
        AllocationMethod.VOLUME_TARIFF: _("volume × tarief"),
        AllocationMethod.EQUAL: _("gelijke delen"),
    }


def status_labels() -> dict[VersionStatus, str]:
    return {
        VersionStatus.DRAFT: _("voorstelronde"),
        VersionStatus.PROPOSED: _("voorgesteld"),
        VersionStatus.AGREED: _("akkoord van alle partners"),
        VersionStatus.APPROVED: _("goedgekeurd"),
        VersionStatus.SUPERSEDED: _("vervangen"),
    }


def export_path(tenant_id: int, run_id: str, fmt: str) -> Path:
    """Where a run's file lives: named after the run, so a retry overwrites it."""
    if fmt not in MIMETYPES:
        raise ValueError(f"unknown format {fmt!r}")
    return files.path_of(tenant_id, f"{run_id}.{fmt}", area="exports")


def may_export(view: BudgetView, kind: str, partner_id: int | None = None) -> str | None:
    """Why this organisation cannot have this export now (None: it can)."""
    if kind not in FORMATS:
        return _("Onbekende export.")
    if kind == "allocations":
        if view.budget.kind.value != "allocation":
            return _("Deze pot wordt verrekend, niet vooraf verdeeld.")
        return None
    if view.budget.kind.value != "district":
        return _("Deze pot wordt vooraf verdeeld, niet verrekend.")
    data = districts.load_settlement(view)
    if data is None:
        return _("Deze pot is nog niet verrekend.")
    if kind == "statement":
        if partner_id is None or districts.statement_for(view, data, partner_id) is None:
            return _("Dit overzicht is niet voor u.")
    return None


def request_export(
    *, actor: User | None, view: BudgetView, kind: str, partner_id: int | None = None
) -> JobRun:
    """Queue an export for the acting organisation; it is made after the commit."""
    refusal = may_export(view, kind, partner_id)
    if refusal is not None:
        raise BudgetError(refusal, "kind", state=True)
    kwargs: dict[str, Any] = {"kind": kind, "budget_id": view.budget.id}
    if kind == "statement":
        kwargs["partner_id"] = partner_id
    run = enqueue(
        JOB_NAME, tenant_id=view.org.id, kwargs=kwargs, created_by_id=actor.id if actor else None
    )
    audit.record(
        db.session,
        actor=actor,
        tenant_id=view.org.id,
        action="budget.export_requested",
        obj_type="job_run",
        obj_id=run.id,
        after=kwargs,
    )
    return run


# -- the workbooks and the statement ------------------------------------------------------------
def _share_input(share: AllocationShare, method: AllocationMethod) -> str:
    if method == AllocationMethod.PERCENTAGES and share.percentage is not None:
        return f"{share.percentage.normalize():f}%".replace(".", ",")
    if method == AllocationMethod.VOLUME_TARIFF and share.lines:
        return "; ".join(
            f"{line['volume']} × € {line['tariff']}".replace(".", ",") for line in share.lines
        )
    if share.proposed is not None:
        return f"€ {share.proposed}".replace(".", ",")
    return ""


def allocations_xlsx(view: BudgetView) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    budget = view.budget
    methods, statuses = method_labels(), status_labels()
    book = Workbook()
    ws = book.active
    ws.title = _("Overzicht")
    put_cell(ws, 1, 1, budget.title).font = Font(bold=True)
    facts = [
        (_("Beheerd door"), budget.owner.name),
        (_("Periode"), f"{budget.period_start:%d-%m-%Y} – {budget.period_end:%d-%m-%Y}"),
        (_("Goedkeuring door"), budget.approver.name),
    ]
    for row, (label, value) in enumerate(facts, start=2):
        put_cell(ws, row, 1, label)
        put_cell(ws, row, 2, value)
    put_cell(ws, 5, 1, _("Totaal"))
    put_cell(ws, 5, 2, budget.total, MONEY)
    all_versions = versions_ops.versions(view)
    rows = [[v.number, methods[v.method], statuses[v.status], v.total] for v in all_versions]
    put_table(ws, 7, [_("Versie"), _("Methode"), _("Status"), _("Totaal")], rows, {4: MONEY})
    for version in all_versions:
        data = versions_ops.load(view, version.id)
        sheet = book.create_sheet(_("Versie %(n)s", n=version.number))
        shares = versions_ops.visible_shares(view, data)
        body = [
            [
                s.partner.name,
                _share_input(s, version.method),
                s.amount,
                explanation_text(s.explanation),
                _("ja") if s.partner_id in data.agreements else _("nee"),
            ]
            for s in shares
        ]
        for s in data.initiatives if view.sees_all_shares else []:
            body.append([s.initiative, _("reserve"), s.amount, explanation_text(s.explanation), ""])
        if version.reserve_result is not None:
            body.append(
                [
                    _("Reserve burgerinitiatieven"),
                    "",
                    version.reserve_result,
                    explanation_text(version.reserve_explanation),
                    "",
                ]
            )
        if version.unallocated:
            body.append([_("Niet verdeeld"), "", version.unallocated, "", ""])
        body.append([_("Totaal"), "", version.total, "", ""])
        put_table(
            sheet,
            1,
            [_("Partner"), _("Invoer"), _("Bedrag"), _("Uitleg"), _("Akkoord")],
            body,
            {3: MONEY},
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def settlement_xlsx(view: BudgetView) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    data = districts.load_settlement(view)
    if data is None:
        raise BudgetError(_("Deze pot is nog niet verrekend."), state=True)
    s = data.settlement
    book = Workbook()
    ws = book.active
    ws.title = _("Verrekening")
    put_cell(ws, 1, 1, view.budget.title).font = Font(bold=True)
    totals = [
        (_("Pot"), s.pool),
        (_("Te ontvangen door de partners samen"), data.total_due),
        (_("Overschot"), s.surplus),
    ]
    for row, (label, value) in enumerate(totals, start=2):
        put_cell(ws, row, 1, label)
        put_cell(ws, row, 2, value, MONEY)
    if view.is_owner:
        positions = [
            [
                p.partner.name if p.partner else data.pool_label,
                p.value.quantize(p.due),
                p.due,
                p.received,
                p.position,
                explanation_text(p.explanation),
            ]
            for p in data.positions
        ]
        put_table(
            book.create_sheet(_("Posities")),
            1,
            [
                _("Partner"),
                _("Geleverd"),
                _("Te ontvangen"),
                _("Voorschot"),
                _("Saldo"),
                _("Uitleg"),
            ],
            positions,
            {2: MONEY, 3: MONEY, 4: MONEY, 5: MONEY},
        )
    put_table(
        book.create_sheet(_("Betalingen")),
        1,
        [_("Betaalt"), _("Aan"), _("Bedrag")],
        [[t.payer, t.payee, t.amount] for t in data.transfers],
        {3: MONEY},
    )
    if data.refunds:
        put_table(
            book.create_sheet(_("Terug naar financiers")),
            1,
            [_("Financier"), _("Regeling"), _("Bedrag"), _("Uitleg")],
            [
                [
                    r.funding.funder.name,
                    r.funding.scheme,
                    r.amount,
                    explanation_text(r.explanation),
                ]
                for r in data.refunds
            ],
            {3: MONEY},
        )
    statements = data.statements if view.is_owner else [data.statement] if data.statement else []
    put_table(
        book.create_sheet(_("Geleverd")),
        1,
        [_("Partner"), _("Regeling"), _("Eenheid"), _("Hoeveelheid"), _("Tarief"), _("Waarde")],
        [
            [st.partner.name, line.product, line.unit, line.quantity, line.tariff, line.value]
            for st in statements
            for line in st.lines
        ],
        {4: "#,##0.00", 5: MONEY, 6: "#,##0.0000"},
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def statement_html(view: BudgetView, partner_id: int) -> str:
    data = districts.load_settlement(view)
    statement = districts.statement_for(view, data, partner_id) if data else None
    if statement is None:
        raise BudgetError(_("Dit overzicht is niet voor u."), state=True)
    return current_app.jinja_env.get_template("contracts/budgets/statement_pdf.html").render(
        budget=view.budget,
        data=data,
        statement=statement,
        explanation=explanation_text(statement.position.explanation),
        computed_at=format_datetime_local(data.settlement.computed_at, LOCALE, "long"),
    )


def statement_pdf(view: BudgetView, partner_id: int) -> bytes:
    return pdf.render(statement_html(view, partner_id))


# -- the job ------------------------------------------------------------------------------------
@job(JOB_NAME)
def build_export(ctx: JobContext, kind: str, budget_id: int, partner_id: int | None = None) -> None:
    """Make one export in the requesting organisation's scope, with its view of the budget."""
    org = db.session.get(Organisation, ctx.tenant_id) if ctx.tenant_id is not None else None
    view = budget_for(org, budget_id) if org is not None else None
    if view is None or kind not in FORMATS:
        raise PermanentJobError(f"no {kind!r} export of budget {budget_id} for this organisation")
    ctx.progress(0, 2, _("Het bestand wordt gemaakt…"))
    with force_locale(LOCALE):
        try:
            if kind == "allocations":
                body = allocations_xlsx(view)
            elif kind == "settlement":
                body = settlement_xlsx(view)
            else:
                body = statement_pdf(view, int(partner_id or 0))
        except BudgetError as exc:
            raise PermanentJobError(str(exc)) from None
    files.write(org.id, f"{ctx.run_id}.{FORMATS[kind]}", body, area="exports")
    ctx.progress(2, 2, _("Het bestand is klaar."))
