"""Budgets, allocation versions, pooled district settlements and arrangement financing.

One page per budget for every party to it: the owner manages it (funding, partners,
versions, the settlement), a partner sees it and acts on its own part (its proposal, its
agreement, its delivered care, its statement), the funder and the approver see the figures
and the approver approves. Which parts a party sees is decided by the named functions in
``koepel.contracts.budgeting`` (and its neighbours); an organisation that is no party gets
404, the same as for a budget that does not exist.

The pages live in several files that add their URL rules to ``bp``: versions
(``allocation_views``), delivered care and settlements (``district_views``), arrangement
financing (``arrangement_views``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import Field

from koepel.contracts import allocation_versions as versions_ops
from koepel.contracts import arrangement_financing as arrangements_ops
from koepel.contracts import budget_exports, budgeting, districts
from koepel.contracts.budgeting import BudgetError, BudgetView
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.budgets import (
    BudgetKind,
    BudgetPartnerRole,
    SurplusRule,
    VersionStatus,
)
from koepel.contracts.views.budget_forms import (
    EXPORT_CHOICES,
    AdvanceForm,
    BudgetForm,
    DeliveryForm,
    ExportForm,
    FundingForm,
    ImportForm,
    PartnerForm,
)
from koepel.platform.extensions import db
from koepel.platform.models import JobRun
from koepel.platform.timeutil import to_local, utcnow
from koepel.platform.web import OrgView

bp = Blueprint("budgets", __name__)

STATUS_LABELS = {
    VersionStatus.DRAFT: _l("voorstelronde"),
    VersionStatus.PROPOSED: _l("voorgesteld, wacht op akkoord"),
    VersionStatus.AGREED: _l("akkoord van alle partners, wacht op goedkeuring"),
    VersionStatus.APPROVED: _l("goedgekeurd"),
    VersionStatus.SUPERSEDED: _l("vervangen door een nieuwere versie"),
}
KIND_LABELS = {
    BudgetKind.ALLOCATION: _l("vooraf verdelen"),
    BudgetKind.DISTRICT: _l("gedeelde wijkpot"),
}
ROLE_LABELS = {
    BudgetPartnerRole.MAIN: _l("partner"),
    BudgetPartnerRole.SUB: _l("onderaannemer"),
}
SURPLUS_LABELS = {
    SurplusRule.FUNDERS: _l("terug naar de financiers"),
    SurplusRule.CARRY_OVER: _l("blijft in de pot"),
}


def attach(form: FlaskForm, exc: ValueError, aliases: dict[str, str] | None = None) -> None:
    """Put a rule's refusal next to the field it names, else at the top of the form."""
    name = getattr(exc, "field", None)
    name = (aliases or {}).get(name or "", name)
    target = getattr(form, name, None) if name else None
    (target.errors if isinstance(target, Field) else form.form_errors).append(str(exc))


def errors_of(form: FlaskForm) -> list[str]:
    return [str(e) for e in form.form_errors] + [
        str(e) for f in form for e in f.errors if isinstance(e, str)
    ]


def relation(view: BudgetView) -> str:
    """How the acting organisation relates to the budget, in words."""
    parts = []
    if view.is_owner:
        parts.append(_("beheerder"))
    if view.partner is not None:
        parts.append(str(ROLE_LABELS[view.partner.role]))
    if view.is_approver:
        parts.append(_("keurt goed"))
    if view.is_funder:
        parts.append(_("financier"))
    return ", ".join(parts)


class BudgetPage(OrgView):
    """A page about one budget, for any party to it."""

    action = "budgets.view"

    def load(self, budget_id: int, **kwargs: Any) -> None:
        self.view = budgeting.budget_for(self.org, budget_id)
        if self.view is None:
            abort(404)
        self.budget = self.view.budget

    def back(self, anchor: str | None = None):
        return redirect(
            url_for(
                "budgets.detail", org_slug=self.org.slug, budget_id=self.budget.id, _anchor=anchor
            )
        )


# -- list and new ---------------------------------------------------------------------------------
class BudgetList(OrgView):
    action = "budgets.view"

    def get(self):
        views = budgeting.budgets_for(self.org)
        schemes = []
        if self.org.kind in arrangements_ops.BUYER_KINDS:
            schemes = arrangements_ops.schemes()
        elif self.org.kind in arrangements_ops.PROVIDER_KINDS:
            schemes = arrangements_ops.schemes_for_provider(self.org)
        return render_template(
            "contracts/budgets/list.html",
            org=self.org,
            views=views,
            schemes=schemes,
            relation=relation,
            kind_labels=KIND_LABELS,
            may_manage=self.can("budgets.manage"),
            buyer=self.org.kind in arrangements_ops.BUYER_KINDS,
        )


