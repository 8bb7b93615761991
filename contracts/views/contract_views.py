"""Contracts: the list (own contracts, contracts the organisation is party to, and final
awards that have no contract yet), entering a contract without a tender, turning awards into
a draft contract, and one contract's page: parties and signatures, options, documents and
its status. KPIs and payments have their own pages (``contract_work_views``); partnership
agreements too (``partnership_views``). All on blueprint ``contracts``.

The owner manages a contract; a party sees it (and signs its side) through the named reads
in ``koepel.contracts.contracting``. Anyone else gets 404, as for a contract that does not
exist. Every change goes through the rules; a refusal is shown next to the field it names,
with what was typed kept (200); a success redirects back with a message.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from koepel.contracts import contract_awards
from koepel.contracts import contracting as ops
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.core import (
    ContractKind,
    ContractStatus,
    OptionStatus,
    PartyRole,
    PaymentFrequency,
)
from koepel.contracts.views.contract_forms import (
    KIND_LABELS,
    ROLE_LABELS,
    ContractForm,
    FromAwardForm,
)
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind
from koepel.platform.timeutil import format_date_local
from koepel.platform.web import OrgView

bp = Blueprint("contracts", __name__)

STATUS_LABELS = {
    ContractStatus.DRAFT: _l("concept"),
    ContractStatus.SIGNED: _l("getekend"),
    ContractStatus.ACTIVE: _l("lopend"),
    ContractStatus.ENDED: _l("afgelopen"),
    ContractStatus.TERMINATED: _l("beëindigd"),
}
OPTION_LABELS = {
    OptionStatus.OPEN: _l("nog open"),
    OptionStatus.EXERCISED: _l("gelicht"),
    OptionStatus.DECLINED: _l("niet gelicht"),
}


ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


def attach(form: FlaskForm, exc: ValueError, aliases: dict[str, str] | None = None) -> None:
    """Put a rule's refusal next to the field it names, else at the top of the form."""
    field = getattr(exc, "field", None) or ""
    name = (aliases or {}).get(field, field)
    target = getattr(form, name, None) if name else None
    (target.errors if isinstance(target, Field) else form.form_errors).append(str(exc))


def form_problems(form: FlaskForm) -> list[str]:
    return [str(e) for e in form.form_errors] + [
        str(e) for f in form for e in f.errors if isinstance(e, str)
    ]


def organisation_choices(exclude: set[int]) -> list[SelectChoice]:
    """Every active organisation (names and kinds are public), for choosing a party."""
    from koepel.platform.policy import KIND_LABELS as ORG_KINDS

    rows = db.session.scalars(
        select(Organisation).where(Organisation.is_active.is_(True)).order_by(Organisation.name)
    ).all()
    return [SelectChoice("", _("Kies een organisatie"))] + [
        SelectChoice(o.slug, f"{o.name} ({ORG_KINDS[o.kind]})") for o in rows if o.id not in exclude
    ]


def organisation_by_slug(slug: str | None) -> Organisation | None:
    if not slug:
        return None
    return db.session.scalar(
        select(Organisation).where(Organisation.slug == slug, Organisation.is_active.is_(True))
    )


# -- the list ---------------------------------------------------------------------------------
class ContractList(OrgView):
    action = "contracts.view"

    def get(self):
        return self.render()

    def render(self, award_form: FromAwardForm | None = None):
        owns = self.org.kind in ops.OWNER_KINDS
        may_manage = self.can("contracts.manage")
        awards = (
            contract_awards.open_awards(self.org)
            if self.org.kind in ops.BUYER_KINDS and may_manage
            else []
        )
        form = award_form or FromAwardForm(prefix="award", formdata=None)
        form.awards.choices = [
            SelectChoice(f"{a.award_id}:{a.winner_bid_id}", a.winner_name) for a in awards
        ]
        return render_template(
            "contracts/contracts/list.html",
            org=self.org,
            owns=owns,
            own=ops.own_contracts(self.org) if owns else [],
            as_party=ops.contracts_as_party(self.org),
            awards=awards,
            award_form=form,
            may_manage=may_manage and owns,
            status_labels=STATUS_LABELS,
            kind_labels=KIND_LABELS,
            role_labels=ROLE_LABELS,
        )


class ContractFromAward(ContractList):
    kinds = ops.BUYER_KINDS
    action = "contracts.manage"

    def post(self):
        form = FromAwardForm(prefix="award")
        if form.validate_on_submit():
            award_ids, bid_ids = form.chosen()
            try:
                contract = contract_awards.from_awards(
                    actor=current_user,
                    buyer=self.org,
                    award_ids=award_ids,
                    winner_bid_ids=bid_ids,
                    start_date=form.start_date.day,
                    initial_months=form.initial_months.data,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "Het concept-contract is gemaakt met de partijen uit de winnende "
                        "inschrijving. Vul het verder aan en laat het tekenen."
                    ),
                    "success",
                )
                return redirect(self.detail_url(contract.id))
        return self.render(award_form=form)

    def detail_url(self, contract_id: int) -> str:
        return url_for("contracts.detail", org_slug=self.org.slug, contract_id=contract_id)


