"""Pages acting for one organisation: home, people and invitations, audit log, job
progress, and the organisation switcher."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from koepel.platform import navigation, policy
from koepel.platform.auth import operations as ops
from koepel.platform.auth.forms import InviteForm
from koepel.platform.extensions import db
from koepel.platform.jobs import status_of
from koepel.platform.mail import queue_email
from koepel.platform.models import AuditEvent, Invitation, JobRun, OrgKind, OrgRole, User
from koepel.platform.timeutil import utcnow
from koepel.platform.web import OrgView

bp = Blueprint("org", __name__)

AUDIT_PAGE_SIZE = 50


@bp.route("/switch")
@login_required
def switch():
    """The organisation switcher in the page header (a GET form, works without script)."""
    slug = request.args.get("org", "")
    if policy.access_org(current_user, slug) is None:
        abort(404)
    return redirect(url_for("org.home", org_slug=slug))


class Home(OrgView):
    action = "org.view"

    def get(self):
        today = utcnow().date()
        members = umbrellas = []
        if self.org.kind == OrgKind.UMBRELLA:
            members = policy.current_umbrella_members(self.org, today)
        if self.org.kind == OrgKind.COOPERATIVE:
            umbrellas = policy.current_umbrellas_of(self.org, today)
        return render_template(
            "org/home.html",
            org=self.org,
            roles=sorted(self.roles),
            members=members,
            umbrellas=umbrellas,
            role_labels=policy.ROLE_LABELS,
            can=self.can,
            links=navigation.links_for(self.org.kind, self.roles),
        )


class People(OrgView):
    action = "org.people.view"
    post_action = "org.people.invite"

    def _form(self) -> InviteForm:
        form = InviteForm()
        form.role.choices = [
            SelectChoice(value, label) for value, label in policy.assignable_roles(self.org.kind)
        ]
        return form

    def _render(self, form: InviteForm, status: int = 200):
        grants = db.session.execute(
            select(OrgRole, User)
            .join(User, User.id == OrgRole.user_id)
            .where(OrgRole.organisation_id == self.org.id)
            .order_by(User.display_name, OrgRole.role)
        ).all()
        pending = db.session.scalars(
            select(Invitation)
            .where(
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc())
        ).all()
        return render_template(
            "org/people.html",
            org=self.org,
            grants=grants,
            pending=pending,
            form=form,
            role_labels=policy.ROLE_LABELS,
            may_invite=self.can("org.people.invite"),
        ), status

    def get(self):
        return self._render(self._form())

    def post(self):
        form = self._form()
        if not form.validate_on_submit():
            return self._render(form, 400 if form.errors.get("csrf_token") else 200)
        try:
            invitation, token = ops.invite(
                actor=current_user,
                org=self.org,
                email=form.email.data,
                role=form.role.data,
                valid_for=current_app.config["INVITATION_VALID_FOR"],
            )
        except ops.OperationError as exc:
            form.email.errors.append(str(exc))
            return self._render(form)
        link = url_for("auth.accept_invitation", token=token, _external=True)
        queue_email(
            to=invitation.email,
            subject=_("Uitnodiging voor %(org)s op Koepel", org=self.org.name),
            body=render_template(
                "org/mail/invitation.txt",
                org=self.org,
                inviter=current_user,
                link=link,
                role_label=policy.ROLE_LABELS[invitation.role],
                expires_at=invitation.expires_at,
            ),
            tenant_id=self.org.id,
        )
        flash(_("De uitnodiging is verstuurd naar %(email)s.", email=invitation.email), "success")
        return redirect(url_for("org.people", org_slug=self.org.slug))


class AuditLog(OrgView):
    action = "org.audit.view"

    def get(self):
        page = request.args.get("page", 1, type=int) or 1
        page = max(1, min(page, 10_000))
        # Tenancy scoping limits this to the acting organisation's own events.
        stmt = select(AuditEvent).order_by(AuditEvent.seq.desc())
        events = db.session.scalars(
            stmt.limit(AUDIT_PAGE_SIZE + 1).offset((page - 1) * AUDIT_PAGE_SIZE)
        ).all()
        has_next = len(events) > AUDIT_PAGE_SIZE
        return render_template(
            "org/audit.html",
            org=self.org,
            events=events[:AUDIT_PAGE_SIZE],
            page=page,
            has_next=has_next,
        )


class JobStatus(OrgView):
    """A job's progress: HTML with a progress bar, or JSON for the page's poller."""

    action = "org.jobs.view"

    def load(self, job_id: str) -> None:
        self.run = db.session.scalar(select(JobRun).where(JobRun.id == job_id))
        if self.run is None:
            abort(404)

    def get(self, job_id: str):
        data = status_of(self.run)
        if (
            request.accept_mimetypes.best == "application/json"
            or request.args.get("format") == "json"
        ):
            return jsonify(data)
        return render_template("org/job.html", org=self.org, run=self.run, data=data)


bp.add_url_rule("/<org_slug>/", view_func=Home.as_view("home"))
bp.add_url_rule("/<org_slug>/people", view_func=People.as_view("people"))
bp.add_url_rule("/<org_slug>/audit", view_func=AuditLog.as_view("audit"))
bp.add_url_rule("/<org_slug>/jobs/<job_id>", view_func=JobStatus.as_view("job"))
