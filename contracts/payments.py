"""Paying a contract: advance payments per period, supplements, and the final settlement.

- **Periods** are calendar months or the 4-week periods care providers in the Netherlands
  report in: 13 per year, along ISO weeks (period 1 starts on the Monday of ISO week 1;
  period 13 has five weeks in a year with 53 ISO weeks).
- **Advances** (voorschotten): a contract's yearly amount divided over the periods of the
  year, in equal parts or in proportion to the days of each period, by largest remainder,
  so they add up to the yearly amount to the cent. A contract that covers only part of a
  year gets the advances of the periods it is in force on (a period is paid in full or not
  at all; see :attr:`Period.reference`).
- **Supplements**: paid on top of the advances. A supplement is either a further advance on
  delivered care (``settled=True``: deducted at the final settlement) or kept by the
  provider on top of it (``settled=False``, e.g. the innovation supplement).
- **Final settlement** after the year: delivered - advances - settled supplements. Positive:
  the buyer pays the rest; negative: the provider pays back.
- **Transition** (:func:`transition_plan`): first a one-year transitional contract for every
  existing provider, then multi-year contracts for the providers contracted after that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from koepel.contracts.allocation import Explanation, explained_split
from koepel.contracts.errors import ContractRuleError, _, amount, money_text, not_negative

MONTHS = "months"
FOUR_WEEKS = "four_weeks"
FREQUENCIES = (MONTHS, FOUR_WEEKS)

EQUAL = "equal"
DAYS = "days"

TRANSITIONAL = "transitional"
MULTI_YEAR = "multi_year"

ZERO = Decimal("0.00")


@dataclass(frozen=True, order=True)
class Period:
    """A payment or reporting period, ``start`` to ``end`` inclusive; ``index`` from 1."""

    start: date
    end: date
    year: int
    index: int
    frequency: str = MONTHS

    @property
    def reference(self) -> date:
        """The day that decides which contract pays the period: its first day for a month;
        for a 4-week period the Thursday of its first week (as ISO weeks belong to the year
        of their Thursday), so period 1 of 2015 (29 December 2014 on) belongs to 2015."""
        return self.start + timedelta(days=3) if self.frequency == FOUR_WEEKS else self.start

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlaps(self, start: date, end: date) -> bool:
        return self.start <= end and start <= self.end


def months(year: int) -> tuple[Period, ...]:
    result = []
    for m in range(1, 13):
        start = date(year, m, 1)
        end = date(year + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
        result.append(Period(start, end, year, m))
    return tuple(result)


def four_week_periods(year: int) -> tuple[Period, ...]:
    """The 13 four-week periods of ``year`` along ISO weeks (the last one takes week 53)."""
    first = date.fromisocalendar(year, 1, 1)
    next_first = date.fromisocalendar(year + 1, 1, 1)
    result = []
    for i in range(13):
        start = first + timedelta(weeks=4 * i)
        end = next_first - timedelta(days=1) if i == 12 else start + timedelta(days=27)
        result.append(Period(start, end, year, i + 1, FOUR_WEEKS))
    return tuple(result)


def periods(year: int, frequency: str) -> tuple[Period, ...]:
    if frequency == MONTHS:
        return months(year)
    if frequency == FOUR_WEEKS:
        return four_week_periods(year)
    raise ValueError(f"unknown frequency {frequency!r}; known: {FREQUENCIES}")


@dataclass(frozen=True)
class Advance:
    period: Period
    amount: Decimal
    explanation: Explanation


def advance_schedule(
    yearly_amount: Decimal, schedule: Sequence[Period], *, weights: str = EQUAL
) -> tuple[Advance, ...]:
    """``yearly_amount`` over the periods of one year: equal parts (``EQUAL``, the usual
    voorschot) or in proportion to the days (``DAYS``). The extra cents of the largest
    remainder go to the earliest periods."""
    total = not_negative(amount(yearly_amount, _("Het jaarbedrag")), _("Het jaarbedrag"))
    ordered = sorted(schedule)
    if not ordered:
        raise ValueError("a schedule needs at least one period")
    if weights == EQUAL:
        keyed = [(str(p.index), Decimal(1)) for p in ordered]
    elif weights == DAYS:
        keyed = [(str(p.index), Decimal(p.days)) for p in ordered]
    else:
        raise ValueError(f"unknown weights {weights!r}; known: {EQUAL}, {DAYS}")
    figures = {key: {"yearly": total, "periods": len(ordered), "weight": w} for key, w in keyed}
    parts = explained_split(total, keyed, "advance", figures)
    return tuple(Advance(p, part, why) for p, (_k, part, why) in zip(ordered, parts, strict=True))


@dataclass(frozen=True)
class Supplement:
    """A payment on top of the advances. ``settled``: an advance on delivered care, deducted
    at the final settlement; otherwise the provider keeps it (innovation supplement)."""

    amount: Decimal
    reason: str
    settled: bool = True

    def __post_init__(self) -> None:
        label = _("Een toeslag")
        object.__setattr__(
            self, "amount", not_negative(amount(self.amount, label, "supplement"), label)
        )


@dataclass(frozen=True)
class FinalSettlement:
    """``balance = delivered - advances - settled_supplements``; ``kept_supplements`` were
    paid on top and are not deducted. A negative balance is paid back by the provider."""

    delivered: Decimal
    advances: Decimal
    settled_supplements: Decimal
    kept_supplements: Decimal
    balance: Decimal

    @property
    def paid(self) -> Decimal:
        """Everything paid during the year, kept supplements included."""
        return self.advances + self.settled_supplements + self.kept_supplements

    def summary(self) -> str:
        if self.balance > 0:
            outcome = _("De opdrachtgever betaalt nog %(b)s.", b=money_text(self.balance))
        elif self.balance < 0:
            outcome = _("De aanbieder betaalt %(b)s terug.", b=money_text(-self.balance))
        else:
            outcome = _("Er hoeft niets meer betaald te worden.")
        return (
            _(
                "Geleverd %(d)s, min voorschotten %(a)s, min toeslagen op de levering %(s)s.",
                d=money_text(self.delivered),
                a=money_text(self.advances),
                s=money_text(self.settled_supplements),
            )
            + " "
            + outcome
        )


def final_settlement(
    delivered: Decimal, advances_paid: Iterable[Decimal], supplements: Iterable[Supplement] = ()
) -> FinalSettlement:
    """Settle a year: what was delivered minus what was paid against it."""
    label = _("De geleverde waarde")
    value = not_negative(amount(delivered, label, "delivered"), label, "delivered")
    paid = ZERO
    for advance in advances_paid:
        paid += not_negative(amount(advance, _("Een voorschot")), _("Een voorschot"))
    supplements = list(supplements)
    settled = sum((s.amount for s in supplements if s.settled), ZERO)
    kept = sum((s.amount for s in supplements if not s.settled), ZERO)
    return FinalSettlement(value, paid, settled, kept, value - paid - settled)


# --- contracts over the years -----------------------------------------------------------


@dataclass(frozen=True)
class Contract:
    """A provider's contract as far as paying is concerned: ``start`` to ``end`` inclusive,
    ``yearly_amount`` per full year, advances per ``frequency`` period."""

    id: str
    provider: str
    kind: str
    start: date
    end: date
    yearly_amount: Decimal
    frequency: str = MONTHS

    def __post_init__(self) -> None:
        label = _("Het jaarbedrag van contract %(id)s", id=self.id)
        value = not_negative(amount(self.yearly_amount, label, "yearly_amount"), label)
        object.__setattr__(self, "yearly_amount", value)
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"unknown frequency {self.frequency!r}")
        if self.end < self.start:
            raise ContractRuleError(
                _("Contract %(id)s eindigt voordat het begint.", id=self.id), "end"
            )


def contract_advances(contract: Contract, year: int) -> tuple[Advance, ...]:
    """The advances of ``contract`` in ``year``: the yearly amount split over all periods of
    the year, of which the contract gets those in force on their reference day (see
    :attr:`Period.reference`); a period is paid in full or not at all."""
    schedule = periods(year, contract.frequency)
    chosen = {p.index for p in schedule if contract.start <= p.reference <= contract.end}
    return tuple(
        a for a in advance_schedule(contract.yearly_amount, schedule) if a.period.index in chosen
    )


def check_contracts(contracts: Iterable[Contract]) -> None:
    """A provider has at most one contract on any day, and every contract id is unique."""
    by_provider: dict[str, list[Contract]] = defaultdict(list)
    ids = set()
    for c in contracts:
        if c.id in ids:
            raise ContractRuleError(_("Contractnummer %(id)s komt twee keer voor.", id=c.id))
        ids.add(c.id)
        by_provider[c.provider].append(c)
    for provider, own in by_provider.items():
        own.sort(key=lambda c: (c.start, c.id))
        for before, after in zip(own, own[1:], strict=False):
            if after.start <= before.end:
                raise ContractRuleError(
                    _(
                        "%(provider)s heeft twee contracten tegelijk: %(a)s en %(b)s.",
                        provider=provider,
                        a=before.id,
                        b=after.id,
                    )
                )


def transition_plan(
    existing: Mapping[str, Decimal],
    year: int,
    multi_year: Mapping[str, Decimal],
    years: int,
    *,
    frequency: str = MONTHS,
) -> tuple[Contract, ...]:
    """A one-year transitional contract for every existing provider (``existing``: provider
    to yearly amount) in ``year``, followed from 1 January of the next year by multi-year
    contracts of ``years`` years for the providers in ``multi_year`` (existing or new).
    An existing provider without a multi-year contract stops after the transitional year."""
    if not existing:
        raise ContractRuleError(
            _("Een overgangscontract is voor alle bestaande aanbieders; er zijn er geen."),
            "existing",
        )
    if years < 1:
        raise ContractRuleError(_("Een meerjarig contract duurt minstens een jaar."), "years")
    contracts = [
        Contract(
            f"{year}-T-{provider}",
            provider,
            TRANSITIONAL,
            date(year, 1, 1),
            date(year, 12, 31),
            existing[provider],
            frequency,
        )
        for provider in sorted(existing)
    ]
    contracts += [
        Contract(
            f"{year + 1}-M-{provider}",
            provider,
            MULTI_YEAR,
            date(year + 1, 1, 1),
            date(year + years, 12, 31),
            multi_year[provider],
            frequency,
        )
        for provider in sorted(multi_year)
    ]
    check_contracts(contracts)
    return tuple(contracts)


def contracts_in_year(contracts: Iterable[Contract], year: int) -> list[Contract]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    return sorted(
        (c for c in contracts if c.start <= last and first <= c.end),
        key=lambda c: (c.provider, c.start),
    )


def contract_year_settlement(
    contract: Contract, year: int, delivered: Decimal, supplements: Iterable[Supplement] = ()
) -> FinalSettlement:
    """The final settlement of one contract year, against the advances its schedule paid."""
    advances = contract_advances(contract, year)
    return final_settlement(delivered, (a.amount for a in advances), supplements)


def year_total(advances: Iterable[Advance]) -> Decimal:
    return sum((a.amount for a in advances), ZERO)
