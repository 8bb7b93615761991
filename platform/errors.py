"""Error responses: a plain Dutch page for browsers, problem+json (RFC 9457) for the API.

Never a stack trace, never a hint whether another tenant's object exists.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

PAGE_TEXT = {
    400: (
        "Verzoek niet begrepen",
        "Er ging iets mis met wat er werd verstuurd. Probeer het opnieuw.",
    ),
    403: ("Geen toegang", "U heeft geen rechten voor deze pagina."),
    404: ("Pagina niet gevonden", "Deze pagina bestaat niet, of u heeft er geen toegang toe."),
    405: ("Niet toegestaan", "Deze actie kan hier niet."),
    413: ("Te groot", "Wat u stuurde is te groot. Probeer een kleiner bestand."),
    429: ("Even wachten", "Er kwamen te veel verzoeken. Wacht even en probeer het opnieuw."),
    500: (
        "Er ging iets mis",
        "Er ging bij ons iets mis. Uw gegevens zijn niet gewijzigd. Probeer het later opnieuw.",
    ),
}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _api_error(error: HTTPException) -> Response:
    status = error.code or 500
    title = error.name if status != 500 else "Internal Server Error"
    extra: dict[str, Any] = {}
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages:
        # webargs nests per location ({"json": {"field": [...]}}); clients want the fields.
        if isinstance(messages, dict) and len(messages) == 1:
            (only,) = messages.values()
            if isinstance(only, dict):
                messages = only
        extra["errors"] = messages
    detail = data.get("message") or (error.description if status != 500 else None)
    if messages and not data.get("message"):
        detail = "De invoer is niet geldig. / The input is not valid."
    response = problem(status, title, detail, **extra)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="koepel"'
    return response


def _page_error(status: int) -> tuple[str, int]:
    title, message = PAGE_TEXT.get(status, PAGE_TEXT[400 if status < 500 else 500])
    return render_template(
        "errors/error.html", code=status, title=_(title), message=_(message)
    ), status


def handle_http_exception(error: HTTPException) -> Any:
    if error.code is None or error.code < 400:
        return error  # redirects raised as exceptions pass through
    if is_api_request():
        return _api_error(error)
    return _page_error(error.code)


def handle_unexpected(error: Exception) -> Any:
    log.exception("unhandled error on %s %s", request.method, request.path)
    if is_api_request():
        return _api_error(InternalServerError())
    try:
        return _page_error(500)
    except Exception:  # the template itself failed: plain text, still no trace
        return Response(_("Er ging bij ons iets mis."), 500, mimetype="text/plain")


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
