"""The buyer's tender pages (municipality or region): the list, a new tender, and one
tender with its lots, award criteria and requirements; while it is a draft the buyer adds
to it and publishes it, once published the buyer may move the deadline or cancel it.

Every change goes through the rules in ``koepel.bids.tenders``; a refusal is shown next
to the field it is about, with what was typed kept.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import Field

from koepel.bids import challenges
from koepel.bids import tenders as ops
from koepel.bids.models import CriterionKind, LotKind, Procedure, Tender, TenderStatus
from koepel.bids.views.questions_views import publish_correction
from koepel.bids.views.tender_forms import (
    CRITERION_KIND_CHOICES,
    LOT_KIND_CHOICES,
    PROCEDURE_CHOICES,
    CancelForm,
    CriterionForm,
    DeadlineForm,
    LotForm,
    PublishForm,
    RequirementForm,
    TenderForm,
)
from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.web import OrgView

bp = Blueprint("tenders", __name__)

STATUS_LABELS = {
    TenderStatus.DRAFT: _l("concept"),
    TenderStatus.PUBLISHED: _l("gepubliceerd"),
    TenderStatus.OPENED: _l("geopend"),
    TenderStatus.EVALUATED: _l("beoordeeld"),
    TenderStatus.AWARDED: _l("gegund"),
    TenderStatus.CANCELLED: lazy_pgettext("aanbesteding", "ingetrokken"),
}
PROCEDURE_LABELS = {Procedure(c.value): c.label for c in PROCEDURE_CHOICES}
LOT_KIND_LABELS = {LotKind(c.value): c.label for c in LOT_KIND_CHOICES}
CRITERION_KIND_LABELS = {CriterionKind(c.value): c.label for c in CRITERION_KIND_CHOICES}
# The rules name their fields after the model; the forms split a moment in date and time.
FIELD_ALIASES = {"submission_deadline": "submission_date", "questions_deadline": "questions_date"}


def percent(value: Decimal) -> str:
    """A percentage the way the reader writes it: 12,5 (nl), 12.5 (en); 40, not 40,00."""
    return format_decimal(value, format="#,##0.##", locale=current_language())


def attach(form: FlaskForm, exc: ValueError) -> None:
    """Put a rule's refusal next to the field it names, else at the top of the form."""
    field = getattr(exc, "field", None)
    name = FIELD_ALIASES.get(field or "", field)
    target = getattr(form, name, None) if name else None
    (target.errors if isinstance(target, Field) else form.form_errors).append(str(exc))


def _errors(form: FlaskForm) -> list[str]:
    return [str(e) for e in form.form_errors] + [
        str(e) for field in form for e in field.errors if isinstance(e, str)
    ]


class BuyerView(OrgView):
    kinds = ops.BUYER_KINDS


class TenderList(BuyerView):
    action = "tenders.view"

    def get(self):
        tenders = db.session.scalars(
            select(Tender).order_by(Tender.created_at.desc(), Tender.id.desc())
        ).all()
        return render_template(
            "bids/tenders/list.html",
            org=self.org,
            tenders=tenders,
            status_labels=STATUS_LABELS,
            procedure_labels=PROCEDURE_LABELS,
            may_manage=self.can("tenders.manage"),
        )


class TenderNew(BuyerView):
    action = "tenders.manage"

    def get(self):
        return render_template("bids/tenders/new.html", org=self.org, form=TenderForm())

    def post(self):
        form = TenderForm()
        if form.validate_on_submit():
            data = ops.TenderData(
                title=form.title.data or "",
                procedure=Procedure(form.procedure.data),
                description=form.description.data or "",
                estimated_value=form.estimated_value.amount,
                questions_deadline=form.questions_deadline,
                submission_deadline=form.submission_deadline,
                standstill_days=form.standstill_days.data,
                price_after_quality=form.price_after_quality.data,
                anonymous_evaluation=form.anonymous_evaluation.data,
                show_bid_count=form.show_bid_count.data,
            )
            try:
                tender = ops.create(actor=current_user, buyer=self.org, data=data)
            except ops.TenderError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "De aanbesteding is opgeslagen als concept. Voeg percelen en "
                        "gunningscriteria toe en publiceer haar dan."
                    ),
                    "success",
                )
                return redirect(
                    url_for("tenders.detail", org_slug=self.org.slug, tender_id=tender.id)
                )
        return render_template("bids/tenders/new.html", org=self.org, form=form)


class TenderDetail(BuyerView):
    action = "tenders.view"

    def load(self, tender_id: int) -> None:
        self.tender = ops.get_tender(tender_id)  # scoped: another buyer's tender is None
        if self.tender is None:
            abort(404)

    def get(self, tender_id: int):
        return self.render()

    def redirect_back(self):
        return redirect(url_for("tenders.detail", org_slug=self.org.slug, tender_id=self.tender.id))

    def render(self, **submitted: FlaskForm):
        """The page; ``submitted`` holds the form that was sent, with its errors and values."""
        tender, may_manage = self.tender, self.can("tenders.manage")
        draft = tender.status == TenderStatus.DRAFT
        forms = {
            "lot_form": LotForm(prefix="lot", formdata=None),
            "criterion_form": CriterionForm(prefix="criterion", formdata=None),
            "requirement_form": RequirementForm(prefix="requirement", formdata=None),
            "publish_form": PublishForm(prefix="publish", formdata=None),
            "deadline_form": DeadlineForm(prefix="deadline", formdata=None),
            "cancel_form": CancelForm(prefix="cancel", formdata=None),
        }
        forms.update(submitted)
        shown = {
            "lot_form": may_manage and draft,
            "criterion_form": may_manage and draft,
            "requirement_form": may_manage and draft,
            "publish_form": may_manage and draft,
            "deadline_form": may_manage and ops.accepts_bids(tender),
            "cancel_form": may_manage
            and tender.status not in (TenderStatus.AWARDED, TenderStatus.CANCELLED),
        }
        # A refusal for a form the page no longer shows (the tender changed meanwhile).
        problems = [e for name, form in submitted.items() if not shown[name] for e in _errors(form)]
        weight_sum = sum((c.weight for c in tender.criteria), Decimal(0))
        return render_template(
            "bids/tenders/detail.html",
            org=self.org,
            tender=tender,
            status_labels=STATUS_LABELS,
            procedure_labels=PROCEDURE_LABELS,
            lot_kind_labels=LOT_KIND_LABELS,
            criterion_kind_labels=CRITERION_KIND_LABELS,
            budget_total=sum((lot.budget for lot in tender.lots), Decimal(0)),
            weight_sum=weight_sum,
            weights_complete=weight_sum == 100,
            percent=percent,
            shown=shown,
            problems=problems,
            may_manage=may_manage,
            challenge_id=challenges.challenge_of_tender(tender.id),
            **forms,
        )


