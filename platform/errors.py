"""Error responses: a plain Dutch page for browsers, problem+json (RFC 9457) for the API.

Never a stack trace, never a hint whether another tenant's object exists.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


def N_(text: str) -> str:
    """Marks a text for extraction (make messages); it is translated where it is shown."""
    return text


PAGE_TEXT = {
    400: (
        N_("Verzoek niet begrepen"),
        N_("Er ging iets mis met wat er werd verstuurd. Probeer het opnieuw."),
    ),
    403: (N_("Geen toegang"), N_("U heeft geen rechten voor deze pagina.")),
    404: (
        N_("Pagina niet gevonden"),
        N_("Deze pagina bestaat niet, of u heeft er geen toegang toe."),
    ),
    405: (N_("Niet toegestaan"), N_("Deze actie kan hier niet.")),
    413: (N_("Te groot"), N_("Wat u stuurde is te groot. Probeer een kleiner bestand.")),
    429: (
        N_("Even wachten"),
        N_("Er kwamen te veel verzoeken. Wacht even en probeer het opnieuw."),
    ),
    500: (
        N_("Er ging iets mis"),
        N_("Er ging bij ons iets mis. Uw gegevens zijn niet gewijzigd. Probeer het later opnieuw."),
    ),
    503: (
        N_("Tijdelijk niet beschikbaar"),
        N_(
            "We kunnen de gegevens nu even niet bereiken. Wat u net deed, is niet opgeslagen. "
            "Probeer het over een paar minuten opnieuw."
        ),
    ),
}
RETRY_AFTER_SECONDS = 120


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


def _rollback_quietly() -> None:
    """End the failed unit of work before the error page is drawn: the page may read the
    user, and a session whose flush failed refuses every query until it is rolled back."""
    from koepel.platform.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection is gone: nothing left to undo)
        log.warning("rollback after an error failed", exc_info=True)


def database_unavailable(error: Exception) -> bool:
    """The database could not be reached or refused for the moment (connection lost, server
    down, SQLite busy, deadlock, pool exhausted): a retry later can succeed."""
    if isinstance(error, OperationalError | PoolTimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def handle_database_error(error: Exception) -> Any:
    """503 with retry advice when the database is away; the transaction was never
    committed, so nothing of the request was written."""
    if not database_unavailable(error):
        return handle_unexpected(error)
    log.warning(
        "database unavailable on %s %s: %s", request.method, request.path, type(error).__name__
    )
    _rollback_quietly()
    if is_api_request():
        response = problem(
            503,
            "Service Unavailable",
            "De database is tijdelijk niet bereikbaar; er is niets opgeslagen. Probeer het "
            "later opnieuw. / The database is unavailable; nothing was saved. Try again later.",
        )
    else:
        response = _unavailable_page()
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _unavailable_page() -> Response:
    try:
        body, status = _page_error(503)
    except Exception:  # noqa: BLE001  (still no database: draw the page as for a visitor)
        from flask import current_app, g

        # The header would read the user and their organisations from the database.
        current_app.login_manager._update_request_context_with_user(None)  # type: ignore[attr-defined]
        g.pop("acting_org", None)
        try:
            body, status = _page_error(503)
        except Exception:  # noqa: BLE001
            title, message = PAGE_TEXT[503]
            return Response(f"{title}. {message}", 503, mimetype="text/plain")
    return Response(body, status, mimetype="text/html")


def handle_unexpected(error: Exception) -> Any:
    log.exception("unhandled error on %s %s", request.method, request.path)
    _rollback_quietly()
    if is_api_request():
        return _api_error(InternalServerError())
    try:
        return _page_error(500)
    except Exception:  # the template itself failed: plain text, still no trace
        return Response(_("Er ging bij ons iets mis."), 500, mimetype="text/plain")


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(PoolTimeoutError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