def _kind_choices(include_award: bool) -> list[SelectChoice]:
    return [
        SelectChoice(kind.value, label)
        for kind, label in KIND_LABELS.items()
        if include_award or kind != ContractKind.AWARD
    ]


def _pilot_choices(org: Organisation) -> list[SelectChoice]:
    """The municipality's Right to Challenge decisions for a pilot (its own rows)."""
    from koepel.bids.models.challenges import ChallengeAssessment, ChallengeDecision

    if org.kind != OrgKind.MUNICIPALITY:
        return []
    rows = db.session.scalars(
        select(ChallengeAssessment)
        .where(ChallengeAssessment.decision == ChallengeDecision.PILOT)
        .order_by(ChallengeAssessment.decided_at.desc())
    ).all()
    names = {
        o.id: o.name
        for o in db.session.scalars(
            select(Organisation).where(Organisation.id.in_({r.challenger_id for r in rows}))
        )
    }
    return [
        SelectChoice(
            str(r.id),
            _(
                "Pilot met %(name)s (besloten %(day)s)",
                name=names[r.challenger_id],
                day=format_date_local(r.decided_at),
            ),
        )
        for r in rows
    ]


def _data(form: ContractForm) -> ops.ContractData:
    return ops.ContractData(
        title=form.title.data or "",
        kind=ContractKind(form.kind.data),
        start_date=form.start_date.day,
        initial_months=form.initial_months.data,
        description=form.description.data or "",
        value=form.value.amount,
        yearly_amount=form.yearly_amount.amount,
        payment_frequency=PaymentFrequency(form.payment_frequency.data),
        option_reminder_days=form.option_reminder_days.data
        if form.option_reminder_days.data is not None
        else 90,
        kpi_window_days=form.kpi_window_days.data if form.kpi_window_days.data is not None else 60,
        shares_figures=bool(form.shares_figures.data),
    )


class ContractNew(OrgView):
    """A contract without a tender: a subsidy, a pilot after a Right to Challenge, an
    insurer contract, a transitional contract."""

    kinds = ops.OWNER_KINDS
    action = "contracts.manage"

    def form(self, formdata=None) -> ContractForm:
        form = ContractForm(formdata=formdata) if formdata is not None else ContractForm()
        form.kind.choices = _kind_choices(include_award=False)
        pilots = _pilot_choices(self.org)
        form.challenge.choices = [SelectChoice("", _("Geen"))] + pilots
        self.has_pilots = bool(pilots)
        return form

    def get(self):
        form = self.form()
        if self.org.kind == OrgKind.INSURER and not form.is_submitted():
            form.kind.data = ContractKind.INSURER.value
        return self.page(form)

    def page(self, form: ContractForm):
        return render_template(
            "contracts/contracts/new.html", org=self.org, form=form, has_pilots=self.has_pilots
        )

    def post(self):
        form = self.form()
        if form.validate_on_submit():
            parties = []
            assessment_id = form.challenge.data if self.has_pilots else None
            if assessment_id is not None:
                challenger = self._challenger(assessment_id)
                if challenger is None:
                    form.challenge.errors.append(_("Kies een Right to Challenge uit de lijst."))
                    return self.page(form)
                parties.append((challenger, PartyRole.MAIN))
            try:
                contract = ops.create(
                    actor=current_user,
                    owner=self.org,
                    data=_data(form),
                    parties=parties,
                    challenge_assessment_id=assessment_id,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("Het concept-contract is opgeslagen. Voeg de partijen toe."), "success")
                return redirect(
                    url_for("contracts.detail", org_slug=self.org.slug, contract_id=contract.id)
                )
        return self.page(form)

    def _challenger(self, assessment_id: int) -> Organisation | None:
        from koepel.bids.models.challenges import ChallengeAssessment, ChallengeDecision

        row = db.session.scalar(
            select(ChallengeAssessment).where(
                ChallengeAssessment.id == assessment_id,
                ChallengeAssessment.decision == ChallengeDecision.PILOT,
            )
        )
        return db.session.get(Organisation, row.challenger_id) if row else None


# -- one contract -----------------------------------------------------------------------------
class ContractPage(OrgView):
    """Loads the contract the acting organisation owns or is party to (404 otherwise)."""

    action = "contracts.view"
    owner_only = False

    def load(self, contract_id: int, **_kwargs) -> None:
        self.seen = ops.seen_contract(self.org, contract_id)
        if self.seen is None or (self.owner_only and not self.seen.is_owner):
            abort(404)
        self.contract = self.seen.contract

    def back(self):
        return redirect(
            url_for("contracts.detail", org_slug=self.org.slug, contract_id=self.contract.id)
        )


_list = "/<org_slug>/contracts"
bp.add_url_rule(_list, view_func=ContractList.as_view("list"))
bp.add_url_rule(f"{_list}/new", view_func=ContractNew.as_view("new"))
bp.add_url_rule(
    f"{_list}/from-award", view_func=ContractFromAward.as_view("from_award"), methods=["POST"]
)

# One contract's pages, its KPIs and payments, and partnership agreements register on this
# blueprint too.
from koepel.contracts.views import (  # noqa: E402, F401
    contract_page_views,
    contract_work_views,
    partnership_views,
)