class TenderAddLot(TenderDetail):
    action = "tenders.manage"

    def post(self, tender_id: int):
        form = LotForm(prefix="lot")
        if form.validate_on_submit():
            try:
                lot = ops.add_lot(
                    actor=current_user,
                    buyer=self.org,
                    tender=self.tender,
                    title=form.title.data or "",
                    kind=LotKind(form.kind.data),
                    budget=form.budget.amount,
                    reserved_share=form.reserved_share.value or Decimal(0),
                    area=form.area.data or "",
                    description=form.description.data or "",
                )
            except ops.TenderError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "Perceel %(number)d is toegevoegd: %(title)s.",
                        number=lot.number,
                        title=lot.title,
                    ),
                    "success",
                )
                return self.redirect_back()
        return self.render(lot_form=form)


class TenderAddCriterion(TenderDetail):
    action = "tenders.manage"

    def post(self, tender_id: int):
        form = CriterionForm(prefix="criterion")
        if form.validate_on_submit():
            try:
                criterion = ops.add_criterion(
                    actor=current_user,
                    buyer=self.org,
                    tender=self.tender,
                    title=form.title.data or "",
                    kind=CriterionKind(form.kind.data),
                    weight=form.weight.value,
                    description=form.description.data or "",
                )
            except ops.TenderError as exc:
                attach(form, exc)
            else:
                flash(_("Het criterium %(title)s is toegevoegd.", title=criterion.title), "success")
                return self.redirect_back()
        return self.render(criterion_form=form)


class TenderAddRequirement(TenderDetail):
    action = "tenders.manage"

    def post(self, tender_id: int):
        form = RequirementForm(prefix="requirement")
        if form.validate_on_submit():
            try:
                requirement = ops.add_requirement(
                    actor=current_user,
                    buyer=self.org,
                    tender=self.tender,
                    title=form.title.data or "",
                    description=form.description.data or "",
                    equivalent=form.equivalent.data or "",
                )
            except ops.TenderError as exc:
                attach(form, exc)
            else:
                flash(_("De eis %(title)s is toegevoegd.", title=requirement.title), "success")
                return self.redirect_back()
        return self.render(requirement_form=form)


class TenderPublish(TenderDetail):
    action = "tenders.manage"

    def post(self, tender_id: int):
        form = PublishForm(prefix="publish")
        if form.validate_on_submit():
            try:
                ops.publish(actor=current_user, buyer=self.org, tender=self.tender)
            except ops.TenderError as exc:
                # The fields it may name (weights, deadlines) are not on this form: the
                # message says what to change, above the button.
                form.form_errors.append(str(exc))
            else:
                flash(_("De aanbesteding is gepubliceerd."), "success")
                return self.redirect_back()
        return self.render(publish_form=form)


class TenderChangeDeadline(TenderDetail):
    action = "tenders.manage"

    def post(self, tender_id: int):
        """A later deadline is published as a correction: every interested party hears of
        it, and bids already submitted must be re-confirmed."""
        form = DeadlineForm(prefix="deadline")
        if form.validate_on_submit():
            refusal = publish_correction(
                self, reason=form.reason.data or "", deadline=form.submission_deadline
            )
            if refusal is None:
                return self.redirect_back()
            attach(form, refusal)
        return self.render(deadline_form=form)


class TenderCancel(TenderDetail):
    action = "tenders.manage"

    def post(self, tender_id: int):
        form = CancelForm(prefix="cancel")
        if form.validate_on_submit():
            try:
                ops.cancel(
                    actor=current_user,
                    buyer=self.org,
                    tender=self.tender,
                    reason=form.reason.data or "",
                )
            except ops.TenderError as exc:
                attach(form, exc)
            else:
                flash(_("De aanbesteding is ingetrokken."), "success")
                return self.redirect_back()
        return self.render(cancel_form=form)


_rule = "/<org_slug>/tenders"
_one = f"{_rule}/<int:tender_id>"
bp.add_url_rule(_rule, view_func=TenderList.as_view("list"))
bp.add_url_rule(f"{_rule}/new", view_func=TenderNew.as_view("new"))
bp.add_url_rule(_one, view_func=TenderDetail.as_view("detail"))
for _path, _view, _name in (
    ("lots", TenderAddLot, "add_lot"),
    ("criteria", TenderAddCriterion, "add_criterion"),
    ("requirements", TenderAddRequirement, "add_requirement"),
    ("publish", TenderPublish, "publish"),
    ("deadline", TenderChangeDeadline, "change_deadline"),
    ("cancel", TenderCancel, "cancel"),
):
    bp.add_url_rule(f"{_one}/{_path}", view_func=_view.as_view(_name), methods=["POST"])
