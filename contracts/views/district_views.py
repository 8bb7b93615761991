"""A pooled district budget: a partner records its delivered care (one at a time, or a CSV or
Excel file: all rows or none); the owner settles the pot at the end of the period; every
party sees the settlement as far as it may (a partner its own statement and the totals);
exports are made by a job and downloaded here.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from koepel.contracts import budget_exports, delivery_import, districts
from koepel.contracts.budgeting import explanation_text
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.budgets import BudgetKind
from koepel.contracts.views.budget_forms import DeliveryForm, ExportForm, ImportForm
from koepel.contracts.views.budget_views import BudgetDetail, BudgetPage, attach
from koepel.platform.extensions import db
from koepel.platform.models import JobRun


class RecordDelivery(BudgetDetail):
    action = "budgets.manage"

    def post(self, budget_id: int):
        form = DeliveryForm(prefix="delivery")
        self._choices({"delivery_form": form})
        if form.validate_on_submit():
            try:
                quantity = districts.parse_quantity(form.quantity.data or "")
                districts.record(
                    actor=current_user,
                    view=self.view,
                    data=districts.DeliveryData(
                        delivered_on=form.delivered_on.data,
                        product=form.product.data or "",
                        quantity=quantity,
                        tariff=form.tariff.amount,
                        unit=form.unit.data or "uur",
                    ),
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("De geleverde zorg is vastgelegd."), "success")
                return self.back("geleverd")
        return self.render(delivery_form=form)


class ImportDeliveries(BudgetDetail):
    action = "budgets.manage"

    def post(self, budget_id: int):
        form = ImportForm(prefix="import")
        if form.validate_on_submit():
            upload = form.file.data
            try:
                records = delivery_import.import_file(
                    actor=current_user,
                    view=self.view,
                    filename=upload.filename or "",
                    data=upload.read(delivery_import.MAX_IMPORT_BYTES + 1),
                )
            except ContractRuleError as exc:
                form.file.errors.append(str(exc))
            else:
                flash(_("%(n)s regels geleverde zorg zijn ingelezen.", n=len(records)), "success")
                return self.back("geleverd")
        return self.render(import_form=form)


class Settle(BudgetPage):
    action = "budgets.manage"

    def post(self, budget_id: int):
        from koepel.contracts.views.budget_forms import ButtonForm

        form = ButtonForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            settlement = districts.compute(actor=current_user, view=self.view)
        except ContractRuleError as exc:
            flash(str(exc), "error")
            return self.back("verrekening")
        flash(_("De pot is verrekend."), "success")
        return redirect(
            url_for(
                "budgets.settlement",
                org_slug=self.org.slug,
                budget_id=self.budget.id,
                settlement_id=settlement.id,
            )
        )


class SettlementPage(BudgetPage):
    def load(self, budget_id: int, settlement_id: int, **kwargs: Any) -> None:
        super().load(budget_id)
        if self.budget.kind != BudgetKind.DISTRICT:
            abort(404)
        self.data = districts.load_settlement(self.view, settlement_id)
        if self.data is None:
            abort(404)

    def get(self, budget_id: int, settlement_id: int):
        return render_template(
            "contracts/budgets/settlement.html",
            org=self.org,
            view=self.view,
            budget=self.budget,
            data=self.data,
            explain=explanation_text,
            funding_line=lambda r: districts.funding_line(self.view, r),
            export_form=ExportForm(prefix="export", formdata=None),
        )


class StatementPage(SettlementPage):
    def load(self, budget_id: int, settlement_id: int, partner_id: int, **kwargs: Any) -> None:
        super().load(budget_id, settlement_id)
        self.statement = districts.statement_for(self.view, self.data, partner_id)
        if self.statement is None:
            abort(404)

    def get(self, budget_id: int, settlement_id: int, partner_id: int):
        return render_template(
            "contracts/budgets/statement.html",
            org=self.org,
            view=self.view,
            budget=self.budget,
            data=self.data,
            statement=self.statement,
            explanation=explanation_text(self.statement.position.explanation),
            export_form=ExportForm(prefix="export", formdata=None),
        )


class RequestExport(BudgetPage):
    def post(self, budget_id: int):
        form = ExportForm(prefix="export")
        form.kind.choices = [(k, k) for k in budget_exports.FORMATS]
        if not form.validate_on_submit():
            abort(400)
        partner_id = form.partner.data or self.org.id
        try:
            run = budget_exports.request_export(
                actor=current_user, view=self.view, kind=form.kind.data, partner_id=partner_id
            )
        except ContractRuleError as exc:
            flash(str(exc), "error")
            return self.back("exports")
        return redirect(url_for("org.job", org_slug=self.org.slug, job_id=run.id))


class DownloadExport(BudgetPage):
    def load(self, budget_id: int, job_id: str, fmt: str, **kwargs: Any) -> None:
        super().load(budget_id)
        run = db.session.scalar(select_run(job_id))  # the acting organisation's own runs
        kind = run.kwargs.get("kind") if run is not None else None
        if (
            run is None
            or run.name != budget_exports.JOB_NAME
            or run.status != "done"
            or run.kwargs.get("budget_id") != self.budget.id
            or budget_exports.FORMATS.get(kind) != fmt
        ):
            abort(404)
        path = budget_exports.export_path(self.org.id, run.id, fmt)
        if not path.is_file():
            abort(404)
        self.run, self.path, self.kind = run, path, kind

    def get(self, budget_id: int, job_id: str, fmt: str):
        names = {"allocations": "verdeling", "settlement": "verrekening", "statement": "afrekening"}
        return send_file(
            self.path,
            mimetype=budget_exports.MIMETYPES[fmt],
            as_attachment=True,
            download_name=f"{names[self.kind]}-pot-{self.budget.id}.{fmt}",
            max_age=0,
        )


def select_run(job_id: str):
    from sqlalchemy import select

    return select(JobRun).where(JobRun.id == job_id)


def add_rules(bp, one: str) -> None:
    bp.add_url_rule(
        f"{one}/deliveries", view_func=RecordDelivery.as_view("record_delivery"), methods=["POST"]
    )
    bp.add_url_rule(
        f"{one}/deliveries/import",
        view_func=ImportDeliveries.as_view("import_deliveries"),
        methods=["POST"],
    )
    bp.add_url_rule(f"{one}/settlements", view_func=Settle.as_view("settle"), methods=["POST"])
    settlement = f"{one}/settlements/<int:settlement_id>"
    bp.add_url_rule(settlement, view_func=SettlementPage.as_view("settlement"))
    bp.add_url_rule(
        f"{settlement}/statements/<int:partner_id>", view_func=StatementPage.as_view("statement")
    )
    bp.add_url_rule(f"{one}/exports", view_func=RequestExport.as_view("export"), methods=["POST"])
    bp.add_url_rule(f"{one}/exports/<job_id>.<fmt>", view_func=DownloadExport.as_view("download"))
