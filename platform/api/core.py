"""The JSON API base: flask-smorest for marshmallow schemas and the OpenAPI document,
bearer-token authentication, and the acting organisation resolved like the pages do."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import flask_smorest
import marshmallow as ma
from flask import Flask, abort, g, request
from flask_babel import gettext as _
from webargs.flaskparser import FlaskParser

from koepel.platform import audit, policy
from koepel.platform.auth import operations as ops
from koepel.platform.db import MAX_INT
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.request import clean
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow
from koepel.platform.web import commit

PREFIX = "/api/v1"
_BODY_METHODS = {"POST", "PUT", "PATCH"}
PROBLEM_JSON = "application/problem+json"


class Parser(FlaskParser):
    # Invalid input is a 400 with per-field messages; 422 is left for domain rules
    # that refuse a well-formed request.
    DEFAULT_VALIDATION_STATUS = 400

    def pre_load(self, location_data, *, schema, req, location):
        # Every integer this API takes is an id, a count or a number that a database
        # INTEGER column holds: a larger one is invalid input (400), not an overflow in the
        # database driver (500).
        too_large = dict.fromkeys(_large_integers(location_data))
        if too_large:
            message = _("Dit getal is te groot: hoogstens %(max)s.", max=MAX_INT)
            raise ma.ValidationError({path: [message] for path in too_large})
        if isinstance(location_data, dict | list):
            return _without_controls(location_data)  # JSON; query values are clean already
        return location_data


def _without_controls(data: Any) -> Any:
    """A JSON document with control characters taken out of every text, as forms get
    them (``koepel.platform.request``): PostgreSQL refuses a NUL in text (a 500 where a
    lookup or a save met one) and no person means them."""
    if isinstance(data, dict):
        return {clean(key): _without_controls(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_without_controls(value) for value in data]
    return clean(data)


def _large_integers(data: Any, path: str = "") -> Iterable[str]:
    """Dotted paths of the integers in a JSON document that no INTEGER column holds."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        if isinstance(data, int) and not isinstance(data, bool) and abs(data) > MAX_INT:
            yield path or "_schema"
        return
    for key, value in items:
        yield from _large_integers(value, f"{path}.{key}" if path else str(key))


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()


class ProblemSchema(ma.Schema):
    """An error: RFC 9457 problem details, as ``koepel.platform.errors`` writes them."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(metadata={"description": "messages per field (invalid input)"})


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        # flask-smorest documents its error responses with the success responses' content
        # type; ours are application/problem+json (clients and the fuzz tests read the spec).
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_JSON
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE  # back to the class's, for the rest


api = Api()


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
