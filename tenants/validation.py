"""Dutch formats a cooperative's data uses: postcode, KvK number, phone, postcode ranges.
Each check returns the normalised value or raises ``ValueError`` with a Dutch message."""

from __future__ import annotations

import re

from flask_babel import gettext as _

_POSTCODE = re.compile(r"^([1-9][0-9]{3})\s*([A-Za-z]{2})$")
_FORBIDDEN_LETTERS = {"SA", "SD", "SS"}  # never issued by PostNL
_RANGE = re.compile(r"^([1-9][0-9]{3})(?:\s*-\s*([1-9][0-9]{3}))?$")


def postcode(value: str) -> str:
    """'1234ab' -> '1234 AB'."""
    match = _POSTCODE.match((value or "").strip())
    if not match or match.group(2).upper() in _FORBIDDEN_LETTERS:
        raise ValueError(_("Vul een Nederlandse postcode in, bijvoorbeeld 5423 AB."))
    return f"{match.group(1)} {match.group(2).upper()}"


def kvk_number(value: str) -> str:
    digits = (value or "").strip()
    if not re.fullmatch(r"[0-9]{8}", digits):
        raise ValueError(_("Een KvK-nummer heeft precies 8 cijfers."))
    return digits


def phone(value: str) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    digits = re.sub(r"[\s\-().]", "", text)
    if not re.fullmatch(r"\+?[0-9]{10,15}", digits):
        raise ValueError(_("Vul een telefoonnummer in van 10 cijfers, bijvoorbeeld 0492 123456."))
    return text


def postcode_ranges(value: str) -> list[tuple[int, int]]:
    """'5721-5725, 5730' -> [(5721, 5725), (5730, 5730)]."""
    ranges = []
    for part in (value or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        match = _RANGE.match(part)
        if not match:
            raise ValueError(_("Schrijf postcodegebieden als 5721-5725, 5730 (alleen de cijfers)."))
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high < low:
            raise ValueError(_("In %(part)s staat het hoogste getal voor het laagste.", part=part))
        ranges.append((low, high))
    return ranges


def in_ranges(postcode_digits: str, ranges: list[tuple[int, int]]) -> bool:
    if not postcode_digits.isdigit():
        return False
    number = int(postcode_digits)
    return any(low <= number <= high for low, high in ranges)