def approver_choices(form_field) -> None:
    form_field.choices = [("", _("Kies een organisatie"))] + [
        (o.id, o.name) for o in budgeting.organisations(budgeting.FUNDER_KINDS)
    ]


class BudgetNew(OrgView):
    action = "budgets.manage"

    def form(self) -> BudgetForm:
        form = BudgetForm()
        approver_choices(form.approver)
        if request.method == "GET" and self.org.kind in budgeting.FUNDER_KINDS:
            form.approver.data = self.org.id
        return form

    def get(self):
        return render_template("contracts/budgets/new.html", org=self.org, form=self.form())

    def post(self):
        form = self.form()
        if form.validate_on_submit():
            approver = budgeting.organisation(form.approver.data, budgeting.FUNDER_KINDS)
            if approver is None:
                form.approver.errors.append(_("Kies de gemeente, regio of zorgverzekeraar."))
            else:
                data = budgeting.BudgetData(
                    title=form.title.data or "",
                    kind=BudgetKind(form.kind.data),
                    period_start=form.period_start.data,
                    period_end=form.period_end.data,
                    approver=approver,
                    description=form.description.data or "",
                    contract_id=form.contract_id.data,
                    share_deliveries=bool(form.share_deliveries.data),
                    surplus_rule=SurplusRule(form.surplus_rule.data),
                )
                try:
                    budget = budgeting.create(actor=current_user, owner=self.org, data=data)
                except ContractRuleError as exc:
                    attach(form, exc)
                else:
                    flash(
                        _("De pot is aangemaakt. Voeg nu de financiering en de partners toe."),
                        "success",
                    )
                    return redirect(
                        url_for("budgets.detail", org_slug=self.org.slug, budget_id=budget.id)
                    )
        return render_template("contracts/budgets/new.html", org=self.org, form=form)


# -- one budget -----------------------------------------------------------------------------------
def _exports(org_id: int, budget_id: int) -> list[dict[str, Any]]:
    """The acting organisation's finished exports of this budget (its own job runs)."""
    runs = db.session.scalars(
        select(JobRun)  # tenant-owned: scoped to the acting organisation
        .where(JobRun.name == budget_exports.JOB_NAME, JobRun.status == "done")
        .order_by(JobRun.created_at.desc(), JobRun.id)
        .limit(20)
    ).all()
    shown = []
    for run in runs:
        kind = run.kwargs.get("kind")
        if run.kwargs.get("budget_id") != budget_id or kind not in budget_exports.FORMATS:
            continue
        fmt = budget_exports.FORMATS[kind]
        if budget_exports.export_path(org_id, run.id, fmt).is_file():
            shown.append({"run": run, "kind": kind, "fmt": fmt})
    return shown


class BudgetDetail(BudgetPage):
    def get(self, budget_id: int):
        return self.render()

    def render(self, **submitted: FlaskForm):
        view, budget = self.view, self.budget
        may_manage = self.can("budgets.manage")
        owner = view.is_owner and may_manage
        district = budget.kind == BudgetKind.DISTRICT
        settlement = districts.settled(view) if district else None
        today = to_local(utcnow()).date()
        forms: dict[str, FlaskForm] = {}
        if owner and settlement is None:
            forms["funding_form"] = FundingForm(prefix="funding", formdata=None)
            forms["partner_form"] = PartnerForm(prefix="partner", formdata=None)
            if district and budget.partners:
                forms["advance_form"] = AdvanceForm(prefix="advance", formdata=None)
        if district and view.is_partner and may_manage and settlement is None:
            forms["delivery_form"] = DeliveryForm(prefix="delivery", formdata=None)
            forms["import_form"] = ImportForm(prefix="import", formdata=None)
        export_kinds = self.export_kinds()
        if export_kinds:
            forms["export_form"] = ExportForm(prefix="export", formdata=None)
        problems = [e for name, f in submitted.items() if name not in forms for e in errors_of(f)]
        forms.update({k: v for k, v in submitted.items() if k in forms})
        self._choices(forms)
        context: dict[str, Any] = {}
        if budget.kind == BudgetKind.ALLOCATION:
            context["versions"] = versions_ops.versions(view)
        else:
            context.update(
                settlement=settlement,
                own_records=districts.own_records(view) if view.is_partner else [],
                shared=districts.shared_records(view),
                totals=districts.recorded_totals(view),
                may_settle=owner and settlement is None and today >= budget.period_end,
            )
        return render_template(
            "contracts/budgets/detail.html",
            org=self.org,
            view=view,
            budget=budget,
            relation=relation(view),
            kind_labels=KIND_LABELS,
            role_labels=ROLE_LABELS,
            status_labels=STATUS_LABELS,
            surplus_labels=SURPLUS_LABELS,
            may_manage=may_manage,
            owner=owner,
            schemes=budgeting.schemes(budget),
            export_kinds=export_kinds,
            exports=_exports(self.org.id, budget.id),
            export_labels={c.value: c.label for c in EXPORT_CHOICES},
            problems=problems,
            **forms,
            **context,
        )

    def _choices(self, forms: dict[str, FlaskForm]) -> None:
        if "funding_form" in forms:
            forms["funding_form"].funder.choices = [("", _("Kies een financier"))] + [
                (o.id, o.name) for o in budgeting.organisations(budgeting.FUNDER_KINDS)
            ]
        if "partner_form" in forms:
            taken = {p.partner_id for p in self.budget.partners}
            forms["partner_form"].partner.choices = [("", _("Kies een organisatie"))] + [
                (o.id, o.name) for o in budgeting.organisations() if o.id not in taken
            ]
        if "advance_form" in forms:
            forms["advance_form"].partner.choices = [("", _("Kies een partner"))] + [
                (p.partner_id, p.partner.name) for p in self.budget.partners
            ]
        if "delivery_form" in forms:
            forms["delivery_form"].product.choices = [
                (s, s) for s in budgeting.schemes(self.budget)
            ]
        if "export_form" in forms:
            allowed = self.export_kinds()
            forms["export_form"].kind.choices = [c for c in EXPORT_CHOICES if c.value in allowed]

    def export_kinds(self) -> list[str]:
        """The exports this organisation may have of the budget now (asked once a request)."""
        if not hasattr(self, "_export_kinds"):
            self._export_kinds = [
                kind
                for kind in budget_exports.FORMATS
                if budget_exports.may_export(self.view, kind, self.org.id) is None
            ]
        return self._export_kinds


