"""Umbrella contracting on behalf of member cooperatives: volumes down, reports up.

One page per contract for each party: the umbrella enters the contract on behalf of its
members, divides volume and budget among them, approves the division once every member
agreed, sees the roll-up (table and chart) and makes the combined report for the funder; a
member agrees to its share and reports its own figures; the funder reads the combined
reports. Which parts each sees is decided in ``koepel.contracts.umbrella_contracting``;
anyone else gets 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from koepel.contracts import contracting
from koepel.contracts import umbrella_contracting as uc
from koepel.contracts.budget_charts import hbar_chart
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.core import ContractKind
from koepel.contracts.models.umbrella import CombinedStatus, ReportPeriod
from koepel.contracts.views.budget_views import STATUS_LABELS, attach
from koepel.platform import pdf
from koepel.platform.models import OrgKind
from koepel.platform.money import MoneyParseError, parse_money, to_money
from koepel.platform.web import OrgView

bp = Blueprint("umbrella_contracts", __name__)

PARTIES = (
    OrgKind.UMBRELLA,
    OrgKind.COOPERATIVE,
    OrgKind.INSURER,
    OrgKind.MUNICIPALITY,
    OrgKind.REGION,
)
PERIOD_LABELS = {ReportPeriod.MONTH: _l("per maand"), ReportPeriod.QUARTER: _l("per kwartaal")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _amount(form: FlaskForm, name: str) -> Decimal | None:
    """A typed figure ("1.234,5"), or None with the message next to its field."""
    field = getattr(form, name)
    try:
        return parse_money(field.data or "")
    except MoneyParseError as exc:
        field.errors.append(str(exc))
        return None


# -- forms ------------------------------------------------------------------------------------
class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ContractForm(FlaskForm):
    title = StringField(_l("Titel van het contract"), validators=[DataRequired()])
    funder = SelectField(_l("Financier"), coerce=int, validators=[InputRequired()])
    members = MultiCheckboxField(
        _l("Deelnemende coöperaties"),
        coerce=int,
        description=_l("Alleen huidige leden van de koepel kunnen meedoen."),
        validate_choice=False,  # the rule refuses a non-member by name
    )
    start_date = DateField(_l("Begindatum"), validators=[InputRequired()])
    initial_months = IntegerField(_l("Looptijd in maanden"), validators=[InputRequired()])
    yearly_amount = StringField(
        _l("Bedrag per jaar"),
        description=_l("Bijvoorbeeld 332.880,00"),
        validators=[DataRequired()],
    )
    period = SelectField(
        _l("Leden rapporteren"),
        choices=[SelectChoice(p.value, PERIOD_LABELS[p]) for p in ReportPeriod],
        default=ReportPeriod.MONTH.value,
    )
    unit = StringField(
        _l("Eenheid van het volume"), default="uren", description=_l("Bijvoorbeeld uren")
    )
    funder_sees_members = BooleanField(
        _l("De financier ziet de cijfers per coöperatie (anders alleen het totaal)"),
        default=True,
    )
    description = TextAreaField(_l("Toelichting"), validators=[Optional()])


def allocation_form(members):
    """Tariff plus one volume field per participating member."""

    class AllocationForm(FlaskForm):
        tariff = StringField(_l("Tarief per eenheid"), description=_l("Bijvoorbeeld 58,40"))

    for party in members:
        setattr(
            AllocationForm,
            f"volume_{party.organisation_id}",
            StringField(_l("Volume voor %(name)s", name=party.organisation.name)),
        )
    return AllocationForm(prefix="allocation")


class ReportForm(FlaskForm):
    period = StringField(_l("Periode"))
    volume = StringField(_l("Geleverd volume"))
    hours = StringField(_l("Gewerkte uren"))
    note = TextAreaField(_l("Toelichting"), validators=[Optional()])


class CombinedForm(FlaskForm):
    period = SelectField(_l("Periode"))


class ButtonForm(FlaskForm):
    pass


# -- pages ------------------------------------------------------------------------------------
class UmbrellaList(OrgView):
    action = "contracts.view"
    kinds = PARTIES

    def get(self):
        return render_template(
            "contracts/umbrella/list.html",
            org=self.org,
            pairs=uc.contracts_for(self.org),
            may_enter=self.org.kind == OrgKind.UMBRELLA and self.can("contracts.manage"),
            period_labels=PERIOD_LABELS,
        )


class NewContract(OrgView):
    action = "contracts.manage"
    kinds = (OrgKind.UMBRELLA,)

    def form(self) -> ContractForm:
        form = ContractForm()
        form.funder.choices = [(0, _("Kies de financier"))] + [(o.id, o.name) for o in uc.funders()]
        self.members = uc.members_of(self.org)
        form.members.choices = [(m.id, m.name) for m in self.members]
        return form

    def render(self, form: ContractForm):
        return render_template("contracts/umbrella/new.html", org=self.org, form=form)

    def get(self):
        form = self.form()
        form.members.data = [m.id for m in self.members]
        return self.render(form)

    def post(self):
        form = self.form()
        if not form.validate_on_submit():
            return self.render(form)
        yearly = _amount(form, "yearly_amount")
        if yearly is None:
            return self.render(form)
        from koepel.contracts.budgeting import organisation

        funder = organisation(form.funder.data or None, uc.FUNDER_KINDS)
        # A member that is no longer current is refused by the rule, by name.
        members = [organisation(i) for i in form.members.data or []]
        try:
            arrangement = uc.enter_contract(
                actor=current_user,
                umbrella=self.org,
                data=contracting.ContractData(
                    title=form.title.data or "",
                    kind=ContractKind.INSURER
                    if funder is not None and funder.kind == OrgKind.INSURER
                    else ContractKind.OTHER,
                    start_date=form.start_date.data,
                    initial_months=form.initial_months.data,
                    description=form.description.data or "",
                    value=to_money(yearly * form.initial_months.data / 12),
                    yearly_amount=yearly,
                ),
                funder=funder,
                members=[m for m in members if m is not None],
                period=ReportPeriod(form.period.data),
                unit=form.unit.data or "",
                funder_sees_members=bool(form.funder_sees_members.data),
            )
        except ContractRuleError as exc:
            attach(form, exc, {"value": "yearly_amount"})
            return self.render(form)
        flash(_("Het contract is vastgelegd namens de deelnemende coöperaties."), "success")
        return redirect(self.url(arrangement.contract_id))

    def url(self, contract_id: int, anchor: str | None = None) -> str:
        return url_for(
            "umbrella_contracts.detail",
            org_slug=self.org.slug,
            contract_id=contract_id,
            _anchor=anchor,
        )


class ContractPage(OrgView):
    """The contract as the acting party sees it (404 for anyone else)."""

    action = "contracts.view"
    kinds = PARTIES

    def load(self, contract_id: int, **kwargs: Any) -> None:
        self.view = uc.umbrella_view(self.org, contract_id)
        if self.view is None:
            abort(404)

    def back(self, anchor: str | None = None):
        return redirect(
            url_for(
                "umbrella_contracts.detail",
                org_slug=self.org.slug,
                contract_id=self.view.contract.id,
                _anchor=anchor,
            )
        )

    def open_periods(self) -> list[uc.Period]:
        today = uc.today_local()
        return [p for p in self.view.periods if p.end < today]

    def render(self, report_form: ReportForm | None = None, combined_form=None, **extra):
        view = self.view
        allocation = uc.current_allocation(view)
        context: dict[str, Any] = {
            "org": self.org,
            "view": view,
            "contract": view.contract,
            "arrangement": view.arrangement,
            "allocation": allocation,
            "status_labels": STATUS_LABELS,
            "period_labels": PERIOD_LABELS,
            "period_word": uc.period_label(view),
            "button": ButtonForm(),
            "combined_reports": uc.combined_reports(view),
            "can_manage": self.can("contracts.manage"),
            "can_report": self.can("contracts.report"),
            "can_agree": self.can("budgets.manage"),
        }
        if view.is_umbrella:
            data = uc.rollup(view)
            context["rollup"] = data
            context["chart"] = hbar_chart(
                [(m.name, m.used) for m in data.members] if data.periods else []
            )
            done = {r.period_start for r in context["combined_reports"]}
            reported = {p.period.start for p in data.periods}
            if combined_form is None:
                combined_form = CombinedForm(prefix="combined")
            combined_form.period.choices = [
                (p.start.isoformat(), p.key)
                for p in self.open_periods()
                if p.start in reported and p.start not in done
            ]
            context["combined_form"] = combined_form
        if view.is_member:
            context["reports"] = uc.own_reports(view)
            if report_form is None:
                last = self.open_periods()[-1:] or [None]
                report_form = ReportForm(prefix="report", period=last[0].key if last[0] else "")
            context["report_form"] = report_form
            context["share"] = allocation.share_of(self.org.id) if allocation else None
        context.update(extra)
        return render_template("contracts/umbrella/detail.html", **context)

    def get(self, contract_id: int):
        return self.render()


class Allocate(ContractPage):
    action = "contracts.manage"
    kinds = (OrgKind.UMBRELLA,)

    def load(self, contract_id: int, **kwargs: Any) -> None:
        super().load(contract_id)
        if not self.view.is_umbrella:
            abort(404)

    def page(self, form):
        return render_template(
            "contracts/umbrella/allocate.html",
            org=self.org,
            view=self.view,
            contract=self.view.contract,
            form=form,
            members=self.view.members,
        )

    def get(self, contract_id: int):
        return self.page(allocation_form(self.view.members))

    def post(self, contract_id: int):
        form = allocation_form(self.view.members)
        if not form.validate_on_submit():
            return self.page(form)
        tariff = _amount(form, "tariff")
        volumes = {
            p.organisation_id: _amount(form, f"volume_{p.organisation_id}")
            for p in self.view.members
        }
        if tariff is None or None in volumes.values():
            return self.page(form)
        try:
            uc.allocate_to_members(
                actor=current_user, view=self.view, tariff=tariff, volumes=volumes
            )
        except ContractRuleError as exc:
            attach(form, exc, {"proposals": "tariff", "volumes": "tariff"})
            return self.page(form)
        flash(_("De verdeling is voorgesteld. De coöperaties geven nu akkoord."), "success")
        return self.back("verdeling")


class Agree(ContractPage):
    action = "budgets.manage"
    kinds = (OrgKind.COOPERATIVE,)

    def post(self, contract_id: int, version_id: int):
        if not self.view.is_member:
            abort(404)
        if ButtonForm().validate_on_submit():
            try:
                uc.member_agrees(actor=current_user, view=self.view, version_id=version_id)
            except ContractRuleError as exc:
                flash(str(exc), "error")
            else:
                flash(_("U heeft akkoord gegeven op de verdeling."), "success")
        return self.back("verdeling")


class Approve(ContractPage):
    action = "contracts.manage"
    kinds = (OrgKind.UMBRELLA,)

    def post(self, contract_id: int, version_id: int):
        if not self.view.is_umbrella:
            abort(404)
        if ButtonForm().validate_on_submit():
            try:
                uc.umbrella_approves(actor=current_user, view=self.view, version_id=version_id)
            except ContractRuleError as exc:
                flash(str(exc), "error")
            else:
                flash(_("De verdeling aan de leden is goedgekeurd."), "success")
        return self.back("verdeling")


class Report(ContractPage):
    action = "contracts.report"
    kinds = (OrgKind.COOPERATIVE,)

    def post(self, contract_id: int):
        if not self.view.is_member:
            abort(404)
        form = ReportForm(prefix="report")
        if not form.validate_on_submit():
            return self.render(report_form=form)
        volume, hours = _amount(form, "volume"), _amount(form, "hours")
        if volume is None or hours is None:
            return self.render(report_form=form)
        try:
            period = uc.parse_period(form.period.data, self.view.arrangement.period)
            uc.report(
                actor=current_user,
                view=self.view,
                period=period,
                volume=volume,
                hours=hours,
                note=form.note.data or "",
            )
        except ContractRuleError as exc:
            attach(form, exc)
            return self.render(report_form=form)
        flash(_("Uw cijfers over %(period)s zijn opgeslagen.", period=period.key), "success")
        return self.back("rapporteren")


class Combined(ContractPage):
    action = "contracts.manage"
    kinds = (OrgKind.UMBRELLA,)

    def post(self, contract_id: int):
        if not self.view.is_umbrella:
            abort(404)
        form = CombinedForm(prefix="combined")
        choices = {p.start.isoformat(): p for p in self.view.periods}
        form.period.choices = [(k, p.key) for k, p in choices.items()]
        if not form.validate_on_submit():
            return self.render(combined_form=form)
        try:
            row = uc.request_combined_report(
                actor=current_user, view=self.view, period=choices[form.period.data]
            )
        except ContractRuleError as exc:
            attach(form, exc)
            return self.render(combined_form=form)
        flash(
            _("Het verslag over %(period)s wordt gemaakt.", period=choices[form.period.data].key)
            if row.status != CombinedStatus.READY
            else _("Dit verslag is er al."),
            "success",
        )
        return self.back("verslagen")


class Download(ContractPage):
    kinds = (OrgKind.UMBRELLA, *uc.FUNDER_KINDS)

    def get(self, contract_id: int, report_id: int, fmt: str):
        try:
            row, body = uc.combined_file(self.view, report_id, fmt)
        except LookupError:
            abort(404)
        name = f"verslag-{row.contract_id}-{row.period_start:%Y-%m}.{fmt}"
        if fmt == "pdf":
            return pdf.download(body, name)
        from flask import Response

        return Response(
            body, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )


BASE = "/<org_slug>/umbrella-contracts"
ONE = f"{BASE}/<int:contract_id>"
bp.add_url_rule(BASE, view_func=UmbrellaList.as_view("list"))
bp.add_url_rule(f"{BASE}/new", view_func=NewContract.as_view("new"), methods=["GET", "POST"])
bp.add_url_rule(ONE, view_func=ContractPage.as_view("detail"))
bp.add_url_rule(
    f"{ONE}/allocation", view_func=Allocate.as_view("allocate"), methods=["GET", "POST"]
)
bp.add_url_rule(
    f"{ONE}/allocation/<int:version_id>/agree", view_func=Agree.as_view("agree"), methods=["POST"]
)
bp.add_url_rule(
    f"{ONE}/allocation/<int:version_id>/approve",
    view_func=Approve.as_view("approve"),
    methods=["POST"],
)
bp.add_url_rule(f"{ONE}/reports", view_func=Report.as_view("report"), methods=["POST"])
bp.add_url_rule(f"{ONE}/combined", view_func=Combined.as_view("combined"), methods=["POST"])
bp.add_url_rule(f"{ONE}/combined/<int:report_id>.<fmt>", view_func=Download.as_view("download"))
