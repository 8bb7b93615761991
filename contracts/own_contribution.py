"""The figures the CAK needs to charge a client's own contribution (eigen bijdrage).

The CAK needs, per client and period, how much support the client received, also when the
provider is funded by lumpsum or by results. These figures are derived from the records
that already exist, never keyed a second time:

- **framework agreements** (:func:`from_call_offs`): the units the provider reported on a
  call-off in a period; client, provider, product, unit and tariff come from the call-off
  and the catalogue. Cost = units × tariff, rounded half up to cents per line.
- **arrangement financing** (:func:`from_arrangements`): from 2016 Westelijke Mijnstreek
  based the own contribution on the arrangement's cost instead of hours. A client's amount
  for the year (see :mod:`koepel.contracts.arrangements`) is split over the periods by the
  days of the assignment in each period (largest remainder), so the periods add up to the
  year exactly. Days of the year that fall in none of the periods given (1-3 January in
  some years of 4-week periods) weigh nothing: the amount is split over the days that do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction

from koepel.contracts.arrangements import Arrangement, ArrangementTariff, Assignment, client_amounts
from koepel.contracts.errors import EXACT, ContractRuleError, _, round_half_up
from koepel.contracts.framework import CallOff, Catalogue, UnitReport
from koepel.contracts.payments import Period
from koepel.platform.money import split

HOUR = "uur"
ARRANGEMENT = "arrangement"

ZERO = Decimal("0.00")


@dataclass(frozen=True, order=True)
class CakLine:
    """One client's support in one period: ``quantity`` in ``unit`` (None for an
    arrangement) and its ``cost``. ``item``: the product code or the arrangement code."""

    client: str
    period: int
    provider: str
    item: str
    unit: str
    quantity: Decimal | None
    cost: Decimal


def from_call_offs(
    call_offs: Iterable[CallOff], reports: Iterable[UnitReport], catalogue: Catalogue
) -> list[CakLine]:
    """Per client, period, provider and product: the units reported and their cost. The
    ``unit`` says what was counted (hours, day parts, rides); :func:`per_client_period`
    adds up the hours."""
    orders = {c.id: c for c in call_offs}
    quantities: dict[tuple[str, int, str, str], Decimal] = defaultdict(Decimal)
    with localcontext(EXACT):
        for r in reports:
            call_off = orders.get(r.call_off)
            if call_off is None:
                raise ContractRuleError(_("Afroep %(id)s bestaat niet.", id=r.call_off))
            quantities[call_off.client, r.period, call_off.provider, call_off.product] += r.quantity
    lines = []
    for (client, period, provider, code), quantity in sorted(quantities.items()):
        product = catalogue.product(code)
        cost = round_half_up(Fraction(quantity) * Fraction(product.tariff))
        lines.append(CakLine(client, period, provider, code, product.unit, quantity, cost))
    return lines


def _overlap(a: Assignment, p: Period) -> int:
    start, end = max(a.start, p.start), min(a.end, p.end)
    return max((end - start).days + 1, 0)


def from_arrangements(
    assignments: Iterable[Assignment],
    tariffs: Mapping[Arrangement, ArrangementTariff],
    year: int,
    schedule: Sequence[Period],
) -> list[CakLine]:
    """Per client, period, provider and arrangement: the arrangement's cost in the period."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    lines = []
    for line in client_amounts(assignments, tariffs, year):
        a = line.assignment
        # Only the days in the budget year: the year's amount is what is split.
        inside = Assignment(
            a.client, a.arrangement, a.provider, max(a.start, first), min(a.end, last)
        )
        days = [(p, _overlap(inside, p)) for p in sorted(schedule)]
        days = [(p, d) for p, d in days if d]
        if not days:
            raise ContractRuleError(
                _("De toewijzing van cliënt %(c)s valt buiten de perioden.", c=a.client)
            )
        parts = split(line.amount, [d for _p, d in days])
        for (p, _d), part in zip(days, parts, strict=True):
            lines.append(
                CakLine(a.client, p.index, a.provider, a.arrangement.code, ARRANGEMENT, None, part)
            )
    return sorted(lines)


@dataclass(frozen=True)
class ClientPeriod:
    """A client's totals in one period: hours (lines in hours only) and cost (all lines)."""

    client: str
    period: int
    hours: Decimal
    cost: Decimal


def per_client_period(lines: Iterable[CakLine]) -> list[ClientPeriod]:
    hours: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    cost: dict[tuple[str, int], Decimal] = defaultdict(lambda: ZERO)
    with localcontext(EXACT):
        for line in lines:
            key = line.client, line.period
            cost[key] += line.cost
            hours[key] += line.quantity if line.unit == HOUR and line.quantity is not None else 0
    return [ClientPeriod(c, p, hours[c, p], cost[c, p]) for c, p in sorted(cost)]
