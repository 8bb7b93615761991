"""Volunteer pages: who volunteers for what and when (names only: volunteers see this
page too), and making a member a volunteer."""

from __future__ import annotations

from math import ceil

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from koepel.platform.extensions import db
from koepel.platform.timeutil import to_local, utcnow
from koepel.tenants import volunteers as ops
from koepel.tenants.models import Member, VolunteerProfile
from koepel.tenants.views.base import CoopView
from koepel.tenants.views.service_forms import (
    DAY_LABELS,
    SKILL_LABELS,
    VolunteerForm,
    availability_summary,
)

bp = Blueprint("volunteers", __name__)


PAGE_SIZE = 50


class VolunteerList(CoopView):
    action = "volunteers.view"

    def get(self):
        stmt = (
            select(VolunteerProfile)
            .join(VolunteerProfile.member)
            .where(
                VolunteerProfile.active.is_(True),
                Member.left_on.is_(None),
                Member.erased_at.is_(None),
            )
        )
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        pages = max(1, ceil(total / PAGE_SIZE))
        page = max(1, min(request.args.get("page", 1, type=int) or 1, pages))
        # contains_eager: the member comes with the join, one query however many rows.
        profiles = db.session.scalars(
            stmt.options(contains_eager(VolunteerProfile.member))
            .order_by(Member.last_name, Member.first_name, Member.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
        today = to_local(utcnow()).date()
        # Only what a volunteer may see of a colleague: name, skills, VOG yes/no, when.
        rows = [
            {
                "member_id": profile.member_id,
                "name": profile.member.name,
                "skills": [SKILL_LABELS[s] for s in profile.skills if s in SKILL_LABELS],
                "vog_valid": ops.vog_valid(profile, today),
                "availability": availability_summary(profile.availability),
            }
            for profile in profiles
        ]
        return render_template(
            "tenants/volunteers/list.html",
            org=self.org,
            rows=rows,
            may_manage=self.can("volunteers.manage"),
            page=page,
            pages=pages,
            total=total,
        )


class VolunteerEdit(CoopView):
    action = "volunteers.manage"

    def load(self, member_id: int) -> None:
        self.member = self.get_or_404(Member, member_id)
        self.profile = db.session.scalar(
            select(VolunteerProfile).where(VolunteerProfile.member_id == self.member.id)
        )

    def render(self, form: VolunteerForm):
        return render_template(
            "tenants/volunteers/form.html",
            org=self.org,
            form=form,
            member=self.member,
            profile=self.profile,
            day_names=list(DAY_LABELS.values()),  # rows of the availability grid
        )

    def get(self, member_id: int):
        if self.profile is None:
            return self.render(VolunteerForm())
        return self.render(VolunteerForm(obj=self.profile))

    def post(self, member_id: int):
        form = VolunteerForm()
        if form.validate_on_submit():
            created = self.profile is None
            try:
                ops.save(
                    actor=current_user,
                    org=self.org,
                    member=self.member,
                    skills=form.skills.data or [],
                    availability=form.availability.data or [],
                    vog_date=form.vog_date.data,
                    active=form.active.data,
                )
            except ops.VolunteerError as exc:
                target = getattr(form, exc.field) if exc.field else None
                if target is not None:
                    target.errors.append(str(exc))
                else:
                    form.form_errors.append(str(exc))
            else:
                if created:
                    message = _("%(name)s is nu vrijwilliger.", name=self.member.name)
                else:
                    message = _("De gegevens van %(name)s zijn opgeslagen.", name=self.member.name)
                flash(message, "success")
                return redirect(url_for("volunteers.list", org_slug=self.org.slug))
        return self.render(form)


bp.add_url_rule("/<org_slug>/volunteers", view_func=VolunteerList.as_view("list"))
bp.add_url_rule(
    "/<org_slug>/members/<int:member_id>/volunteer", view_func=VolunteerEdit.as_view("edit")
)
