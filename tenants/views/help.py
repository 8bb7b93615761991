"""Help request pages: the coordinator's list, asking for help, matching a volunteer,
closing and repeating; and logging volunteer hours."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from koepel.platform.extensions import db
from koepel.tenants import help as ops
from koepel.tenants.models import (
    HelpRequest,
    HelpStatus,
    Member,
    Recurrence,
    Service,
    VolunteerProfile,
)
from koepel.tenants.views.base import CoopView
from koepel.tenants.views.help_forms import CancelForm, CompleteForm, HelpRequestForm, HoursForm

bp = Blueprint("help", __name__)

STATUS_FILTERS = {
    "open": (HelpStatus.OPEN, HelpStatus.MATCHED),
    "done": (HelpStatus.DONE,),
    "cancelled": (HelpStatus.CANCELLED,),
}
LIST_LIMIT = 200


class HelpList(CoopView):
    action = "help.view"

    def get(self):
        status = request.args.get("status", "open")
        statuses = STATUS_FILTERS.get(status, STATUS_FILTERS["open"])
        requests = db.session.scalars(
            select(HelpRequest)
            .where(HelpRequest.status.in_(statuses))
            .options(
                selectinload(HelpRequest.member).selectinload(Member.household),
                selectinload(HelpRequest.service),
                selectinload(HelpRequest.volunteer).selectinload(VolunteerProfile.member),
            )
            .order_by(HelpRequest.wanted_on, HelpRequest.id)
            .limit(LIST_LIMIT)
        ).all()
        return render_template(
            "tenants/help/list.html",
            org=self.org,
            requests=requests,
            status=status,
            may_manage=self.can("help.manage"),
            may_log=self.can("hours.log"),
            # Volunteers see what is asked and when, never where someone lives.
            show_personal=self.can("members.view"),
        )


def _service_choices() -> list:
    from wtforms.fields.choices import SelectChoice

    services = db.session.scalars(
        select(Service).where(Service.active.is_(True)).order_by(Service.name)
    )
    return [SelectChoice(s.id, s.name) for s in services]


class HelpNew(CoopView):
    action = "help.manage"

    def _form(self) -> HelpRequestForm:
        form = HelpRequestForm()
        form.service_id.choices = _service_choices()
        return form

    def get(self):
        return render_template("tenants/help/form.html", org=self.org, form=self._form())

    def post(self):
        form = self._form()
        if form.validate_on_submit():
            member = db.session.scalar(
                select(Member).where(Member.number == form.member_number.data)
            )
            service = db.session.scalar(select(Service).where(Service.id == form.service_id.data))
            if member is None:
                form.member_number.errors.append(_("Er is geen lid met dit nummer."))
            elif service is None:
                form.service_id.errors.append(_("Kies een dienst."))
            else:
                try:
                    created = ops.ask(
                        actor=current_user,
                        org=self.org,
                        member=member,
                        service=service,
                        wanted_on=form.wanted_on.data,
                        daypart=form.daypart.data or "",
                        description=form.description.data or "",
                        recurrence=Recurrence(form.recurrence.data),
                    )
                except ops.HelpError as exc:
                    field = getattr(form, exc.field, None) if exc.field else None
                    (field.errors if field is not None else form.form_errors).append(str(exc))
                else:
                    flash(_("De hulpvraag is opgeslagen."), "success")
                    return redirect(
                        url_for("help.detail", org_slug=self.org.slug, request_id=created.id)
                    )
        return render_template("tenants/help/form.html", org=self.org, form=form)


class HelpDetail(CoopView):
    action = "help.view"

    def load(self, request_id: int) -> None:
        self.help_request = self.get_or_404(HelpRequest, request_id)

    def get(self, request_id: int):
        return self.render()

    def render(
        self, complete_form=None, cancel_form=None, problem: str | None = None, status: int = 200
    ):
        may_manage = self.can("help.manage")
        open_ = self.help_request.status in (HelpStatus.OPEN, HelpStatus.MATCHED)
        return render_template(
            "tenants/help/detail.html",
            org=self.org,
            req=self.help_request,
            candidates=ops.candidates(self.help_request) if may_manage and open_ else [],
            complete_form=complete_form or CompleteForm(prefix="done"),
            cancel_form=cancel_form or CancelForm(prefix="cancel"),
            may_manage=may_manage,
            show_personal=self.can("members.view"),
            is_open=open_,
            problem=problem,
        ), status


class HelpAssign(HelpDetail):
    action = "help.manage"

    def post(self, request_id: int):
        volunteer_id = request.form.get("volunteer_id", type=int)
        volunteer = db.session.scalar(
            select(VolunteerProfile).where(VolunteerProfile.id == volunteer_id)
        )
        if volunteer is None:
            return self.render(problem=_("Kies een vrijwilliger uit de lijst."), status=400)
        try:
            ops.assign(
                actor=current_user, org=self.org, request=self.help_request, volunteer=volunteer
            )
        except ops.HelpError as exc:
            return self.render(problem=str(exc), status=400)
        flash(_("%(name)s is gekoppeld.", name=volunteer.member.name), "success")
        return redirect(url_for("help.detail", org_slug=self.org.slug, request_id=request_id))


class HelpComplete(HelpDetail):
    action = "help.manage"

    def post(self, request_id: int):
        form = CompleteForm(prefix="done")
        if form.validate_on_submit():
            try:
                nxt = ops.complete(
                    actor=current_user,
                    org=self.org,
                    request=self.help_request,
                    minutes=form.hours.minutes,
                )
            except ops.HelpError as exc:
                (form.hours.errors if exc.field == "minutes" else form.form_errors).append(str(exc))
            else:
                flash(
                    _("Afgerond.") + (" " + _("De volgende keer staat klaar.") if nxt else ""),
                    "success",
                )
                return redirect(url_for("help.list", org_slug=self.org.slug))
        return self.render(complete_form=form)


class HelpCancel(HelpDetail):
    action = "help.manage"

    def post(self, request_id: int):
        form = CancelForm(prefix="cancel")
        if form.validate_on_submit():
            try:
                ops.cancel(
                    actor=current_user,
                    org=self.org,
                    request=self.help_request,
                    stop_series=form.stop_series.data,
                )
            except ops.HelpError as exc:
                form.form_errors.append(str(exc))
            else:
                flash(_("De hulpvraag is geannuleerd."), "success")
                return redirect(url_for("help.list", org_slug=self.org.slug))
        return self.render(cancel_form=form)


class Hours(CoopView):
    """Log a volunteer's hours: coordinators for anyone, a volunteer for themselves (when
    their account is linked to their member record)."""

    action = "hours.log"

    def _form(self) -> HoursForm:
        from wtforms.fields.choices import SelectChoice

        form = HoursForm()
        stmt = select(VolunteerProfile).join(Member, Member.id == VolunteerProfile.member_id)
        if not self.can("help.manage"):
            stmt = stmt.where(Member.user_id == current_user.id)  # only oneself
        volunteers = db.session.scalars(
            stmt.where(VolunteerProfile.active.is_(True))
            .options(selectinload(VolunteerProfile.member))
            .order_by(Member.last_name, Member.first_name)
        ).all()
        form.volunteer_id.choices = [SelectChoice(v.id, v.member.name) for v in volunteers]
        return form

    def get(self):
        form = self._form()
        return render_template(
            "tenants/help/hours.html",
            org=self.org,
            form=form,
            unlinked=not form.volunteer_id.choices,
        )

    def post(self):
        form = self._form()
        if form.validate_on_submit():
            volunteer = db.session.scalar(
                select(VolunteerProfile).where(VolunteerProfile.id == form.volunteer_id.data)
            )
            if volunteer is None:
                abort(404)
            try:
                ops.log_hours(
                    actor=current_user,
                    org=self.org,
                    volunteer=volunteer,
                    worked_on=form.worked_on.data,
                    minutes=form.hours.minutes,
                    note=form.note.data or "",
                )
            except ops.HelpError as exc:
                getattr(form, "hours" if exc.field == "minutes" else "worked_on").errors.append(
                    str(exc)
                )
            else:
                flash(_("De uren zijn opgeslagen."), "success")
                return redirect(url_for("help.hours", org_slug=self.org.slug))
        return render_template(
            "tenants/help/hours.html",
            org=self.org,
            form=form,
            unlinked=not form.volunteer_id.choices,
        )


_rule = "/<org_slug>/help"
bp.add_url_rule(_rule, view_func=HelpList.as_view("list"))
bp.add_url_rule(f"{_rule}/new", view_func=HelpNew.as_view("new"))
bp.add_url_rule(f"{_rule}/<int:request_id>", view_func=HelpDetail.as_view("detail"))
bp.add_url_rule(
    f"{_rule}/<int:request_id>/assign", view_func=HelpAssign.as_view("assign"), methods=["POST"]
)
bp.add_url_rule(
    f"{_rule}/<int:request_id>/complete",
    view_func=HelpComplete.as_view("complete"),
    methods=["POST"],
)
bp.add_url_rule(
    f"{_rule}/<int:request_id>/cancel", view_func=HelpCancel.as_view("cancel"), methods=["POST"]
)
bp.add_url_rule("/<org_slug>/hours", view_func=Hours.as_view("hours"))
