"""Changes to accounts, roles, invitations and tokens.

Each function takes the acting user and organisation explicitly, records an audit
event, and only flushes: the caller's unit of work commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from koepel.platform import audit, policy
from koepel.platform.auth import throttle
from koepel.platform.auth.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from koepel.platform.extensions import db
from koepel.platform.models import ApiToken, Invitation, Organisation, OrgRole, User
from koepel.platform.models.accounts import normalise_email
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow


class OperationError(ValueError):
    """A rule of the domain refused the change; the message is meant for the user."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise OperationError(_("Kies een wachtwoord van minstens %(n)d tekens.", n=MIN_LENGTH))


def create_user(*, actor: User | None, email: str, display_name: str, password: str | None) -> User:
    if find_user(email) is not None:
        raise OperationError(_("Er is al een account met dit e-mailadres."))
    if password is not None:
        check_password_rules(password)
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip() or normalise_email(email),
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=None,
        action="user.created",
        obj_type="user",
        obj_id=user.id,
        after={"email": user.email},
    )
    return user


def grant_role(*, actor: User | None, user: User, org: Organisation, role: str) -> OrgRole:
    if role not in policy.roles_for_kind(org.kind):
        raise OperationError(_("Deze rol bestaat niet bij dit soort organisatie."))
    existing = db.session.scalar(
        select(OrgRole).where(
            OrgRole.user_id == user.id, OrgRole.organisation_id == org.id, OrgRole.role == role
        )
    )
    if existing is not None:
        return existing
    grant = OrgRole(user=user, organisation_id=org.id, role=role, granted_by_id=actor and actor.id)
    db.session.add(grant)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="role.granted",
        obj_type="user",
        obj_id=user.id,
        after={"role": role, "email": user.email},
    )
    return grant


def set_password(*, actor: User | None, user: User, password: str) -> None:
    check_password_rules(password)
    user.password_hash = hash_password(password)
    user.session_version += 1  # sessions and reset links issued before stop working
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=None,
        action="user.password_changed",
        obj_type="user",
        obj_id=user.id,
    )


def invite(
    *, actor: User, org: Organisation, email: str, role: str, valid_for: timedelta
) -> tuple[Invitation, str]:
    """Create an invitation owned by ``org``; returns it with the secret link token."""
    if role not in policy.roles_for_kind(org.kind):
        raise OperationError(_("Deze rol bestaat niet bij dit soort organisatie."))
    email = normalise_email(email)
    user = find_user(email)
    if user is not None and role in policy.roles_of(user, org):
        raise OperationError(_("Deze persoon heeft deze rol al."))
    token = secrets.token_urlsafe(32)
    with acting_for(org.id):
        invitation = Invitation(
            tenant_id=org.id,
            email=email,
            role=role,
            token_hash=token_digest(token),
            invited_by_id=actor.id,
            expires_at=utcnow() + valid_for,
        )
        db.session.add(invitation)
        db.session.flush()
        audit.record(
            db.session,
            actor=actor,
            tenant_id=org.id,
            action="invitation.created",
            obj_type="invitation",
            obj_id=invitation.id,
            after={"email": email, "role": role},
        )
    return invitation, token


def accept_invitation(*, invitation: Invitation, user: User) -> OrgRole:
    if invitation.accepted_at or invitation.revoked_at:
        raise OperationError(_("Deze uitnodiging is al gebruikt."))
    if invitation.expires_at <= utcnow():
        raise OperationError(_("Deze uitnodiging is verlopen. Vraag om een nieuwe."))
    org = db.session.get(Organisation, invitation.tenant_id)
    with acting_for(org.id):
        invitation.accepted_at, invitation.accepted_by_id = utcnow(), user.id
        grant = grant_role(actor=user, user=user, org=org, role=invitation.role)
        audit.record(
            db.session,
            actor=user,
            tenant_id=org.id,
            action="invitation.accepted",
            obj_type="invitation",
            obj_id=invitation.id,
        )
    return grant


def issue_api_token(*, user: User, label: str = "") -> tuple[ApiToken, str]:
    token = "kp_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=token_digest(token), label=label[:100])
    db.session.add(row)
    db.session.flush()
    audit.record(
        db.session,
        actor=user,
        tenant_id=None,
        action="api_token.issued",
        obj_type="api_token",
        obj_id=row.id,
        after={"label": row.label},
    )
    return row, token


def revoke_api_token(*, user: User, token: ApiToken) -> None:
    if token.user_id != user.id:
        raise OperationError(_("Deze sleutel hoort niet bij u."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record(
            db.session,
            actor=user,
            tenant_id=None,
            action="api_token.revoked",
            obj_type="api_token",
            obj_id=token.id,
        )


def user_for_api_token(token: str) -> tuple[User, ApiToken] | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    return row.user, row


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None  # set when the e-mail and password were right
    wait: timedelta | None = None  # set when throttled: try again after this


def authenticate(
    *, email: str, password: str, address: str, limit: int, window: timedelta
) -> LoginOutcome:
    """Check a login (pages and API alike): throttle, verify, record the attempt, and
    upgrade the stored hash when the hashing parameters have changed."""
    email = normalise_email(email)
    wait = throttle.wait_time(db.session, email, address, limit=limit, window=window)
    if wait is not None:
        return LoginOutcome(None, wait)
    user = find_user(email)
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.is_active
    throttle.record_attempt(db.session, email, address, succeeded=ok)
    if not ok:
        return LoginOutcome(None)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginOutcome(user)
