"""Partnership agreements between a cooperative and a provider: the list (own and as
partner), a new agreement, one agreement (both sides read it; the owner adds quality
criteria and ends it, optionally handing over to a new partner; the partner agrees), and
editing a draft. On blueprint ``contracts``; the rules are in
``koepel.contracts.partnerships``."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from koepel.contracts import partnerships as ops
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.core import PartnershipStatus
from koepel.contracts.views.contract_forms import (
    AgreeForm,
    AgreementCriterionForm,
    AgreementForm,
    EndAgreementForm,
)
from koepel.contracts.views.contract_views import attach, bp, form_problems, organisation_by_slug
from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.models import Organisation
from koepel.platform.web import OrgView

STATUS_LABELS = {
    PartnershipStatus.DRAFT: _l("concept: de partner moet nog instemmen"),
    PartnershipStatus.ACTIVE: _l("geldt"),
    PartnershipStatus.ENDED: _l("beëindigd"),
}


def percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.##", locale=current_language())


def _partner_choices(org: Organisation, empty: str) -> list[SelectChoice]:
    kinds = ops.PROVIDER_SIDE if org.kind in ops.COOPERATIVE_SIDE else ops.COOPERATIVE_SIDE
    rows = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind.in_(kinds), Organisation.is_active.is_(True))
        .order_by(Organisation.name)
    ).all()
    return [SelectChoice("", empty)] + [SelectChoice(o.slug, o.name) for o in rows]


def _data(form: AgreementForm) -> ops.AgreementData:
    return ops.AgreementData(
        title=form.title.data or "",
        partner=organisation_by_slug(form.partner.data),
        starts_on=form.starts_on.day,
        professional_share=form.professional_share.value,
        volunteer_share=form.volunteer_share.value,
        family_share=form.family_share.value,
        responsible=form.responsible.data or "",
        mission=form.mission.data or "",
        way_of_working=form.way_of_working.data or "",
        own_contact=form.own_contact.data or "",
        partner_contact=form.partner_contact.data or "",
        money_description=form.money_description.data or "",
        money_percentage=form.money_percentage.value,
        money_amount=form.money_amount.amount,
        responsibility_note=form.responsibility_note.data or "",
        deviations=form.deviations.data or "",
    )


class PartnershipView(OrgView):
    kinds = ops.PARTNER_KINDS
    action = "contracts.view"


class PartnershipList(PartnershipView):
    def get(self):
        return render_template(
            "contracts/partnerships/list.html",
            org=self.org,
            agreements=ops.agreements_for(self.org),
            may_manage=self.can("contracts.manage"),
            status_labels=STATUS_LABELS,
        )


class PartnershipNew(PartnershipView):
    action = "contracts.manage"

    def form(self) -> AgreementForm:
        form = AgreementForm()
        form.partner.choices = _partner_choices(self.org, _("Kies de partner"))
        return form

    def page(self, form: AgreementForm):
        return render_template(
            "contracts/partnerships/edit.html", org=self.org, form=form, agreement=None
        )

    def get(self):
        return self.page(self.form())

    def post(self):
        form = self.form()
        if form.validate_on_submit():
            try:
                agreement = ops.create(actor=current_user, owner=self.org, data=_data(form))
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "De afspraak is opgeslagen. Voeg kwaliteitscriteria toe; daarna stemt "
                        "de partner in."
                    ),
                    "success",
                )
                return redirect(
                    url_for(
                        "contracts.partnership", org_slug=self.org.slug, agreement_id=agreement.id
                    )
                )
        return self.page(form)


class PartnershipPage(PartnershipView):
    owner_only = False

    def load(self, agreement_id: int, **_kwargs) -> None:
        self.seen = ops.seen_agreement(self.org, agreement_id)
        if self.seen is None or (self.owner_only and not self.seen.is_owner):
            abort(404)
        self.agreement = self.seen.agreement

    def back(self):
        return redirect(
            url_for("contracts.partnership", org_slug=self.org.slug, agreement_id=self.agreement.id)
        )

    def get(self, agreement_id: int):
        return self.render()

    def render(self, **submitted: FlaskForm):
        seen, agreement = self.seen, self.agreement
        manage = seen.is_owner and self.can("contracts.manage")
        draft = agreement.status == PartnershipStatus.DRAFT
        forms = {
            "criterion_form": AgreementCriterionForm(prefix="criterion", formdata=None),
            "agree_form": AgreeForm(prefix="agree", formdata=None),
            "end_form": EndAgreementForm(prefix="end", formdata=None),
        }
        forms.update(submitted)
        forms["end_form"].successor.choices = _partner_choices(
            self.org, _("Niemand: de afspraak stopt")
        )
        shown = {
            "criterion_form": manage and draft,
            "agree_form": not seen.is_owner and draft and self.can("contracts.sign"),
            "end_form": manage and agreement.status == PartnershipStatus.ACTIVE,
        }
        problems = [
            e for name, form in submitted.items() if not shown[name] for e in form_problems(form)
        ]
        return render_template(
            "contracts/partnerships/detail.html",
            org=self.org,
            seen=seen,
            agreement=agreement,
            manage=manage,
            draft=draft,
            shown=shown,
            problems=problems,
            percent=percent,
            status_labels=STATUS_LABELS,
            **forms,
        )


class PartnershipEdit(PartnershipPage):
    action = "contracts.manage"
    owner_only = True

    def form(self, filled: bool) -> AgreementForm:
        if filled:
            form = AgreementForm()
        else:
            a = self.agreement
            form = AgreementForm(formdata=None, obj=a)
            form.partner.data = self.seen.partner.slug
            form.starts_on.data = a.starts_on.isoformat()
            form.responsible.data = "own" if a.responsible_id == self.org.id else "partner"
            for name in (
                "professional_share",
                "volunteer_share",
                "family_share",
                "money_percentage",
            ):
                getattr(form, name).data = percent(getattr(a, name))
            form.money_amount.data = (
                format_decimal(a.money_amount, format="#,##0.00", locale=current_language())
                if a.money_amount is not None
                else ""
            )
        form.partner.choices = _partner_choices(self.org, _("Kies de partner"))
        return form

    def page(self, form: AgreementForm):
        return render_template(
            "contracts/partnerships/edit.html", org=self.org, form=form, agreement=self.agreement
        )

    def get(self, agreement_id: int):
        return self.page(self.form(filled=False))

    def post(self, agreement_id: int):
        form = self.form(filled=True)
        if form.validate_on_submit():
            try:
                ops.update(
                    actor=current_user, owner=self.org, agreement=self.agreement, data=_data(form)
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("De afspraak is bijgewerkt."), "success")
                return self.back()
        return self.page(form)


class PartnershipAddCriterion(PartnershipPage):
    action = "contracts.manage"
    owner_only = True

    def post(self, agreement_id: int):
        form = AgreementCriterionForm(prefix="criterion")
        if form.validate_on_submit():
            try:
                ops.add_criterion(
                    actor=current_user,
                    owner=self.org,
                    agreement=self.agreement,
                    title=form.title.data or "",
                    description=form.description.data or "",
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("Het kwaliteitscriterium is toegevoegd."), "success")
                return self.back()
        return self.render(criterion_form=form)


class PartnershipAgree(PartnershipPage):
    action = "contracts.sign"

    def post(self, agreement_id: int):
        form = AgreeForm(prefix="agree")
        if form.validate_on_submit():
            try:
                ops.agree(actor=current_user, org=self.org, agreement_id=self.agreement.id)
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("U heeft ingestemd. De afspraak geldt nu voor beide partijen."), "success")
                return self.back()
        return self.render(agree_form=form)


class PartnershipEnd(PartnershipPage):
    action = "contracts.manage"
    owner_only = True

    def post(self, agreement_id: int):
        form = EndAgreementForm(prefix="end")
        if form.validate_on_submit():
            successor = organisation_by_slug(form.successor.data)
            if form.successor.data and successor is None:
                form.successor.errors.append(_("Kies een partner uit de lijst."))
                return self.render(end_form=form)
            try:
                follow_up = ops.end(
                    actor=current_user,
                    owner=self.org,
                    agreement=self.agreement,
                    ended_on=form.ended_on.day,
                    reason=form.reason.data or "",
                    successor=successor,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                if follow_up is None:
                    flash(_("De afspraak is beëindigd."), "success")
                    return self.back()
                flash(
                    _(
                        "De afspraak is beëindigd. %(name)s neemt het over: bekijk de nieuwe "
                        "afspraak en laat de partner instemmen.",
                        name=successor.name,
                    ),
                    "success",
                )
                return redirect(
                    url_for(
                        "contracts.partnership", org_slug=self.org.slug, agreement_id=follow_up.id
                    )
                )
        return self.render(end_form=form)


_list = "/<org_slug>/partnership-agreements"
_one = f"{_list}/<int:agreement_id>"
bp.add_url_rule(_list, view_func=PartnershipList.as_view("partnerships"))
bp.add_url_rule(f"{_list}/new", view_func=PartnershipNew.as_view("new_partnership"))
bp.add_url_rule(_one, view_func=PartnershipPage.as_view("partnership"))
bp.add_url_rule(f"{_one}/edit", view_func=PartnershipEdit.as_view("edit_partnership"))
for _path, _view, _name in (
    ("criteria", PartnershipAddCriterion, "add_criterion"),
    ("agree", PartnershipAgree, "agree_partnership"),
    ("end", PartnershipEnd, "end_partnership"),
):
    bp.add_url_rule(f"{_one}/{_path}", view_func=_view.as_view(_name), methods=["POST"])
