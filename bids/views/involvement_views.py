"""Duty to involve: a municipality (or region) invites the local initiatives of an area to
take part in a planned tender or procurement table and sees who responded; an invited
cooperative or umbrella sees its invitations and answers them. Rules live in
``koepel.bids.involvement``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from koepel.bids import involvement as ops
from koepel.bids.models import Tender
from koepel.bids.models.challenges import Involvement, InvolvementAnswer
from koepel.bids.views.challenge_views import attach
from koepel.platform import policy
from koepel.platform.extensions import db
from koepel.platform.models import Organisation
from koepel.platform.web import OrgView

bp = Blueprint("involvement", __name__)

ANSWER_LABELS = {
    InvolvementAnswer.BIDDER: _l("Wij doen mee als inschrijver"),
    InvolvementAnswer.ADVISER: _l("Wij doen mee als adviseur aan tafel"),
    InvolvementAnswer.DECLINED: _l("Wij doen niet mee"),
}


class InvolvementForm(FlaskForm):
    title = StringField(
        _l("Waarvoor nodigt u uit?"),
        description=_l("Bijvoorbeeld: Inkooptafel dagbesteding en mantelzorg Kempen."),
        validators=[DataRequired(_l("Geef de uitnodiging een titel.")), Length(max=300)],
    )
    area = StringField(
        _l("Gebied"),
        description=_l("De wijken, dorpen of kernen waar het om gaat."),
        validators=[Optional(), Length(max=500)],
    )
    description = TextAreaField(
        _l("Toelichting"),
        description=_l("Wat gaat u inkopen, wanneer zit de tafel, wat vraagt u van initiatieven?"),
        validators=[Optional(), Length(max=20_000)],
    )
    tender_id = SelectField(_l("Hoort bij aanbesteding"), validators=[Optional()])


class RespondForm(FlaskForm):
    answer = RadioField(
        _l("Uw antwoord"),
        choices=[SelectChoice(a.value, label) for a, label in ANSWER_LABELS.items()],
        validators=[DataRequired(_l("Kies een antwoord."))],
    )
    note = TextAreaField(
        _l("Toelichting"),
        description=_l("Bijvoorbeeld wie namens u aan tafel zit, of waarom u niet meedoet."),
        validators=[Optional(), Length(max=5000)],
    )


def _status(form: FlaskForm) -> int:
    return 400 if form.errors.get("csrf_token") else 200


# -- the municipality's pages ---------------------------------------------------------------
class InviterView(OrgView):
    action = "involvement.manage"
    kinds = ops.INVITER_KINDS


class InvolvementList(InviterView):
    def get(self):
        rows = db.session.scalars(
            select(Involvement).order_by(Involvement.created_at.desc(), Involvement.id.desc())
        ).all()
        return render_template("bids/involvement/list.html", org=self.org, rows=rows)


class NewInvolvement(InviterView):
    def form(self, posted: bool = False) -> InvolvementForm:
        form = InvolvementForm(**({} if posted else {"formdata": None}))
        form.tender_id.choices = [SelectChoice("", _("Nog geen aanbesteding"))] + [
            SelectChoice(str(t.id), t.title) for t in ops.own_tenders()
        ]
        return form

    def render(self, form: InvolvementForm):
        return render_template("bids/involvement/new.html", org=self.org, form=form)

    def get(self):
        return self.render(self.form())

    def post(self):
        form = self.form(posted=True)
        if not form.validate_on_submit():
            return self.render(form), _status(form)
        try:
            row = ops.create(
                actor=current_user,
                municipality=self.org,
                title=form.title.data,
                description=form.description.data or "",
                area=form.area.data or "",
                tender_id=int(form.tender_id.data) if form.tender_id.data else None,
            )
        except ops.InvolvementError as exc:
            attach(form, exc)
            return self.render(form)
        flash(_("De uitnodiging is gemaakt. Kies nu wie u uitnodigt."), "success")
        return redirect(
            url_for("involvement.detail", org_slug=self.org.slug, involvement_id=row.id)
        )


class InvolvementPage(InviterView):
    """Who is invited and how they answered; finding and inviting more."""

    def load(self, involvement_id: int) -> None:
        self.involvement = ops.get(involvement_id)  # scoped: another's is not found
        if self.involvement is None:
            abort(404)

    def render(self, problem: str | None = None, chosen: set[int] = frozenset()):
        inv = self.involvement
        invited = {i.organisation_id for i in inv.invitees}
        name = request.args.get("q", "")[:100]
        area_only = request.args.get("area", "1") != "0"
        found = ops.candidates(self.org, name=name, area_only=area_only, skip=invited)
        orgs = {
            o.id: o
            for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(invited)))
        }
        tender = None
        if inv.tender_id:
            tender = db.session.scalar(select(Tender).where(Tender.id == inv.tender_id))
        return render_template(
            "bids/involvement/detail.html",
            org=self.org,
            involvement=inv,
            tender=tender,
            invited=[(i, orgs[i.organisation_id]) for i in inv.invitees],
            responses=ops.responses_to(inv),
            candidates=found,
            name=name,
            area_only=area_only,
            problem=problem,
            chosen=chosen,
            kind_labels=policy.KIND_LABELS,
            answer_labels=ANSWER_LABELS,
        )

    def get(self, involvement_id: int):
        return self.render()


class Invite(InvolvementPage):
    def post(self, involvement_id: int):
        form = FlaskForm()
        ids = {int(v) for v in request.form.getlist("organisation") if v.isdigit()}
        if not form.validate_on_submit():
            problem = _("Het formulier was verlopen. Probeer het nog een keer.")
            return self.render(problem=problem, chosen=ids), 400
        chosen = list(
            db.session.scalars(select(Organisation).where(Organisation.id.in_(ids or {0})))
        )
        try:
            rows = ops.invite(
                actor=current_user,
                municipality=self.org,
                involvement=self.involvement,
                organisations=chosen,
            )
        except ops.InvolvementError as exc:
            return self.render(problem=str(exc), chosen=ids)
        flash(
            ngettext(
                "%(num)d organisatie is uitgenodigd en krijgt bericht.",
                "%(num)d organisaties zijn uitgenodigd en krijgen bericht.",
                len(rows),
            ),
            "success",
        )
        return redirect(
            url_for("involvement.detail", org_slug=self.org.slug, involvement_id=involvement_id)
        )


# -- the invited organisation's pages -------------------------------------------------------
class InviteeView(OrgView):
    action = "bids.view"
    kinds = ops.INVITEE_KINDS


class Invitations(InviteeView):
    def render(self, submitted: tuple[int, RespondForm] | None = None):
        rows = ops.invitations_for(self.org)
        forms = {}
        for row in rows:
            data = (
                {"answer": row.response.answer.value, "note": row.response.note}
                if row.response
                else {}
            )
            forms[row.invitee_id] = RespondForm(
                prefix=f"r{row.invitee_id}", formdata=None, data=data
            )
        if submitted is not None:
            forms[submitted[0]] = submitted[1]
        return render_template(
            "bids/involvement/invitations.html",
            org=self.org,
            rows=rows,
            forms=forms,
            may_respond=self.can("bids.manage"),
            answer_labels=ANSWER_LABELS,
        )

    def get(self):
        return self.render()


class Respond(Invitations):
    action = "bids.manage"

    def load(self, invitee_id: int) -> None:
        # Only an invitation addressed to the acting organisation; anything else is 404.
        if invitee_id not in {row.invitee_id for row in ops.invitations_for(self.org)}:
            abort(404)

    def post(self, invitee_id: int):
        form = RespondForm(prefix=f"r{invitee_id}")
        if form.validate_on_submit():
            try:
                ops.respond(
                    actor=current_user,
                    organisation=self.org,
                    invitee_id=invitee_id,
                    answer=InvolvementAnswer(form.answer.data),
                    note=form.note.data or "",
                )
            except ops.InvolvementError as exc:
                attach(form, exc)
            else:
                flash(_("Uw antwoord is opgeslagen. De gemeente ziet het."), "success")
                return redirect(url_for("involvement.invitations", org_slug=self.org.slug))
        return self.render(submitted=(invitee_id, form)), _status(form)


_own = "/<org_slug>/involvement"
bp.add_url_rule(_own, view_func=InvolvementList.as_view("list"))
bp.add_url_rule(f"{_own}/new", view_func=NewInvolvement.as_view("new"), methods=["GET", "POST"])
bp.add_url_rule(f"{_own}/<int:involvement_id>", view_func=InvolvementPage.as_view("detail"))
bp.add_url_rule(
    f"{_own}/<int:involvement_id>/invite", view_func=Invite.as_view("invite"), methods=["POST"]
)
_invitations = "/<org_slug>/invitations-to-take-part"
bp.add_url_rule(_invitations, view_func=Invitations.as_view("invitations"))
bp.add_url_rule(
    f"{_invitations}/<int:invitee_id>/respond",
    view_func=Respond.as_view("respond"),
    methods=["POST"],
)
