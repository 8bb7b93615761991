"""Language and presentation: Dutch first, English second; money and times as people
expect them in the Netherlands (euros, Europe/Amsterdam)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.numbers import format_decimal
from flask import Flask, current_app, has_request_context, session
from flask_babel import get_locale
from flask_login import current_user

from koepel.platform import money, timeutil


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands and jobs speak the primary language
        return languages[0]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang")
    return chosen if chosen in languages else languages[0]


def current_language() -> str:
    return str(get_locale() or "nl")[:2]


def register(app: Flask) -> None:
    @app.template_filter("money")
    def _money(amount: Decimal | None) -> str:
        return "" if amount is None else money.format_money(amount, current_language())

    @app.template_filter("number")
    def _number(value, decimals: int = 0) -> str:
        """A number the way the reader writes it: 2,5 in Dutch, 2.5 in English."""
        if value is None:
            return ""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=current_language())

    @app.template_filter("local_datetime")
    def _local_datetime(dt: datetime | None, fmt: str = "medium") -> str:
        return "" if dt is None else timeutil.format_datetime_local(dt, current_language(), fmt)

    @app.template_filter("local_date")
    def _local_date(dt, fmt: str = "medium") -> str:
        return "" if dt is None else timeutil.format_date_local(dt, current_language(), fmt)
