"""Arrangement financing (Westelijke Mijnstreek): the municipality's schemes with the matrix
of nine arrangements, the historical costs, the computed tariffs, the clients and the budget
per provider; a provider sees the tariffs and its own clients and budget only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from koepel.contracts import arrangement_financing as ops
from koepel.contracts import arrangements as rules
from koepel.contracts.budgeting import BudgetError, explanation_text, organisations
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.views.budget_forms import (
    ButtonForm,
    ClientForm,
    CostForm,
    SchemeForm,
)
from koepel.contracts.views.budget_views import attach, errors_of
from koepel.platform.i18n import current_language
from koepel.platform.web import OrgView


class SchemeList(OrgView):
    """The municipality's schemes, and a new one."""

    action = "budgets.view"
    post_action = "budgets.manage"
    kinds = ops.BUYER_KINDS

    def get(self):
        return self.render(SchemeForm(formdata=None))

    def render(self, form: SchemeForm):
        return render_template(
            "contracts/budgets/arrangements.html",
            org=self.org,
            schemes=ops.schemes(),
            form=form,
            may_manage=self.can("budgets.manage"),
        )

    def post(self):
        form = SchemeForm()
        if form.validate_on_submit():
            try:
                scheme = ops.create(
                    actor=current_user,
                    buyer=self.org,
                    title=form.title.data or "",
                    year=form.year.data,
                    national_cut=form.national_cut.value,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("De regeling is aangemaakt. Voer nu de historische kosten in."), "success")
                return redirect(
                    url_for("budgets.arrangement", org_slug=self.org.slug, scheme_id=scheme.id)
                )
        return self.render(form)


class SchemePage(OrgView):
    """One scheme: the whole of it for its municipality, a provider's own part for a
    provider with clients in it."""

    action = "budgets.view"
    kinds = ops.BUYER_KINDS + ops.PROVIDER_KINDS

    def load(self, scheme_id: int, **kwargs: Any) -> None:
        if self.org.kind in ops.BUYER_KINDS:
            scheme = ops.get(scheme_id)  # scoped: another municipality's scheme is None
            self.data = ops.load(scheme) if scheme is not None else None
        else:
            self.data = ops.for_provider(self.org, scheme_id)
        if self.data is None:
            abort(404)
        self.scheme = self.data.scheme
        self.owner = self.scheme.tenant_id == self.org.id

    def get(self, scheme_id: int):
        return self.render()

    def back(self, anchor: str | None = None):
        return redirect(
            url_for(
                "budgets.arrangement",
                org_slug=self.org.slug,
                scheme_id=self.scheme.id,
                _anchor=anchor,
            )
        )

    def render(self, **submitted: FlaskForm):
        may_manage = self.owner and self.can("budgets.manage")
        forms: dict[str, FlaskForm] = {}
        if may_manage:
            forms["cost_form"] = CostForm(prefix="cost", formdata=None)
            forms["tariffs_form"] = ButtonForm(prefix="tariffs", formdata=None)
            if self.data.tariffs:
                forms["client_form"] = ClientForm(prefix="client", formdata=None)
        problems = [e for name, f in submitted.items() if name not in forms for e in errors_of(f)]
        forms.update({k: v for k, v in submitted.items() if k in forms})
        self._choices(forms)
        matrix = [
            [
                (rules.Arrangement(c, i), self.data.tariffs.get(rules.Arrangement(c, i)))
                for i in rules.INTENSITIES
            ]
            for c in rules.COMPLEXITIES
        ]
        return render_template(
            "contracts/budgets/arrangement.html",
            org=self.org,
            scheme=self.scheme,
            data=self.data,
            owner=self.owner,
            matrix=matrix,
            label=ops.label,
            explain=explanation_text,
            complexities=rules.COMPLEXITIES,
            intensities=rules.INTENSITIES,
            arrangement=rules.Arrangement,
            cak=ops.cak_figures(self.data),
            month_name=lambda m: format_date(
                date(self.scheme.year, m, 1), "LLLL", locale=current_language()
            ),
            problems=problems,
            **forms,
        )

    def month_name(self, month: int) -> str:
        return format_date(date(self.scheme.year, month, 1), "LLLL", locale=current_language())

    def _choices(self, forms: dict[str, FlaskForm]) -> None:
        if "client_form" in forms:
            form = forms["client_form"]
            form.arrangement.choices = [(a.code, ops.label(a)) for a in sorted(self.data.tariffs)]
            form.provider.choices = [("", _("Kies een aanbieder"))] + [
                (o.id, o.name) for o in organisations(ops.PROVIDER_KINDS)
            ]


class AddCost(SchemePage):
    action = "budgets.manage"
    kinds = ops.BUYER_KINDS

    def post(self, scheme_id: int):
        form = CostForm(prefix="cost")
        if form.validate_on_submit():
            try:
                ops.add_cost(
                    actor=current_user,
                    scheme=self.scheme,
                    complexity=form.complexity.data,
                    intensity=form.intensity.data,
                    cost_per_client=form.cost_per_client.amount,
                    clients=form.clients.data,
                    source=form.source.data or "",
                )
            except ContractRuleError as exc:
                attach(form, exc, {"arrangement": "complexity"})
            else:
                flash(_("De kosten zijn toegevoegd."), "success")
                return self.back("kosten")
        return self.render(cost_form=form)


class ComputeTariffs(SchemePage):
    action = "budgets.manage"
    kinds = ops.BUYER_KINDS

    def post(self, scheme_id: int):
        form = ButtonForm(prefix="tariffs")
        if form.validate_on_submit():
            try:
                ops.compute_tariffs(actor=current_user, scheme=self.scheme)
            except ContractRuleError as exc:
                form.form_errors.append(str(exc))
            else:
                flash(_("De tarieven zijn berekend en vastgelegd."), "success")
                return self.back("tarieven")
        return self.render(tariffs_form=form)


class AssignClient(SchemePage):
    action = "budgets.manage"
    kinds = ops.BUYER_KINDS

    def post(self, scheme_id: int):
        form = ClientForm(prefix="client")
        self._choices({"client_form": form})
        if form.validate_on_submit():
            provider = next(
                (o for o in organisations(ops.PROVIDER_KINDS) if o.id == form.provider.data), None
            )
            complexity, _sep, intensity = (form.arrangement.data or "").partition("/")
            try:
                if provider is None:
                    raise BudgetError(_("Kies een zorgaanbieder of zorgcoöperatie."), "provider")
                ops.assign(
                    actor=current_user,
                    scheme=self.scheme,
                    client_ref=form.client_ref.data or "",
                    complexity=complexity,
                    intensity=intensity,
                    provider=provider,
                    starts_on=form.starts_on.data,
                    ends_on=form.ends_on.data,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("De cliënt is toegewezen."), "success")
                return self.back("clienten")
        return self.render(client_form=form)


def add_rules(bp, _one: str) -> None:
    bp.add_url_rule(
        "/<org_slug>/arrangements",
        view_func=SchemeList.as_view("arrangements"),
        methods=["GET", "POST"],
    )
    one = "/<org_slug>/arrangements/<int:scheme_id>"
    bp.add_url_rule(one, view_func=SchemePage.as_view("arrangement"))
    for path, view, name in (
        ("costs", AddCost, "add_cost"),
        ("tariffs", ComputeTariffs, "compute_tariffs"),
        ("clients", AssignClient, "assign_client"),
    ):
        bp.add_url_rule(f"{one}/{path}", view_func=view.as_view(name), methods=["POST"])
