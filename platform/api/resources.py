"""The platform's API endpoints: tokens, the current user, organisations, jobs."""

from __future__ import annotations

from flask import abort, current_app, g, request
from sqlalchemy import select

from koepel.platform import policy
from koepel.platform.api.core import ApiBlueprint, register_blueprint, require_org, require_user
from koepel.platform.api.schemas import (
    JobSchema,
    MeSchema,
    OrganisationSchema,
    TokenRequest,
    TokenResponse,
)
from koepel.platform.auth import operations as ops
from koepel.platform.extensions import db
from koepel.platform.jobs import status_of
from koepel.platform.models import JobRun
from koepel.platform.tenancy import acting_for
from koepel.platform.web import commit

auth_blp = ApiBlueprint(
    "api_auth", __name__, url_prefix="/api/v1/auth", description="Sleutels (tokens) voor de API"
)
me_blp = ApiBlueprint("api_me", __name__, url_prefix="/api/v1/me", description="Uw account")
org_blp = ApiBlueprint(
    "api_orgs", __name__, url_prefix="/api/v1/orgs", description="Organisaties waarvoor u werkt"
)


@auth_blp.route("/token", methods=["POST"])
@auth_blp.arguments(TokenRequest)
@auth_blp.response(201, TokenResponse)
@auth_blp.doc(security=[])
def create_token(data):
    """Exchange e-mail and password for a personal API token (shown once)."""
    cfg = current_app.config
    outcome = ops.authenticate(
        email=data["email"],
        password=data["password"],
        address=(request.remote_addr or "unknown")[:64],
        limit=cfg["LOGIN_THROTTLE_ATTEMPTS"],
        window=cfg["LOGIN_THROTTLE_WINDOW"],
    )
    commit()
    if outcome.wait is not None:
        abort(429, description="Te veel mislukte pogingen. Probeer het later opnieuw.")
    if outcome.user is None:
        abort(401, description="Het e-mailadres of het wachtwoord klopt niet.")
    user = outcome.user
    row, token = ops.issue_api_token(user=user, label=data["label"])
    commit()
    return {"token": token, "id": row.id}


@auth_blp.route("/token", methods=["DELETE"])
@auth_blp.response(204)
def revoke_token():
    """Revoke the token this request was made with."""
    user = require_user()
    ops.revoke_api_token(user=user, token=g.api_token)
    commit()


@me_blp.route("", methods=["GET"])
@me_blp.response(200, MeSchema)
def me():
    """The current user with their organisations and roles."""
    user = require_user()
    organisations = [
        {
            "slug": o.slug,
            "name": o.name,
            "kind": o.kind.value,
            "roles": sorted(policy.roles_of(user, o)),
        }
        for o in policy.organisations_of(user)
    ]
    commit()  # records the token's last use
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "locale": user.locale,
        "organisations": organisations,
    }


@org_blp.route("/<org_slug>", methods=["GET"])
@org_blp.response(200, OrganisationSchema)
def organisation(org_slug: str):
    """One organisation you hold a role in."""
    org, roles = require_org(org_slug)
    commit()
    return {"slug": org.slug, "name": org.name, "kind": org.kind.value, "roles": sorted(roles)}


@org_blp.route("/<org_slug>/jobs/<job_id>", methods=["GET"])
@org_blp.response(200, JobSchema)
def job_status(org_slug: str, job_id: str):
    """Progress of a background job started for this organisation."""
    org, _roles = require_org(org_slug, "org.jobs.view")
    with acting_for(org.id):
        run = db.session.scalar(select(JobRun).where(JobRun.id == job_id))
        if run is None:
            abort(404)
        result = status_of(run)
        commit()
    return result


def register() -> None:
    for blp in (auth_blp, me_blp, org_blp):
        register_blueprint(blp)
