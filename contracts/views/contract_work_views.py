"""A contract's KPI page (values against targets, a chart per indicator, the owner adds
indicators, a contractor reports a value per period) and its payments page (advances,
supplements, payments made, final settlements). On blueprint ``contracts``.

A party sees the indicators and their values; of the payments it sees its own, and every
party's only when the contract shares the figures (``koepel.contracts.contract_payments``).
"""

from __future__ import annotations

from flask import flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from koepel.contracts import contract_payments as paying
from koepel.contracts import contracting as ops
from koepel.contracts import kpis
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.core import (
    KpiDirection,
    KpiPeriod,
    PaymentKind,
    PaymentStatus,
)
from koepel.contracts.views.contract_forms import (
    DIRECTION_LABELS,
    PERIOD_LABELS,
    ROLE_LABELS,
    AdvancesForm,
    KpiForm,
    KpiValueForm,
    PaidForm,
    SettlementForm,
    SupplementForm,
)
from koepel.contracts.views.contract_views import (
    STATUS_LABELS,
    ContractPage,
    attach,
    bp,
    form_problems,
)

PAYMENT_LABELS = {
    PaymentKind.ADVANCE: _l("voorschot"),
    PaymentKind.SUPPLEMENT: _l("toeslag"),
    PaymentKind.SETTLEMENT: _l("eindafrekening"),
}
PAYMENT_STATUS_LABELS = {PaymentStatus.PLANNED: _l("gepland"), PaymentStatus.PAID: _l("betaald")}


# -- KPIs -------------------------------------------------------------------------------------
class KpiPage(ContractPage):
    def get(self, contract_id: int):
        return self.render()

    def redirect_here(self):
        from flask import redirect, url_for

        return redirect(
            url_for("contracts.kpis", org_slug=self.org.slug, contract_id=self.contract.id)
        )

    def render(self, *, kpi_form: KpiForm | None = None, value_form: KpiValueForm | None = None):
        seen = self.seen
        today = ops.today_local()
        rows = kpis.table(seen, today)
        manage = seen.is_owner and self.can("contracts.manage")
        reports = seen.is_contractor and self.can("contracts.report")
        value_forms = {}
        if reports:
            for row in rows:
                submitted = value_form is not None and value_form.kpi.data == str(row.kpi.id)
                form = (
                    value_form
                    if submitted
                    else KpiValueForm(prefix=f"kpi{row.kpi.id}", formdata=None)
                )
                if not submitted:
                    form.kpi.data = str(row.kpi.id)
                    open_now = kpis.open_spans(seen, row.kpi, today)
                    form.period.data = open_now[-1].key if open_now else None
                # Every period of the term: one that is not open is refused with the reason.
                form.period.choices = [
                    SelectChoice(s.key, s.label)
                    for s in kpis.spans(
                        self.contract.start_date, self.contract.end_date, row.kpi.period
                    )
                ]
                value_forms[row.kpi.id] = form
        kpi_form = kpi_form or KpiForm(prefix="new", formdata=None)
        problems = []
        if value_form is not None and not value_forms:
            problems = form_problems(value_form)
        return render_template(
            "contracts/contracts/kpis.html",
            org=self.org,
            seen=seen,
            contract=self.contract,
            rows=rows,
            manage=manage,
            reports=reports,
            kpi_form=kpi_form,
            value_forms=value_forms,
            problems=problems,
            value_text=kpis.value_text,
            direction_labels=DIRECTION_LABELS,
            period_labels=PERIOD_LABELS,
            status_labels=STATUS_LABELS,
        )


class KpiAdd(KpiPage):
    kinds = ops.OWNER_KINDS
    action = "contracts.manage"
    owner_only = True

    def post(self, contract_id: int):
        form = KpiForm(prefix="new")
        if form.validate_on_submit():
            try:
                kpi = kpis.add_kpi(
                    actor=current_user,
                    owner=self.org,
                    contract=self.contract,
                    name=form.name.data or "",
                    unit=form.unit.data or "",
                    target=form.target.value,
                    direction=KpiDirection(form.direction.data),
                    period=KpiPeriod(form.period.data),
                    description=form.description.data or "",
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("De indicator %(name)s is toegevoegd.", name=kpi.name), "success")
                return self.redirect_here()
        return self.render(kpi_form=form)


class KpiReport(KpiPage):
    action = "contracts.report"

    def post(self, contract_id: int, kpi_id: int):
        form = KpiValueForm(prefix=f"kpi{kpi_id}")
        form.kpi.data = str(kpi_id)
        if form.validate_on_submit():
            from datetime import date

            try:
                start = date.fromisoformat(form.period.data or "")
            except ValueError:
                start = None
            try:
                kpis.report(
                    actor=current_user,
                    org=self.org,
                    seen=self.seen,
                    kpi_id=kpi_id,
                    period_start=start,
                    value=form.value.value,
                    note=form.note.data or "",
                )
            except ContractRuleError as exc:
                attach(form, exc, {"kpi": "value"})
            else:
                flash(_("De waarde is gemeld."), "success")
                return self.redirect_here()
        return self.render(value_form=form)


