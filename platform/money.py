"""Money: always ``decimal.Decimal`` euros with two decimals, never float.

Floats cannot represent most cent amounts exactly (0.1 + 0.2 != 0.3), so every entry
point here refuses them loudly instead of silently rounding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import format_currency, format_decimal, get_decimal_symbol, get_group_symbol
from sqlalchemy.engine import Dialect
from sqlalchemy.types import Numeric, TypeDecorator, TypeEngine

CENT = Decimal("0.01")
# Largest amount a Numeric(14, 2) column holds: 12 digits before the point, 2 after.
MAX_MONEY = Decimal("999999999999.99")
CURRENCY = "EUR"

MoneyInput = Decimal | int | str


class MoneyParseError(ValueError):
    """User input is not a valid amount. The message is meant for the user (Dutch for nl)."""


def to_money(value: MoneyInput) -> Decimal:
    """Return ``value`` as euros rounded to cents (ROUND_HALF_UP, as people expect on paper)."""
    # bool is a subclass of int, and True euros is always a bug.
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__}")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"money must be a finite number, not {amount}")
    try:
        amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # needs more digits than the decimal context allows
        raise ValueError(f"amount too large: {value!r}") from None
    return abs(amount) if amount.is_zero() else amount  # never "-0.00"


def _locale(locale: str) -> Locale:
    return Locale.parse(locale.replace("-", "_"))


def _number_pattern(loc: Locale) -> re.Pattern[str]:
    group, decimal = get_group_symbol(loc), get_decimal_symbol(loc)
    # Locales with a (narrow) no-break space as group symbol: accept any space the user types.
    g = r"\s" if group.isspace() else re.escape(group)
    # [0-9], not \d: \d would also accept Arabic-Indic and other Unicode digits.
    # The fraction may be "-" or "--", as in the Dutch "12,-" for whole euros.
    return re.compile(
        rf"(?P<int>[0-9]{{1,3}}(?:{g}[0-9]{{3}})+|[0-9]+)"
        rf"(?:{re.escape(decimal)}(?P<frac>[0-9]+|--?))?"
    )


def parse_money(text: str | None, locale: str = "nl") -> Decimal:
    """Parse an amount typed by a user, e.g. "€ 1.234,56" (nl) or "€1,234.56" (en).

    Separators follow the locale strictly: in nl a dot only groups thousands, so "1.234" is
    1234 and "1.23" is rejected rather than guessed at. A regex is used instead of
    babel's ``parse_decimal(strict=True)`` because that also accepts "1e5", "NaN", "12,"
    and non-ASCII digits, none of which belong in a money field.
    """
    loc = _locale(locale)
    dutch = loc.language == "nl"
    example = format_decimal(Decimal("1234.56"), format="#,##0.00", locale=loc)

    def error(nl: str, en: str) -> MoneyParseError:
        return MoneyParseError(nl if dutch else en)

    if text is not None and not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    t = (text or "").strip().replace("\u2212", "-")  # U+2212 is the typographic minus sign
    if not t:
        raise error(
            f"Vul een bedrag in, bijvoorbeeld {example}.",
            f"Enter an amount, for example {example}.",
        )
    negative = t.startswith("-")
    if negative:
        t = t[1:].lstrip()
    if t.startswith("€"):
        t = t[1:].lstrip()
    elif t.endswith("€"):
        t = t[:-1].rstrip()
    if not negative and t.startswith("-"):  # "€ -12,50", the way babel formats nl
        negative, t = True, t[1:].lstrip()

    match = _number_pattern(loc).fullmatch(t)
    if match is None:
        raise error(
            f"Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als {example}.",
            f"This is not a valid amount. Write it like {example}.",
        )
    frac = match["frac"] or ""
    if frac.startswith("-"):
        frac = ""
    if len(frac) > 2:
        raise error(
            f"Een bedrag heeft hoogstens twee cijfers achter de komma, bijvoorbeeld {example}.",
            f"An amount has at most two decimal places, for example {example}.",
        )
    digits = re.sub(r"[^0-9]", "", match["int"])
    # Check the size before to_money: rounding a huge number would raise a plain ValueError.
    amount = Decimal(f"{'-' if negative else ''}{digits}.{frac or '0'}")
    if abs(amount) > MAX_MONEY:
        maximum = format_money(MAX_MONEY, locale)
        raise error(
            f"Dit bedrag is te groot. Het hoogste bedrag is {maximum}.",
            f"This amount is too large. The maximum is {maximum}.",
        )
    return to_money(amount)


def format_money(amount: MoneyInput, locale: str = "nl") -> str:
    """Format euros for display, e.g. "€\\xa01.234,56" (nl) or "€1,234.56" (en).

    Babel's output is kept as is, including the no-break space after "€" in nl, which
    keeps the sign and the amount on one line. Negatives: "€\\xa0-12,50" (nl), "-€12.50" (en).
    """
    return _formatted(to_money(amount), locale)


@lru_cache(maxsize=8192)
def _formatted(amount: Decimal, locale: str) -> str:
    # Babel takes ~15 us an amount; a page lists the same amounts in a table, a chart and the
    # explanations, request after request (an allocation over 100 partners: 300 a page).
    # Keyed on the amount after to_money: two decimals, never -0.00, so equal keys are equal
    # amounts with the same text.
    return format_currency(amount, CURRENCY, locale=_locale(locale))


def _weight(value: Decimal | int) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"weight must be Decimal or int, not {type(value).__name__}")
    weight = Decimal(value)
    if not weight.is_finite():
        raise ValueError(f"weight must be a finite number, not {weight}")
    return weight


def split(total: MoneyInput, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """Split ``total`` into parts proportional to ``weights`` that add up to it exactly.

    Why: rounding every share on its own loses or invents cents (3 x 33.33 = 99.99), and
    the books of a cooperative must balance to the cent. The largest-remainder (Hamilton)
    method floors each exact share ``total * w / sum(weights)`` to whole cents, then hands
    the cents that are left over, one each, to the parts that lost most in flooring. Ties
    go to the lower index so the same input always gives the same output.

    Guarantees: the parts sum to ``total``; each part is less than one cent away from its
    exact share; a zero weight gets exactly 0.00. A negative total (a refund) is split as its
    absolute value and negated, so a refund mirrors the original charge cent for cent.
    """
    amount = to_money(total)
    exact = [_weight(w) for w in weights]
    if not exact:
        raise ValueError("split needs at least one weight")
    if any(w < 0 for w in exact):
        raise ValueError("weights must not be negative")
    weight_sum = sum(exact, Decimal(0))
    if weight_sum <= 0:
        raise ValueError("weights must have a positive sum")

    cents = int(abs(amount).scaleb(2))
    # Fractions keep the shares exact; Decimal division would round at 28 digits.
    shares = [Fraction(cents) * Fraction(w) / Fraction(weight_sum) for w in exact]
    parts = [math.floor(s) for s in shares]
    leftover = cents - sum(parts)  # always < len(parts): each floor loses less than 1
    by_remainder = sorted(range(len(parts)), key=lambda i: (parts[i] - shares[i], i))
    # The remainders sum to `leftover` and each is < 1, so the first `leftover` of them are
    # all positive: a zero weight (remainder 0) never receives a cent.
    for i in by_remainder[:leftover]:
        parts[i] += 1
    sign = -1 if amount < 0 else 1
    return [Decimal(sign * p).scaleb(-2) for p in parts]


def validate_weights_sum_100(weights: Sequence[Decimal | int]) -> None:
    """Check that percentages (e.g. a cost-sharing key) add up to exactly 100."""
    exact = [_weight(w) for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("Een percentage in de verdeelsleutel kan niet negatief zijn.")
    total = sum(exact, Decimal(0))
    if total != 100:
        shown = format_decimal(total, locale="nl", decimal_quantization=False)
        raise ValueError(
            f"De percentages tellen op tot {shown}%, maar moeten samen precies 100% zijn."
        )


class MoneyType(TypeDecorator[Decimal]):
    """Numeric(14, 2) column that only takes and returns exact Decimal euros."""

    impl = Numeric(14, 2, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # SQLite has no decimal type and hands back floats. Take the raw value and make it
        # exact in process_result_value rather than rely on SQLAlchemy's own float-to-Decimal
        # step, which differs between versions (some warn, and the project treats SAWarning
        # as an error).
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(14, 2, asdecimal=False))
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        amount = to_money(value)  # TypeError for floats
        if abs(amount) > MAX_MONEY:
            raise ValueError(f"amount does not fit Numeric(14, 2): {amount}")
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # SQLite hands back a float or int. At most 14 significant digits fit in a double
        # without loss (a double holds 15), and str() gives the shortest repr, so this is exact.
        return to_money(str(value))
