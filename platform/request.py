"""The request class of the app: form fields and query parameters arrive without the
control characters no keyboard types.

PostgreSQL refuses NUL in text (a 500 where a form saved it), spreadsheets refuse the other
C0 controls (an export failed on them), and no person means them. Tab, line feed and
carriage return stay: text areas use them.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Request as FlaskRequest
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: Any) -> Any:
    return CONTROL.sub("", value) if isinstance(value, str) else value


class CleanMultiDict(ImmutableMultiDict):
    """``request.form`` and ``request.args``: every text value cleaned (files untouched)."""

    def __init__(self, mapping: Any = None) -> None:
        pairs = MultiDict(mapping).items(multi=True) if mapping else []
        super().__init__([(key, clean(value)) for key, value in pairs])


class Request(FlaskRequest):
    parameter_storage_class = CleanMultiDict