# -- payments ---------------------------------------------------------------------------------
class PaymentsPage(ContractPage):
    def get(self, contract_id: int):
        return self.render()

    def redirect_here(self):
        from flask import redirect, url_for

        return redirect(
            url_for("contracts.payments", org_slug=self.org.slug, contract_id=self.contract.id)
        )

    def render(self, **submitted: FlaskForm):
        seen = self.seen
        view = paying.payments_of(seen)
        manage = seen.is_owner and self.can("contracts.manage")
        payees = [p for p in seen.parties if p.role in ops.CONTRACTORS]
        party_choices = [SelectChoice("", _("Kies een partij"))] + [
            SelectChoice(str(p.id), f"{p.organisation.name} ({ROLE_LABELS[p.role]})")
            for p in payees
        ]
        forms = {
            "advances_form": AdvancesForm(prefix="advances", formdata=None),
            "supplement_form": SupplementForm(prefix="supplement", formdata=None),
            "settlement_form": SettlementForm(prefix="settlement", formdata=None),
        }
        forms.update(submitted)
        for form in forms.values():
            form.party.choices = party_choices
        if "advances_form" not in submitted:
            forms["advances_form"].year.data = ops.today_local().year
        parties = {p.id: p for p in seen.parties}
        running = self.contract.status in (*ops.OPEN_STATUSES, ops.ContractStatus.ENDED)
        return render_template(
            "contracts/contracts/payments.html",
            org=self.org,
            seen=seen,
            contract=self.contract,
            view=view,
            parties=parties,
            manage=manage and running,
            waiting=manage and not running,
            paid_form=PaidForm(formdata=None),
            payment_labels=PAYMENT_LABELS,
            payment_status_labels=PAYMENT_STATUS_LABELS,
            role_labels=ROLE_LABELS,
            status_labels=STATUS_LABELS,
            **forms,
        )


class _PaymentChange(PaymentsPage):
    kinds = ops.OWNER_KINDS
    action = "contracts.manage"
    owner_only = True


class PlanAdvances(_PaymentChange):
    def post(self, contract_id: int):
        form = AdvancesForm(prefix="advances")
        form.party.choices = []
        if form.validate_on_submit():
            try:
                rows = paying.plan_advances(
                    actor=current_user,
                    owner=self.org,
                    contract=self.contract,
                    party_id=form.party.data,
                    year=form.year.data,
                    yearly_amount=form.yearly_amount.amount,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "%(n)d voorschotten voor %(year)d zijn gepland.",
                        n=len(rows),
                        year=form.year.data,
                    ),
                    "success",
                )
                return self.redirect_here()
        return self.render(advances_form=form)


class AddSupplement(_PaymentChange):
    def post(self, contract_id: int):
        form = SupplementForm(prefix="supplement")
        if form.validate_on_submit():
            try:
                paying.add_supplement(
                    actor=current_user,
                    owner=self.org,
                    contract=self.contract,
                    party_id=form.party.data,
                    year=form.year.data,
                    amount=form.amount.amount,
                    reason=form.reason.data or "",
                    settled=bool(form.settled.data),
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("De toeslag is vastgelegd."), "success")
                return self.redirect_here()
        return self.render(supplement_form=form)


class MarkPaid(_PaymentChange):
    def post(self, contract_id: int, payment_id: int):
        form = PaidForm()
        if form.validate_on_submit():
            try:
                paying.mark_paid(
                    actor=current_user,
                    owner=self.org,
                    contract=self.contract,
                    payment_id=payment_id,
                    paid_on=form.paid_on.day,
                )
            except ContractRuleError as exc:
                flash(str(exc), "error")
            else:
                flash(_("De betaling is vastgelegd."), "success")
        else:
            for problem in form_problems(form):
                flash(problem, "error")
        return self.redirect_here()


class Settle(_PaymentChange):
    def post(self, contract_id: int):
        form = SettlementForm(prefix="settlement")
        if form.validate_on_submit():
            try:
                settlement = paying.settle(
                    actor=current_user,
                    owner=self.org,
                    contract=self.contract,
                    party_id=form.party.data,
                    year=form.year.data,
                    delivered=form.delivered.amount,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(settlement.summary, "success")
                return self.redirect_here()
        return self.render(settlement_form=form)


_one = "/<org_slug>/contracts/<int:contract_id>"
bp.add_url_rule(f"{_one}/kpis", view_func=KpiPage.as_view("kpis"))
bp.add_url_rule(f"{_one}/payments", view_func=PaymentsPage.as_view("payments"))
for _path, _view, _name in (
    ("kpis", KpiAdd, "add_kpi"),
    ("kpis/<int:kpi_id>/values", KpiReport, "report_kpi"),
    ("payments/advances", PlanAdvances, "plan_advances"),
    ("payments/supplements", AddSupplement, "add_supplement"),
    ("payments/<int:payment_id>/paid", MarkPaid, "mark_paid"),
    ("payments/settlements", Settle, "settle"),
):
    bp.add_url_rule(f"{_one}/{_path}", view_func=_view.as_view(_name), methods=["POST"])
