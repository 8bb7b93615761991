"""Fields the JSON APIs share: amounts as decimal strings (never binary floats) and bounded
text, with messages in the reader's language."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import validate

from koepel.platform.money import CENT, MAX_MONEY

_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")


class DecimalString(ma.fields.Field):
    """An amount or percentage as a string with a point and at most two decimals, such as
    "1234.56". A JSON number is refused: a binary float cannot hold most cents exactly."""

    def __init__(self, *, maximum: Decimal = MAX_MONEY, example: str = "1234.56", **kwargs):
        # Documented as it is on the wire (else the OpenAPI document says nothing of its
        # type): digits, a point, at most two decimals; an answer may be negative (a balance).
        kwargs["metadata"] = {
            "type": "string",
            "pattern": r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$",
            "example": example,
            **kwargs.get("metadata", {}),
        }
        super().__init__(**kwargs)
        self.maximum, self.example = maximum, example

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        # Always two decimals, as stored: the same figure reads the same before and after
        # a reload from the database.
        return None if value is None else str(Decimal(value).quantize(CENT))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise ma.ValidationError(
                _('Stuur dit getal als tekst, bijvoorbeeld "%(example)s".', example=self.example)
            )
        text = value.strip()
        if not _DECIMAL.fullmatch(text):
            raise ma.ValidationError(
                _(
                    'Dit is geen geldig getal. Schrijf het als "%(example)s": cijfers, een punt '
                    "en hoogstens twee cijfers erachter.",
                    example=self.example,
                )
            )
        number = Decimal(text)
        if number > self.maximum:
            raise ma.ValidationError(
                _("Dit getal is te groot: hoogstens %(max)s.", max=self.maximum)
            )
        return number


def text(max_length: int, *, required: str | None = None) -> ma.fields.String:
    """Text of at most ``max_length`` characters; ``required``: the message when missing."""
    too_long = validate.Length(
        max=max_length, error=_l("Gebruik hoogstens %(n)d tekens.", n=max_length)
    )
    if required:
        return ma.fields.String(
            required=True,
            validate=[validate.Length(min=1, error=required), too_long],
            error_messages={"required": required},
        )
    return ma.fields.String(load_default="", validate=too_long)
