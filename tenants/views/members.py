"""Member pages: list (search, filter, pages), register, view, edit, end, fees, export
of one member's data (AVG) and erasure."""

from __future__ import annotations

import json
from math import ceil

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.models import OrgRole, User
from koepel.platform.money import MoneyParseError, parse_money
from koepel.platform.timeutil import utcnow
from koepel.tenants import help as help_ops
from koepel.tenants import members as ops
from koepel.tenants.forms import EndMembershipForm, FeeForm, MemberForm, MemberSearchForm
from koepel.tenants.models import CooperativeProfile, Member, MembershipFee, VolunteerProfile
from koepel.tenants.views.base import CoopView

bp = Blueprint("members", __name__)
PAGE_SIZE = 25


def member_query(q: str, status: str):
    stmt = select(Member)
    if status == "current":
        stmt = stmt.where(Member.left_on.is_(None))
    elif status == "left":
        stmt = stmt.where(Member.left_on.is_not(None))
    q = q.strip().lower()
    if q:
        conditions = [Member.search_name.contains(q, autoescape=True)]
        if q.isdigit():
            conditions += [Member.number == int(q), Member.postcode_digits == q[:4]]
        stmt = stmt.where(or_(*conditions))
    return stmt


class MemberList(CoopView):
    action = "members.view"

    def get(self):
        form = MemberSearchForm(request.args)
        form.validate()
        q, status = form.q.data or "", form.status.data or "current"
        if status not in ("current", "left", "all"):
            status = "current"
        page = max(1, min(request.args.get("page", 1, type=int) or 1, 100_000))
        stmt = member_query(q, status)
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        members = db.session.scalars(
            stmt.options(selectinload(Member.household))
            .order_by(Member.last_name, Member.first_name, Member.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
        return render_template(
            "tenants/members/list.html",
            org=self.org,
            form=form,
            members=members,
            page=page,
            pages=max(1, ceil(total / PAGE_SIZE)),
            total=total,
            q=q,
            status=status,
            may_manage=self.can("members.manage"),
            may_export=self.can("members.export"),
        )


def _data(form: MemberForm) -> ops.MemberData:
    return ops.MemberData(
        first_name=form.first_name.data or "",
        last_name=form.last_name.data or "",
        joined_on=form.joined_on.data,
        street=form.street.data or "",
        house_number=form.house_number.data or "",
        postcode=form.postcode.data or "",
        city=form.city.data or "",
        date_of_birth=form.date_of_birth.data,
        phone=form.phone.data or "",
        email=form.email.data or "",
        consent_contact=form.consent_contact.data,
        consent_newsletter=form.consent_newsletter.data,
        consent_photos=form.consent_photos.data,
    )


class MemberNew(CoopView):
    action = "members.manage"

    def get(self):
        return render_template(
            "tenants/members/form.html", org=self.org, form=MemberForm(), member=None
        )

    def post(self):
        form = MemberForm()
        if form.validate_on_submit():
            try:
                member = ops.register(actor=current_user, org=self.org, data=_data(form))
            except ops.MemberError as exc:
                getattr(form, exc.field or "last_name").errors.append(str(exc))
            else:
                flash(
                    _(
                        "%(name)s is ingeschreven als lid %(number)d.",
                        name=member.name,
                        number=member.number,
                    ),
                    "success",
                )
                return redirect(
                    url_for("members.detail", org_slug=self.org.slug, member_id=member.id)
                )
        return render_template("tenants/members/form.html", org=self.org, form=form, member=None)


class MemberDetail(CoopView):
    action = "members.view"

    def load(self, member_id: int) -> None:
        self.member = self.get_or_404(Member, member_id)

    def get(self, member_id: int):
        return self.render()

    def render(self, end_form=None, fee_form=None, status: int = 200):
        fees = db.session.scalars(
            select(MembershipFee)
            .where(MembershipFee.member_id == self.member.id)
            .order_by(MembershipFee.year.desc())
        ).all()
        volunteer = db.session.scalar(
            select(VolunteerProfile).where(VolunteerProfile.member_id == self.member.id)
        )
        # Case 7 (reciprocity): hours given this month against the agreed hours, if used.
        agreed = db.session.scalar(select(CooperativeProfile.reciprocity_hours_per_month))
        balance = (
            help_ops.reciprocity_balance(
                volunteer=volunteer, hours_per_month=agreed, month=utcnow().date()
            )
            if agreed and self.member.is_current
            else None
        )
        return render_template(
            "tenants/members/detail.html",
            org=self.org,
            member=self.member,
            fees=fees,
            volunteer=volunteer,
            end_form=end_form or EndMembershipForm(prefix="end"),
            fee_form=fee_form or FeeForm(prefix="fee"),
            may_manage=self.can("members.manage"),
            may_export=self.can("members.export"),
            may_erase=self.can("members.erase"),
            may_volunteer=self.can("volunteers.manage"),
            balance=balance,
            accounts=self.accounts() if self.can("members.manage") else [],
            linked=db.session.get(User, self.member.user_id) if self.member.user_id else None,
        ), status

    def accounts(self) -> list:
        """People with a role in this cooperative, for linking a member to their account."""
        return db.session.scalars(
            select(User)
            .join(OrgRole, OrgRole.user_id == User.id)
            .where(OrgRole.organisation_id == self.org.id)
            .distinct()
            .order_by(User.display_name)
        ).all()


class MemberAccount(MemberDetail):
    action = "members.manage"

    def post(self, member_id: int):
        user_id = request.form.get("user_id", type=int)
        user = db.session.get(User, user_id) if user_id else None
        try:
            ops.link_account(actor=current_user, org=self.org, member=self.member, user=user)
        except ops.MemberError as exc:
            flash(str(exc), "error")
            return self.render(status=400)
        flash(
            _("Het account is gekoppeld.") if user else _("Het account is losgekoppeld."), "success"
        )
        return redirect(url_for("members.detail", org_slug=self.org.slug, member_id=member_id))


class MemberEdit(CoopView):
    action = "members.manage"

    def load(self, member_id: int) -> None:
        self.member = self.get_or_404(Member, member_id)

    def get(self, member_id: int):
        member, household = self.member, self.member.household
        form = MemberForm(obj=member)
        if household is not None and not form.is_submitted():
            form.street.data, form.house_number.data = household.street, household.house_number
            form.postcode.data, form.city.data = household.postcode, household.city
        return render_template("tenants/members/form.html", org=self.org, form=form, member=member)

    def post(self, member_id: int):
        form = MemberForm()
        if form.validate_on_submit():
            try:
                ops.update(actor=current_user, org=self.org, member=self.member, data=_data(form))
            except ops.MemberError as exc:
                target = getattr(form, exc.field) if exc.field else None
                if target is not None:
                    target.errors.append(str(exc))
                else:
                    form.form_errors.append(str(exc))
            else:
                flash(_("De gegevens zijn opgeslagen."), "success")
                return redirect(
                    url_for("members.detail", org_slug=self.org.slug, member_id=member_id)
                )
        return render_template(
            "tenants/members/form.html", org=self.org, form=form, member=self.member
        )


class MemberEnd(MemberDetail):
    action = "members.manage"

    def post(self, member_id: int):
        form = EndMembershipForm(prefix="end")
        if form.validate_on_submit():
            try:
                ops.end_membership(
                    actor=current_user, org=self.org, member=self.member, on=form.left_on.data
                )
            except ops.MemberError as exc:
                form.left_on.errors.append(str(exc))
            else:
                flash(_("Het lidmaatschap is beëindigd."), "success")
                return redirect(
                    url_for("members.detail", org_slug=self.org.slug, member_id=member_id)
                )
        return self.render(end_form=form)


class MemberFee(MemberDetail):
    action = "members.manage"

    def post(self, member_id: int):
        form = FeeForm(prefix="fee")
        if form.validate_on_submit():
            try:
                amount = parse_money(form.amount.data, current_language())
                ops.set_fee(
                    actor=current_user,
                    org=self.org,
                    member=self.member,
                    year=form.year.data,
                    amount=amount,
                    paid_on=utcnow().date() if form.paid.data else None,
                )
            except (MoneyParseError, ops.MemberError) as exc:
                form.amount.errors.append(str(exc))
            else:
                flash(_("De contributie is opgeslagen."), "success")
                return redirect(
                    url_for("members.detail", org_slug=self.org.slug, member_id=member_id)
                )
        return self.render(fee_form=form)


class MemberExport(MemberDetail):
    """All data about one member in one file (AVG right of access)."""

    action = "members.export"

    def get(self, member_id: int):
        body = json.dumps(ops.personal_data(self.member), ensure_ascii=False, indent=2)
        filename = f"lid-{self.member.number}.json"
        return Response(
            body,
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


class MemberErase(MemberDetail):
    action = "members.erase"

    def post(self, member_id: int):
        if request.form.get("confirm") != "wissen":
            flash(_("Typ het woord wissen om te bevestigen."), "error")
            return self.render(status=400)
        ops.erase(actor=current_user, org=self.org, member=self.member)
        flash(
            _("De persoonsgegevens van lid %(number)d zijn gewist.", number=self.member.number),
            "success",
        )
        return redirect(url_for("members.list", org_slug=self.org.slug))


_rule = "/<org_slug>/members"
bp.add_url_rule(_rule, view_func=MemberList.as_view("list"))
bp.add_url_rule(f"{_rule}/new", view_func=MemberNew.as_view("new"))
bp.add_url_rule(f"{_rule}/<int:member_id>", view_func=MemberDetail.as_view("detail"))
bp.add_url_rule(f"{_rule}/<int:member_id>/edit", view_func=MemberEdit.as_view("edit"))
bp.add_url_rule(
    f"{_rule}/<int:member_id>/end", view_func=MemberEnd.as_view("end"), methods=["POST"]
)
bp.add_url_rule(
    f"{_rule}/<int:member_id>/fees", view_func=MemberFee.as_view("fee"), methods=["POST"]
)
bp.add_url_rule(f"{_rule}/<int:member_id>/export", view_func=MemberExport.as_view("export"))
bp.add_url_rule(
    f"{_rule}/<int:member_id>/account", view_func=MemberAccount.as_view("account"), methods=["POST"]
)
bp.add_url_rule(
    f"{_rule}/<int:member_id>/erase", view_func=MemberErase.as_view("erase"), methods=["POST"]
)
