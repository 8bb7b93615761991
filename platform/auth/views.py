"""Login, logout, password reset, invitation acceptance and the user's profile."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from koepel.platform import policy
from koepel.platform.auth import operations as ops
from koepel.platform.auth import reset
from koepel.platform.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    ResetRequestForm,
)
from koepel.platform.auth.passwords import verify_password
from koepel.platform.extensions import db
from koepel.platform.mail import queue_email
from koepel.platform.models import Organisation
from koepel.platform.timeutil import utcnow
from koepel.platform.web import commit

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: an open redirect would make phishing links look like ours."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user) -> str:
    orgs = policy.organisations_of(user)
    if orgs:
        return url_for("org.home", org_slug=orgs[0].slug)
    return url_for("auth.profile")


def _client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or home_for(current_user))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        cfg = current_app.config
        outcome = ops.authenticate(
            email=form.email.data,
            password=form.password.data,
            address=_client_address(),
            limit=cfg["LOGIN_THROTTLE_ATTEMPTS"],
            window=cfg["LOGIN_THROTTLE_WINDOW"],
        )
        commit()
        if outcome.wait is not None:
            minutes = max(1, int(outcome.wait.total_seconds() + 59) // 60)
            form.form_errors.append(
                _(
                    "Er is te vaak een verkeerd wachtwoord gebruikt. "
                    "Probeer het over %(minutes)d minuten opnieuw.",
                    minutes=minutes,
                )
            )
            status = 429
        elif outcome.user is not None:
            lang = session.get("lang")
            session.clear()  # no session fixation
            if lang:
                session["lang"] = lang
            login_user(outcome.user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or home_for(outcome.user))
        else:
            form.form_errors.append(_("Het e-mailadres of het wachtwoord klopt niet."))
    elif request.method == "POST":
        status = 400 if form.errors.get("csrf_token") else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("main.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = ops.find_user(form.email.data)
        if user is not None and user.is_active:
            link = url_for("auth.reset_password", token=reset.make_token(user), _external=True)
            queue_email(
                to=user.email,
                subject=_("Nieuw wachtwoord voor Koepel"),
                body=render_template("auth/mail/reset.txt", user=user, link=link),
            )
            commit()
        # The same answer whether or not the address has an account.
        flash(
            _(
                "Als dit e-mailadres bij ons bekend is, krijgt u een e-mail met een link. "
                "De link werkt %(hours)d uur.",
                hours=current_app.config["RESET_TOKEN_MAX_AGE"] // 3600,
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = reset.user_for_token(token)
    except reset.ResetLinkError as exc:
        message = (
            _("Deze link is verlopen. Vraag een nieuwe link aan.")
            if exc.expired
            else _("Deze link werkt niet (meer). Vraag een nieuwe link aan.")
        )
        flash(message, "error")
        return redirect(url_for("auth.reset_request"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            ops.set_password(actor=user, user=user, password=form.password.data)
        except ops.OperationError as exc:
            form.password.errors.append(str(exc))
        else:
            commit()
            flash(_("Uw nieuwe wachtwoord is opgeslagen. U kunt nu inloggen."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = policy.invitation_by_token_hash(ops.token_digest(token))
    if invitation is None:
        abort(404)
    org = db.session.get(Organisation, invitation.tenant_id)
    view = {
        "org": org,
        "email": invitation.email,
        "role_label": policy.ROLE_LABELS[invitation.role],
    }
    problem = None
    if invitation.accepted_at or invitation.revoked_at:
        problem = _("Deze uitnodiging is al gebruikt.")
    elif invitation.expires_at <= utcnow():
        problem = _("Deze uitnodiging is verlopen. Vraag om een nieuwe.")
    existing = ops.find_user(invitation.email)
    form = AcceptInvitationForm() if existing is None and problem is None else None
    if request.method == "POST" and problem is None:
        if existing is not None:
            # A known address must log in as that person first, so nobody takes a role
            # for someone else's account by holding their link.
            if not current_user.is_authenticated or current_user.id != existing.id:
                return redirect(url_for("auth.login", next=request.path))
            user = existing
        elif form.validate_on_submit():
            user = ops.create_user(
                actor=None,
                email=invitation.email,
                display_name=form.display_name.data,
                password=form.password.data,
            )
        else:
            user = None
        if user is not None:
            try:
                ops.accept_invitation(invitation=invitation, user=user)
            except ops.OperationError as exc:  # lost a race with another acceptance
                db.session.rollback()
                problem, form = str(exc), None
            else:
                commit()
                if not current_user.is_authenticated:
                    login_user(user)
                flash(_("Welkom bij %(org)s.", org=view["org"].name), "success")
                return redirect(url_for("org.home", org_slug=view["org"].slug))
    return render_template(
        "auth/accept_invitation.html", form=form, existing=existing, problem=problem, **view
    )


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user, prefix="profile")
    password_form = ChangePasswordForm(prefix="pw")
    if request.method == "POST" and "profile-display_name" in request.form:
        if form.validate_on_submit():
            current_user.display_name = form.display_name.data.strip()
            current_user.locale = form.locale.data
            session["lang"] = form.locale.data
            commit()
            flash(_("Uw gegevens zijn opgeslagen."), "success")
            return redirect(url_for("auth.profile"))
    elif request.method == "POST" and password_form.validate_on_submit():
        if not verify_password(current_user.password_hash, password_form.current.data):
            password_form.current.errors.append(_("Uw huidige wachtwoord klopt niet."))
        else:
            user = current_user._get_current_object()  # the real user, not the proxy
            ops.set_password(actor=user, user=user, password=password_form.password.data)
            commit()
            login_user(user)  # keep this session; others end with the new version
            flash(_("Uw nieuwe wachtwoord is opgeslagen."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html",
        form=form,
        password_form=password_form,
        orgs=policy.organisations_of(current_user),
    )
