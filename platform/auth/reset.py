"""Password-reset links: signed, expiring, and single-use.

The token carries the user's ``session_version``; setting a new password raises it, so a
link works once and every older link stops working too.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from koepel.platform.extensions import db
from koepel.platform.models import User

_SALT = "koepel.password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "v": user.session_version})


class ResetLinkError(ValueError):
    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def user_for_token(token: str) -> User:
    try:
        data = _serializer().loads(token, max_age=current_app.config["RESET_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise ResetLinkError(expired=True) from None
    except BadSignature:
        raise ResetLinkError(expired=False) from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.session_version != data.get("v") or not user.is_active:
        raise ResetLinkError(expired=False)
    return user
