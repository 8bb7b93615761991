"""The JSON API base: flask-smorest for marshmallow schemas and the OpenAPI document,
bearer-token authentication, and the acting organisation resolved like the pages do."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import flask_smorest
from flask import Flask, abort, g, request
from webargs.flaskparser import FlaskParser

from koepel.platform import audit, policy
from koepel.platform.auth import operations as ops
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow
from koepel.platform.web import commit

PREFIX = "/api/v1"
_BODY_METHODS = {"POST", "PUT", "PATCH"}


class Parser(FlaskParser):
    # Invalid input is a 400 with per-field messages; 422 is left for domain rules
    # that refuse a well-formed request.
    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()


api = flask_smorest.Api()


def _authenticate() -> None:
    """Runs before every API request: a bearer token or nobody; cookies are ignored, so
    the API needs no CSRF protection."""
    if not request.path.startswith(PREFIX + "/"):
        return
    g.api_user = g.api_token = None
    if request.method in _BODY_METHODS and request.content_length:
        if request.mimetype != "application/json":
            abort(415, description="Stuur JSON met Content-Type: application/json.")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return
    found = ops.user_for_api_token(token.strip())
    if found is None:
        abort(401, description="Deze sleutel is ongeldig of ingetrokken.")
    g.api_user, g.api_token = found
    g.api_token.last_used_at = utcnow()


def require_user() -> User:
    user = getattr(g, "api_user", None)
    if user is None:
        abort(401, description="Log in met een sleutel: Authorization: Bearer <token>.")
    return user


def require_org(slug: str, action: str = "org.view") -> tuple[Organisation, set[str]]:
    """The acting organisation for an API call: 404 when missing or not the user's."""
    user = require_user()
    found = policy.access(user, slug)
    if found is None:
        abort(404)
    if not policy.can(found.roles, action):
        abort(403)
    g.acting_org, g.acting_roles, g.on_behalf_of = found.org, found.roles, found.on_behalf_of
    return found.org, found.roles


def org_endpoint(
    action: str | Callable[[Organisation], str | None],
    *,
    kinds: Iterable[OrgKind] | None = None,
    load: Callable[..., Any] | None = None,
):
    """An endpoint acting for the organisation in the URL, as ``OrgView`` does for pages.

    Before the body is parsed (place it between ``route`` and ``arguments``), so an outsider
    gets 404 whatever they send: the organisation must be the caller's (404), of one of
    ``kinds`` (404: the resource does not exist for it), and the caller's roles must allow
    ``action`` (403) — a function of the organisation where the action depends on its side,
    None meaning 404. Then, in the organisation's tenancy scope, ``load(org, **url_args)``
    fetches the object in the URL (None: 404), the handler runs and the unit of work is
    committed. Handlers find ``g.api_org``, ``g.api_roles`` and ``g.api_obj``."""
    kinds = tuple(kinds) if kinds is not None else None

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            org, roles = require_org(kwargs["org_slug"])
            needed = action(org) if callable(action) else action
            if needed is None or (kinds is not None and org.kind not in kinds):
                abort(404)
            if not policy.can(roles, needed):
                abort(403)
            g.api_org, g.api_roles = org, roles
            with acting_for(org.id), audit.acting_on_behalf(g.on_behalf_of):
                if load is not None:
                    url_args = {k: v for k, v in kwargs.items() if k != "org_slug"}
                    g.api_obj = load(org, **url_args)
                    if g.api_obj is None:
                        abort(404)
                result = fn(*args, **kwargs)
                commit()
            return result

        return wrapper

    return decorate


def init_app(app: Flask) -> None:
    api.init_app(app)
    app.before_request(_authenticate)


def register_blueprint(blp: ApiBlueprint, **options: Any) -> None:
    from koepel.platform.extensions import csrf

    csrf.exempt(blp)
    api.register_blueprint(blp, **options)