class AddFunding(BudgetDetail):
    action = "budgets.manage"

    def post(self, budget_id: int):
        form = FundingForm(prefix="funding")
        self._choices({"funding_form": form})
        if form.validate_on_submit():
            funder = budgeting.organisation(form.funder.data, budgeting.FUNDER_KINDS)
            try:
                if funder is None:
                    raise BudgetError(_("Kies een gemeente, regio of zorgverzekeraar."), "funder")
                line = budgeting.add_funding(
                    actor=current_user,
                    view=self.view,
                    funder=funder,
                    scheme=form.scheme.data or "",
                    amount_=form.amount.amount,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "%(funder)s: %(scheme)s is toegevoegd.",
                        funder=funder.name,
                        scheme=line.scheme,
                    ),
                    "success",
                )
                return self.back("financiering")
        return self.render(funding_form=form)


class AddPartner(BudgetDetail):
    action = "budgets.manage"

    def post(self, budget_id: int):
        form = PartnerForm(prefix="partner")
        self._choices({"partner_form": form})
        if form.validate_on_submit():
            partner = budgeting.organisation(form.partner.data)
            try:
                if partner is None:
                    raise BudgetError(_("Kies een organisatie."), "partner")
                budgeting.add_partner(
                    actor=current_user,
                    view=self.view,
                    partner=partner,
                    role=BudgetPartnerRole(form.role.data),
                    advance=form.advance.amount or 0,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("%(name)s is partner.", name=partner.name), "success")
                return self.back("partners")
        return self.render(partner_form=form)


class SetAdvance(BudgetDetail):
    action = "budgets.manage"

    def post(self, budget_id: int):
        form = AdvanceForm(prefix="advance")
        self._choices({"advance_form": form})
        if form.validate_on_submit():
            try:
                row = budgeting.set_advance(
                    actor=current_user,
                    view=self.view,
                    partner_id=form.partner.data,
                    advance=form.advance.amount,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _("Het voorschot van %(name)s is opgeslagen.", name=row.partner.name), "success"
                )
                return self.back("partners")
        return self.render(advance_form=form)


_rule = "/<org_slug>/budgets"
_one = f"{_rule}/<int:budget_id>"
bp.add_url_rule(_rule, view_func=BudgetList.as_view("list"))
bp.add_url_rule(f"{_rule}/new", view_func=BudgetNew.as_view("new"))
bp.add_url_rule(_one, view_func=BudgetDetail.as_view("detail"))
for _path, _view, _name in (
    ("funding", AddFunding, "add_funding"),
    ("partners", AddPartner, "add_partner"),
    ("advances", SetAdvance, "set_advance"),
):
    bp.add_url_rule(f"{_one}/{_path}", view_func=_view.as_view(_name), methods=["POST"])

# The other pages about budgets add their rules to this blueprint.
from koepel.contracts.views import (  # noqa: E402
    allocation_views,
    arrangement_views,
    district_views,
)

for _module in (allocation_views, district_views, arrangement_views):
    _module.add_rules(bp, _one)
