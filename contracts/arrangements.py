"""Arrangement financing: a tariff per arrangement, and the budget follows the client.

The case is Westelijke Mijnstreek (Sittard-Geleen, Beek, Schinnen, Stein): the municipality
sets the goals per client and the arrangement that goes with it; the client and the chosen
provider fill it in. Nine arrangements by complexity × intensity.

The rules:

- **Tariff** of an arrangement (per client per year): the weighted average of the historical
  costs per client, the weights being the numbers of clients, after the national cut:
  ``Σ(cost × clients) / Σ clients × (1 - cut / 100)``, computed exactly and rounded once,
  half up, to cents. An arrangement without history has no tariff (an error, not zero).
- **Budget follows the client**: a client is assigned an arrangement and a provider for a
  span of days in the budget year; the amount is the tariff × those days / the days of the
  year. A client's amounts in one year are rounded together (half up) and split over its
  assignments by largest remainder, so a client who moves to another provider or
  arrangement mid-year still costs exactly the sum of its parts, and a full year costs
  exactly the tariff. A provider's budget is the sum of its clients' amounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from koepel.contracts.allocation import (
    HALF_UP,
    LARGEST_REMAINDER,
    Explanation,
    explained_split,
)
from koepel.contracts.errors import (
    ContractRuleError,
    _,
    money_text,
    not_negative,
    number,
    percentage,
    round_half_up,
)

COMPLEXITIES = ("low", "medium", "high")
INTENSITIES = ("low", "medium", "high")

ZERO = Decimal("0.00")


@dataclass(frozen=True, order=True)
class Arrangement:
    complexity: str
    intensity: str

    def __post_init__(self) -> None:
        if self.complexity not in COMPLEXITIES or self.intensity not in INTENSITIES:
            raise ValueError(f"unknown arrangement {self.complexity}/{self.intensity}")

    @property
    def code(self) -> str:
        return f"{self.complexity}/{self.intensity}"


def nine_arrangements() -> tuple[Arrangement, ...]:
    """The 3 × 3 matrix, complexity first."""
    return tuple(Arrangement(c, i) for c in COMPLEXITIES for i in INTENSITIES)


@dataclass(frozen=True)
class HistoricalCost:
    """What an arrangement's care cost per client per year in an earlier year, for
    ``clients`` clients (e.g. one provider's figures for 2014)."""

    arrangement: Arrangement
    cost_per_client: Decimal
    clients: int
    source: str = ""

    def __post_init__(self) -> None:
        cost = number(self.cost_per_client, "cost_per_client")
        label = _("De historische kosten van %(a)s", a=self.arrangement.code)
        object.__setattr__(self, "cost_per_client", not_negative(cost, label, "history"))
        if isinstance(self.clients, bool) or not isinstance(self.clients, int):
            raise TypeError("clients must be an int")
        if self.clients < 0:
            raise ContractRuleError(_("Het aantal cliënten kan niet negatief zijn."), "history")


@dataclass(frozen=True)
class ArrangementTariff:
    arrangement: Arrangement
    tariff: Decimal
    clients: int
    average: Fraction  # the weighted average before the cut, exactly
    explanation: Explanation


def arrangement_tariffs(
    arrangements: Sequence[Arrangement], history: Iterable[HistoricalCost], national_cut: Decimal
) -> dict[Arrangement, ArrangementTariff]:
    """The tariff of every arrangement in ``arrangements`` (see the module docstring)."""
    cut = percentage(national_cut, _("De landelijke korting"), "national_cut")
    wanted = sorted(set(arrangements))
    if len(wanted) != len(arrangements):
        raise ContractRuleError(_("Een arrangement staat er twee keer in."), "arrangements")
    cost: dict[Arrangement, Fraction] = defaultdict(Fraction)
    clients: dict[Arrangement, int] = defaultdict(int)
    for h in history:
        if h.arrangement not in wanted:
            raise ContractRuleError(
                _("Er zijn kosten voor onbekend arrangement %(a)s.", a=h.arrangement.code),
                "history",
            )
        cost[h.arrangement] += Fraction(h.cost_per_client) * h.clients
        clients[h.arrangement] += h.clients
    result = {}
    for a in wanted:
        if not clients[a]:
            raise ContractRuleError(
                _(
                    "Voor arrangement %(a)s zijn geen historische kosten met cliënten; het "
                    "tarief kan niet berekend worden.",
                    a=a.code,
                ),
                "history",
            )
        average = cost[a] / clients[a]
        exact = average * (1 - Fraction(cut) / 100)
        tariff = round_half_up(exact)
        inputs = {"average": average, "clients": clients[a], "cut": cut}
        result[a] = ArrangementTariff(
            a,
            tariff,
            clients[a],
            average,
            Explanation.of("arrangement", inputs, exact, tariff, HALF_UP),
        )
    return result


@dataclass(frozen=True)
class Assignment:
    """A client in an arrangement with a provider from ``start`` to ``end`` (inclusive)."""

    client: str
    arrangement: Arrangement
    provider: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if not self.client or not self.provider:
            raise ContractRuleError(_("Een toewijzing heeft een cliënt en een aanbieder."))
        if self.end < self.start:
            raise ContractRuleError(_("De toewijzing eindigt voordat ze begint."), "end")


@dataclass(frozen=True)
class ClientAmount:
    """What one assignment costs in the budget year (``days`` of it)."""

    assignment: Assignment
    days: int
    amount: Decimal
    explanation: Explanation


@dataclass(frozen=True)
class ProviderBudget:
    provider: str
    budget: Decimal
    clients: int
    per_arrangement: Mapping[Arrangement, Decimal]
    lines: tuple[ClientAmount, ...]


def _days_in_year(a: Assignment, year: int) -> int:
    first, last = date(year, 1, 1), date(year, 12, 31)
    start, end = max(a.start, first), min(a.end, last)
    return max((end - start).days + 1, 0)


def client_amounts(
    assignments: Iterable[Assignment],
    tariffs: Mapping[Arrangement, ArrangementTariff],
    year: int,
) -> list[ClientAmount]:
    """Every assignment's amount in ``year`` (see the module docstring), sorted by client
    and start. A client cannot be in two arrangements on the same day."""
    year_days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    by_client: dict[str, list[Assignment]] = defaultdict(list)
    for a in assignments:
        if a.arrangement not in tariffs:
            raise ContractRuleError(
                _("Arrangement %(a)s heeft nog geen tarief.", a=a.arrangement.code),
                "arrangement",
            )
        if _days_in_year(a, year):
            by_client[a.client].append(a)
    result = []
    for client in sorted(by_client):
        own = sorted(by_client[client], key=lambda a: (a.start, a.end, a.provider))
        for before, after in zip(own, own[1:], strict=False):
            if after.start <= before.end:
                raise ContractRuleError(
                    _("Cliënt %(c)s heeft twee arrangementen tegelijk.", c=client), "start"
                )
        days = [_days_in_year(a, year) for a in own]
        exact = [
            Fraction(tariffs[a.arrangement].tariff) * d / year_days
            for a, d in zip(own, days, strict=True)
        ]
        total = round_half_up(sum(exact, Fraction(0)))
        if total:
            # Weights tariff × days are proportional to the exact amounts (same year length).
            weights = [
                (str(i), tariffs[a.arrangement].tariff * d)
                for i, (a, d) in enumerate(zip(own, days, strict=True))
            ]
            amounts = [part for _k, part, _w in explained_split(total, weights, "client")]
        else:
            amounts = [ZERO] * len(own)
        for a, d, e, part in zip(own, days, exact, amounts, strict=True):
            inputs = {"tariff": tariffs[a.arrangement].tariff, "days": d, "year_days": year_days}
            # One assignment: its amount was rounded on its own; several: split to add up.
            rounding = HALF_UP if len(own) == 1 else LARGEST_REMAINDER
            why = Explanation.of("client", inputs, e, part, rounding)
            result.append(ClientAmount(a, d, part, why))
    return result


def provider_budgets(
    assignments: Iterable[Assignment],
    tariffs: Mapping[Arrangement, ArrangementTariff],
    year: int,
) -> dict[str, ProviderBudget]:
    """Per provider: the sum of its clients' amounts in ``year``, also per arrangement."""
    lines: dict[str, list[ClientAmount]] = defaultdict(list)
    for line in client_amounts(assignments, tariffs, year):
        lines[line.assignment.provider].append(line)
    result = {}
    for provider in sorted(lines):
        own = lines[provider]
        per: dict[Arrangement, Decimal] = defaultdict(lambda: ZERO)
        for line in own:
            per[line.assignment.arrangement] += line.amount
        result[provider] = ProviderBudget(
            provider=provider,
            budget=sum((line.amount for line in own), ZERO),
            clients=len({line.assignment.client for line in own}),
            per_arrangement=dict(sorted(per.items())),
            lines=tuple(own),
        )
    return result


def tariff_table(tariffs: Mapping[Arrangement, ArrangementTariff]) -> list[list[str]]:
    """The matrix as rows (complexity) × columns (intensity) of formatted tariffs, for a
    page or an export; an arrangement without a tariff is shown as an empty cell."""
    return [
        [
            money_text(tariffs[Arrangement(c, i)].tariff) if Arrangement(c, i) in tariffs else ""
            for i in INTENSITIES
        ]
        for c in COMPLEXITIES
    ]
