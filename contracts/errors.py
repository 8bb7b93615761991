"""The domain error of the contract rules, its message marker, and the input checks and
rounding steps every rule module shares.

The rules are pure (no app, no database), but their messages reach users, so they are
plain Dutch and marked for translation with :func:`_`.
"""

from __future__ import annotations

import math
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow
from fractions import Fraction

from babel.numbers import format_decimal
from flask import has_app_context

from koepel.platform.money import CENT, format_money, to_money

Number = Decimal | int


class ContractRuleError(ValueError):
    """Input a contract rule cannot accept. ``str()`` is a plain Dutch sentence for the user;
    ``field`` names the input it is about (for a form to show it next to that field)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _(message: str, **variables: object) -> str:
    """Translate ``message`` when an app is running, else use the Dutch text as is.

    Named ``_`` so ``pybabel extract`` finds the strings. Like flask_babel's ``gettext``,
    ``%(name)s`` placeholders are filled only when variables are given.
    """
    if has_app_context():
        from flask_babel import gettext

        return gettext(message, **variables)
    return message % variables if variables else message


def _language() -> str:
    if has_app_context():
        from flask_babel import get_locale

        return str(get_locale() or "nl")[:2]
    return "nl"


def money_text(amount: Number | Fraction) -> str:
    """An amount for a message, e.g. "€ 1.234,56"; fractions are shown rounded half up."""
    if isinstance(amount, Fraction):
        amount = round_half_up(amount)
    return format_money(amount, _language())


def number_text(value: Number | Fraction) -> str:
    """A percentage or a quantity for a message: "12,5" in Dutch, all its decimals."""
    prefix = ""
    if isinstance(value, Fraction):
        # A fraction that is not a short decimal (1/3) is shown to six places, marked "≈".
        scaled = value * 10**6
        if scaled.denominator != 1:
            prefix = "≈ "
        value = Decimal(round(scaled)).scaleb(-6).normalize()
    return prefix + format_decimal(value, locale=_language(), decimal_quantization=False)


def number(value: object, what: str) -> Decimal:
    """A finite Decimal from a Decimal or int; floats are refused (they are not exact)."""
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{what} must be Decimal or int, not {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{what} must be a finite number, not {result}")
    return result


def amount(value: object, label: str, field: str | None = None) -> Decimal:
    """Money in whole cents. More decimals are refused rather than rounded silently: an
    amount with fractions of a cent in a contract is a typing error, not a figure.
    ``label`` names the amount in a Dutch sentence, e.g. "Het voorstel van Kwintes"."""
    result = number(value, field or label)
    if result != to_money(result):
        raise ContractRuleError(
            _("%(what)s heeft meer dan twee cijfers achter de komma.", what=label), field
        )
    return to_money(result)


def not_negative(value: Decimal, label: str, field: str | None = None) -> Decimal:
    if value < 0:
        raise ContractRuleError(_("%(what)s kan niet negatief zijn.", what=label), field)
    return value


def percentage(value: object, label: str, field: str | None = None) -> Decimal:
    result = number(value, field or label)
    if not 0 <= result <= 100:
        raise ContractRuleError(_("%(what)s moet tussen 0%% en 100%% liggen.", what=label), field)
    return result


def round_half_up(value: Fraction) -> Decimal:
    """An exact amount rounded to cents once, half away from zero (as on paper)."""
    cents = value * 100
    rounded = math.floor(abs(cents) + Fraction(1, 2))
    return (Decimal(rounded if cents >= 0 else -rounded).scaleb(-2)).quantize(CENT) + 0


def truncated(value: Fraction) -> Decimal:
    """An exact amount cut to whole cents towards zero: the base a rounding step adds to."""
    cents = math.trunc(value * 100)
    return Decimal(cents).scaleb(-2).quantize(CENT) + 0


# Decimal arithmetic for products and sums of quantities and tariffs: enough digits for any
# realistic figure, and an exception instead of a silent rounding if that is ever not so.
EXACT = Context(prec=60, traps=[Inexact, InvalidOperation, Overflow, DivisionByZero])
