"""A framework agreement with many providers: catalogue, volumes, call-offs, 4-weekly
figures, the adjustment rule, the innovation supplement and the post-calculation.

The case is Goeree-Overflakkee (2015): a framework contract with 14 providers; three product
groups (ambulatory support, group support, day activities) at three levels (light, medium,
heavy), each with a unit and a tariff, plus transport tariffs (wheelchair, passenger).

The rules, as the buyer and the providers can read them:

- **Ceiling**: a provider's volume agreement (units per product) × the tariffs, added up
  exactly and rounded once to cents, plus the adjustments the buyer accepted.
- **Call-off**: an order for one client (pseudonymised id), one product, a quantity over a
  period, priced at the catalogue tariff (rounded half up to cents). A call-off that would
  take the provider's committed call-offs above its ceiling is **refused** with a message
  that says how much room is left. The buyer may knowingly allow it
  (``allow_over_ceiling=True``, e.g. when care cannot wait); the call-off is then marked
  ``over_ceiling`` so the 4-weekly figures and the adjustment talk see it.
- **Unit reports**: providers report delivered units per call-off per 4-week period; the
  client, product and tariff come from the call-off (never keyed twice). A report for a
  closed period, outside the call-off's dates, or above the quantity called off, is refused.
- **4-weekly figures** per provider: ceiling, committed (call-offs started by the end of the
  period), budget used (value of the units reported up to and including the period; per
  period the difference of the rounded cumulative values, so the periods add up to the year),
  clients (distinct clients with a call-off running in the period) against the contracted
  number, and the units reported in the period per product.
- **Adjustment rule**: more clients than contracted by more than ``increase_above`` % (5)
  proposes an increase; fewer by more than ``decrease_below`` % (10) a decrease. The amount
  is the client difference × the contracted budget per client (ceiling / contracted
  clients), rounded half up to cents. The buyer accepts or rejects the proposal.
- **Innovation supplement**: converting individual to group provision at equal quality lets
  the provider keep, per converted unit, the difference between the individual and the
  group tariff.
- **Post-calculation** (nacalculatie) at year end: the value of the units reported, funded up
  to the ceiling as the adjustment rule sets it for the actual number of clients; then the
  quality factor (a bonus percentage for every indicator met and a malus percentage for
  every one missed, both set per indicator); plus the supplements the provider keeps; minus
  the advances paid gives the balance.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction

from koepel.contracts.allocation import HALF_UP, Explanation
from koepel.contracts.errors import (
    EXACT,
    ContractRuleError,
    _,
    amount,
    money_text,
    not_negative,
    number,
    number_text,
    percentage,
    round_half_up,
)
from koepel.contracts.payments import Period
from koepel.platform.money import to_money

AMBULATORY = "ambulatory"
GROUP = "group"
DAY_ACTIVITIES = "day_activities"
GROUPS = (AMBULATORY, GROUP, DAY_ACTIVITIES)
LEVELS = ("light", "medium", "heavy")
TRANSPORT = "transport"
TRANSPORT_KINDS = ("wheelchair", "passenger")

INCREASE = "increase"
DECREASE = "decrease"

ZERO = Decimal("0.00")


def code(group: str, level: str) -> str:
    """A product's code, e.g. "ambulatory/light" or "transport/wheelchair"."""
    return f"{group}/{level}"


@dataclass(frozen=True)
class Product:
    group: str
    level: str
    unit: str
    tariff: Decimal
    description: str = ""

    def __post_init__(self) -> None:
        label = _("Het tarief van %(product)s", product=self.code)
        tariff = not_negative(amount(self.tariff, label, "tariff"), label, "tariff")
        object.__setattr__(self, "tariff", tariff)
        if not self.unit:
            raise ContractRuleError(
                _("Geef de eenheid van %(product)s op.", product=self.code), "unit"
            )

    @property
    def code(self) -> str:
        return code(self.group, self.level)

    @property
    def is_transport(self) -> bool:
        return self.group == TRANSPORT


@dataclass(frozen=True)
class Catalogue:
    """The products of a framework agreement, by code."""

    products: tuple[Product, ...]

    def __post_init__(self) -> None:
        codes = [p.code for p in self.products]
        if len(set(codes)) != len(codes):
            raise ContractRuleError(_("Een product staat twee keer in de catalogus."), "products")
        object.__setattr__(self, "products", tuple(sorted(self.products, key=lambda p: p.code)))

    def product(self, product_code: str) -> Product:
        for p in self.products:
            if p.code == product_code:
                return p
        raise ContractRuleError(
            _("Product %(product)s staat niet in de catalogus.", product=product_code), "product"
        )


def build_catalogue(
    tariffs: Mapping[tuple[str, str], Decimal],
    units: Mapping[str, str],
    transport: Mapping[str, Decimal],
    *,
    transport_unit: str = "rit",
    descriptions: Mapping[str, str] | None = None,
) -> Catalogue:
    """The full matrix: every group in ``units`` at every level of ``LEVELS`` must have a
    tariff (a missing cell is an error, not a free product), plus the transport tariffs."""
    products = []
    for group, unit in units.items():
        for level in LEVELS:
            if (group, level) not in tariffs:
                raise ContractRuleError(
                    _("Het tarief van %(product)s ontbreekt.", product=code(group, level)),
                    "tariffs",
                )
            text = (descriptions or {}).get(code(group, level), "")
            products.append(Product(group, level, unit, tariffs[group, level], text))
    extra = set(tariffs) - {(g, lv) for g in units for lv in LEVELS}
    if extra:
        raise ContractRuleError(
            _(
                "Er is een tarief voor een onbekend product: %(products)s.",
                products=", ".join(sorted(code(*k) for k in extra)),
            ),
            "tariffs",
        )
    for kind, tariff in transport.items():
        products.append(Product(TRANSPORT, kind, transport_unit, tariff))
    return Catalogue(tuple(products))


# --- volume agreements and the ceiling ----------------------------------------------------


@dataclass(frozen=True)
class VolumeAgreement:
    """What the buyer agreed with one provider: units per product code, the number of
    clients, and the adjustments of the ceiling accepted since (amounts, signed)."""

    provider: str
    volumes: Mapping[str, Decimal]
    clients: int
    adjustments: tuple[Decimal, ...] = ()

    def __post_init__(self) -> None:
        for key, volume in self.volumes.items():
            label = _("Het volume van %(product)s", product=key)
            not_negative(number(volume, "volume"), label, "volumes")
        if isinstance(self.clients, bool) or not isinstance(self.clients, int):
            raise TypeError("clients must be an int")
        if self.clients < 0:
            raise ContractRuleError(_("Het aantal cliënten kan niet negatief zijn."), "clients")


@dataclass(frozen=True)
class Ceiling:
    """``base`` = Σ volume × tariff (rounded once); ``ceiling = base + adjusted``."""

    provider: str
    lines: tuple[tuple[str, Decimal, Decimal, Decimal], ...]  # code, volume, tariff, value
    base: Decimal
    adjusted: Decimal
    ceiling: Decimal


def ceiling(agreement: VolumeAgreement, catalogue: Catalogue) -> Ceiling:
    lines = []
    with localcontext(EXACT):
        for key in sorted(agreement.volumes):
            product = catalogue.product(key)
            volume = Decimal(agreement.volumes[key])
            lines.append((key, volume, product.tariff, volume * product.tariff))
        exact = sum((line[3] for line in lines), Decimal(0))
    base = to_money(exact)
    adjusted = sum(agreement.adjustments, ZERO)
    return Ceiling(agreement.provider, tuple(lines), base, adjusted, base + adjusted)


# --- call-offs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallOff:
    """An order for one client (pseudonymised id) for ``quantity`` units of ``product``
    between ``start`` and ``end`` (inclusive). ``over_ceiling``: allowed by the buyer above
    the provider's ceiling."""

    id: str
    provider: str
    client: str
    product: str
    quantity: Decimal
    start: date
    end: date
    over_ceiling: bool = False

    def __post_init__(self) -> None:
        quantity = number(self.quantity, "quantity")
        if quantity <= 0:
            raise ContractRuleError(
                _("De hoeveelheid van een afroep moet groter dan 0 zijn."), "quantity"
            )
        object.__setattr__(self, "quantity", quantity)
        if not self.client:
            raise ContractRuleError(_("Een afroep is altijd voor een cliënt."), "client")
        if self.end < self.start:
            raise ContractRuleError(_("De afroep eindigt voordat hij begint."), "end")


def price(call_off: CallOff, catalogue: Catalogue) -> Decimal:
    """The call-off at the agreed tariff, rounded half up to cents."""
    tariff = catalogue.product(call_off.product).tariff
    return round_half_up(Fraction(call_off.quantity) * Fraction(tariff))


def committed(
    provider: str, catalogue: Catalogue, call_offs: Iterable[CallOff], until: date | None = None
) -> Decimal:
    """The provider's call-offs (that started by ``until``, if given), priced and added."""
    return sum(
        (
            price(c, catalogue)
            for c in call_offs
            if c.provider == provider and (until is None or c.start <= until)
        ),
        ZERO,
    )


@dataclass(frozen=True)
class CallOffCheck:
    call_off: CallOff
    price: Decimal
    committed_before: Decimal
    committed_after: Decimal
    ceiling: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.ceiling - self.committed_after


def place_call_off(
    agreement: VolumeAgreement,
    catalogue: Catalogue,
    existing: Sequence[CallOff],
    new: CallOff,
    *,
    allow_over_ceiling: bool = False,
) -> CallOffCheck:
    """Check a new call-off against the catalogue and the provider's ceiling.

    Refused when it would take the committed call-offs above the ceiling, unless the buyer
    allows it (``allow_over_ceiling``); then the returned call-off is marked
    ``over_ceiling``."""
    if new.provider != agreement.provider:
        raise ValueError("the call-off is for another provider than the agreement")
    if any(c.id == new.id for c in existing):
        raise ContractRuleError(_("Afroep %(id)s bestaat al.", id=new.id), "id")
    amount_due = price(new, catalogue)
    limit = ceiling(agreement, catalogue).ceiling
    before = committed(agreement.provider, catalogue, existing)
    after = before + amount_due
    call_off = replace(new, over_ceiling=False)
    if after > limit:
        if not allow_over_ceiling:
            raise ContractRuleError(
                _(
                    "Deze afroep (%(price)s) past niet binnen het budgetplafond van "
                    "%(provider)s (%(ceiling)s): er is al %(used)s afgeroepen, dus er is nog "
                    "%(left)s over.",
                    price=money_text(amount_due),
                    provider=agreement.provider,
                    ceiling=money_text(limit),
                    used=money_text(before),
                    left=money_text(max(limit - before, ZERO)),
                ),
                "quantity",
            )
        call_off = replace(new, over_ceiling=True)
    return CallOffCheck(call_off, amount_due, before, after, limit)


# --- unit reports ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitReport:
    """Units delivered on a call-off in one 4-week period (``period`` = its index)."""

    call_off: str
    period: int
    quantity: Decimal

    def __post_init__(self) -> None:
        quantity = number(self.quantity, "quantity")
        if quantity < 0:
            raise ContractRuleError(_("Een geleverd aantal kan niet negatief zijn."), "quantity")
        object.__setattr__(self, "quantity", quantity)


def check_report(
    report: UnitReport,
    call_offs: Mapping[str, CallOff],
    existing: Iterable[UnitReport],
    schedule: Sequence[Period],
    *,
    closed_through: int = 0,
) -> None:
    """Refuse a report for an unknown call-off, a closed period (``closed_through``: the
    last closed period's index), a period outside the call-off's dates, a second report for
    the same call-off and period, or more units than were called off."""
    call_off = call_offs.get(report.call_off)
    if call_off is None:
        raise ContractRuleError(_("Afroep %(id)s bestaat niet.", id=report.call_off), "call_off")
    period = next((p for p in schedule if p.index == report.period), None)
    if period is None:
        raise ContractRuleError(_("Periode %(p)s bestaat niet.", p=report.period), "period")
    if report.period <= closed_through:
        raise ContractRuleError(
            _(
                "Periode %(p)s is afgesloten. Meld een correctie bij de opdrachtgever.",
                p=report.period,
            ),
            "period",
        )
    if not period.overlaps(call_off.start, call_off.end):
        raise ContractRuleError(
            _("Afroep %(id)s loopt niet in periode %(p)s.", id=call_off.id, p=report.period),
            "period",
        )
    reported = Decimal(0)
    for r in existing:
        if r.call_off == report.call_off:
            if r.period == report.period:
                raise ContractRuleError(
                    _(
                        "Voor afroep %(id)s is over periode %(p)s al een aantal gemeld.",
                        id=call_off.id,
                        p=report.period,
                    ),
                    "period",
                )
            reported += r.quantity
    if reported + report.quantity > call_off.quantity:
        raise ContractRuleError(
            _(
                "Dit is meer dan er is afgeroepen: %(ordered)s, waarvan al %(done)s gemeld.",
                ordered=number_text(call_off.quantity),
                done=number_text(reported),
            ),
            "quantity",
        )


def report_value(
    report: UnitReport, call_offs: Mapping[str, CallOff], catalogue: Catalogue
) -> Decimal:
    """Units × the call-off's tariff, exactly."""
    tariff = catalogue.product(call_offs[report.call_off].product).tariff
    with localcontext(EXACT):
        return report.quantity * tariff


# --- 4-weekly figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodFigures:
    """One provider's figures for one 4-week period, as reported to the buyer."""

    provider: str
    period: Period
    ceiling: Decimal
    committed: Decimal
    used: Decimal
    used_in_period: Decimal
    clients: int
    contracted_clients: int
    units: Mapping[str, Decimal]

    @property
    def remaining(self) -> Decimal:
        return self.ceiling - self.used

    @property
    def used_percent(self) -> Decimal | None:
        """Budget used as a percentage of the ceiling, to one decimal (None without one)."""
        if self.ceiling <= 0:
            return None
        tenths = Fraction(self.used) * 1000 / Fraction(self.ceiling)
        return Decimal(math.floor(tenths + Fraction(1, 2))).scaleb(-1)


def period_figures(
    agreements: Iterable[VolumeAgreement],
    catalogue: Catalogue,
    call_offs: Iterable[CallOff],
    reports: Iterable[UnitReport],
    period: Period,
) -> list[PeriodFigures]:
    """The figures of every provider for ``period``, side by side (sorted by provider)."""
    orders = {c.id: c for c in call_offs}
    reports = list(reports)
    result = []
    for agreement in sorted(agreements, key=lambda a: a.provider):
        own = {k: c for k, c in orders.items() if c.provider == agreement.provider}
        before = in_period = Decimal(0)  # exact values up to the previous period, and in it
        units: dict[str, Decimal] = defaultdict(Decimal)
        with localcontext(EXACT):
            for r in reports:
                if r.call_off not in own or r.period > period.index:
                    continue
                if r.period < period.index:
                    before += report_value(r, own, catalogue)
                else:
                    in_period += report_value(r, own, catalogue)
                    units[own[r.call_off].product] += r.quantity
            used = to_money(before + in_period)
        clients = {c.client for c in own.values() if period.overlaps(c.start, c.end)}
        result.append(
            PeriodFigures(
                provider=agreement.provider,
                period=period,
                ceiling=ceiling(agreement, catalogue).ceiling,
                committed=committed(agreement.provider, catalogue, own.values(), period.end),
                used=used,
                used_in_period=used - to_money(before),
                clients=len(clients),
                contracted_clients=agreement.clients,
                units=dict(sorted(units.items())),
            )
        )
    return result


# --- the adjustment rule --------------------------------------------------------------------


@dataclass(frozen=True)
class AdjustmentRule:
    """Thresholds in percent of the contracted number of clients, per agreement."""

    increase_above: Decimal = Decimal(5)
    decrease_below: Decimal = Decimal(10)

    def __post_init__(self) -> None:
        percentage(self.increase_above, _("De drempel voor verhogen"), "increase_above")
        percentage(self.decrease_below, _("De drempel voor verlagen"), "decrease_below")


@dataclass(frozen=True)
class AdjustmentProposal:
    """``kind`` is ``INCREASE``, ``DECREASE`` or ``None`` (within the thresholds, amount 0).
    ``difference_percent``: (actual - contracted) / contracted × 100, exactly."""

    provider: str
    kind: str | None
    contracted_clients: int
    actual_clients: int
    difference_percent: Fraction
    ceiling: Decimal
    amount: Decimal
    explanation: Explanation

    @property
    def new_ceiling(self) -> Decimal:
        return self.ceiling + self.amount

    def text(self) -> str:
        change = number_text(self.difference_percent)
        if self.kind == INCREASE:
            return _(
                "%(provider)s heeft %(actual)s cliënten, %(change)s%% meer dan de %(contracted)s "
                "afgesproken. Voorstel: het budget %(amount)s verhogen (%(per_client)s per "
                "cliënt).",
                provider=self.provider,
                actual=self.actual_clients,
                change=change,
                contracted=self.contracted_clients,
                amount=money_text(self.amount),
                per_client=money_text(self.explanation.inputs["per_client"]),
            )
        if self.kind == DECREASE:
            return _(
                "%(provider)s heeft %(actual)s cliënten, %(change)s%% minder dan de "
                "%(contracted)s afgesproken. Voorstel: het budget %(amount)s verlagen "
                "(%(per_client)s per cliënt).",
                provider=self.provider,
                actual=self.actual_clients,
                change=number_text(-self.difference_percent),
                contracted=self.contracted_clients,
                amount=money_text(-self.amount),
                per_client=money_text(self.explanation.inputs["per_client"]),
            )
        return _(
            "%(provider)s heeft %(actual)s cliënten (%(change)s%% ten opzichte van de "
            "%(contracted)s afgesproken): binnen de afspraak, het budget blijft gelijk.",
            provider=self.provider,
            actual=self.actual_clients,
            change=change,
            contracted=self.contracted_clients,
        )


def propose_adjustment(
    agreement: VolumeAgreement,
    catalogue: Catalogue,
    actual_clients: int,
    rule: AdjustmentRule = AdjustmentRule(),  # noqa: B008 - frozen, so a safe default
) -> AdjustmentProposal:
    """Apply the adjustment rule (see the module's docstring) to the actual client count."""
    if isinstance(actual_clients, bool) or not isinstance(actual_clients, int):
        raise TypeError("actual_clients must be an int")
    if actual_clients < 0:
        raise ContractRuleError(_("Het aantal cliënten kan niet negatief zijn."), "clients")
    contracted = agreement.clients
    if contracted <= 0:
        raise ContractRuleError(
            _(
                "Met %(provider)s is geen aantal cliënten afgesproken; de aanpassingsregel "
                "kan niet rekenen.",
                provider=agreement.provider,
            ),
            "clients",
        )
    limit = ceiling(agreement, catalogue).ceiling
    difference = actual_clients - contracted
    change = Fraction(difference * 100, contracted)
    kind = None
    if change > Fraction(rule.increase_above):
        kind = INCREASE
    elif change < -Fraction(rule.decrease_below):
        kind = DECREASE
    per_client = Fraction(limit) / contracted
    exact = per_client * difference if kind else Fraction(0)
    result = round_half_up(exact)
    inputs = {
        "contracted": contracted,
        "actual": actual_clients,
        "ceiling": limit,
        "per_client": round_half_up(per_client),
        "increase_above": rule.increase_above,
        "decrease_below": rule.decrease_below,
    }
    explanation = Explanation.of("adjustment", inputs, exact, result, HALF_UP)
    return AdjustmentProposal(
        agreement.provider, kind, contracted, actual_clients, change, limit, result, explanation
    )


def accept_adjustment(agreement: VolumeAgreement, proposal: AdjustmentProposal) -> VolumeAgreement:
    """The agreement after the buyer accepted ``proposal``: its amount is added to the
    ceiling and the actual client count becomes the contracted one (so the budget per client
    stays the same and the next proposal starts from there)."""
    if proposal.provider != agreement.provider or proposal.kind is None:
        raise ValueError("only a proposal for this provider that changes the budget")
    return replace(
        agreement,
        clients=proposal.actual_clients,
        adjustments=(*agreement.adjustments, proposal.amount),
    )


# --- innovation supplement ------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    """Units moved from individual (``individual`` product) to group provision (``group``)."""

    provider: str
    individual: str
    group: str
    units: Decimal
    equal_quality: bool


@dataclass(frozen=True)
class InnovationSupplement:
    conversion: Conversion
    amount: Decimal
    explanation: Explanation


def innovation_supplement(catalogue: Catalogue, conversion: Conversion) -> InnovationSupplement:
    """units × (individual tariff - group tariff), rounded half up; only at equal quality."""
    if not conversion.equal_quality:
        raise ContractRuleError(
            _(
                "De innovatietoeslag geldt alleen als de groepsbegeleiding even goed is als de "
                "individuele."
            ),
            "equal_quality",
        )
    units = not_negative(number(conversion.units, "units"), _("Het aantal eenheden"), "units")
    individual = catalogue.product(conversion.individual)
    group = catalogue.product(conversion.group)
    if group.group != GROUP or individual.group == GROUP or individual.is_transport:
        raise ContractRuleError(
            _("Een omzetting gaat van individuele naar groepsondersteuning."), "group"
        )
    if individual.unit != group.unit:
        raise ContractRuleError(
            _(
                "%(a)s en %(b)s hebben een andere eenheid (%(ua)s en %(ub)s); reken eerst om.",
                a=individual.code,
                b=group.code,
                ua=individual.unit,
                ub=group.unit,
            ),
            "units",
        )
    if group.tariff >= individual.tariff:
        raise ContractRuleError(
            _("Het groepstarief is niet lager dan het individuele tarief: er is geen verschil."),
            "group",
        )
    exact = Fraction(units) * (Fraction(individual.tariff) - Fraction(group.tariff))
    result = round_half_up(exact)
    inputs = {"units": units, "tariff": individual.tariff, "group_tariff": group.tariff}
    return InnovationSupplement(
        conversion, result, Explanation.of("innovation", inputs, exact, result, HALF_UP)
    )


# --- post-calculation -----------------------------------------------------------------------


@dataclass(frozen=True)
class QualityIndicator:
    """A quality indicator with its bonus (met) and malus (missed), in percent."""

    id: str
    bonus: Decimal = Decimal(0)
    malus: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        percentage(self.bonus, _("De bonus van %(i)s", i=self.id), "bonus")
        percentage(self.malus, _("De malus van %(i)s", i=self.id), "malus")


@dataclass(frozen=True)
class PostCalculation:
    """The year-end amount of one provider. ``final = funded + quality + supplements``;
    ``balance = final - advances`` (negative: the provider pays back)."""

    provider: str
    delivered: Decimal  # value of the reported units, rounded once
    adjustment: AdjustmentProposal  # the rule applied to the actual client count
    funded_ceiling: Decimal
    funded: Decimal  # delivered, up to the funded ceiling
    quality_percent: Decimal
    quality: Decimal
    quality_explanation: Explanation
    supplements: Decimal
    final: Decimal
    advances: Decimal
    balance: Decimal
    met: tuple[str, ...]
    missed: tuple[str, ...]

    def steps(self) -> list[str]:
        """The calculation in plain Dutch, one sentence per step."""
        steps = [
            _("Geleverd volgens de meldingen: %(v)s.", v=money_text(self.delivered)),
            self.adjustment.text(),
        ]
        if self.funded < self.delivered:
            steps.append(
                _(
                    "Het plafond is %(c)s; daarboven wordt niet betaald.",
                    c=money_text(self.funded_ceiling),
                )
            )
        steps.append(
            _(
                "Kwaliteit: %(pct)s%% (bonus voor %(met)s gehaalde en malus voor %(missed)s "
                "niet gehaalde indicatoren) = %(q)s.",
                pct=number_text(self.quality_percent),
                met=len(self.met),
                missed=len(self.missed),
                q=money_text(self.quality),
            )
        )
        steps.append(
            _(
                "Eindbedrag %(final)s (met %(s)s toeslagen), min %(a)s voorschotten: %(b)s.",
                final=money_text(self.final),
                s=money_text(self.supplements),
                a=money_text(self.advances),
                b=money_text(self.balance),
            )
        )
        return steps


def post_calculate(
    agreement: VolumeAgreement,
    catalogue: Catalogue,
    call_offs: Iterable[CallOff],
    reports: Iterable[UnitReport],
    *,
    actual_clients: int,
    indicators: Sequence[QualityIndicator],
    results: Mapping[str, bool],
    advances: Decimal,
    supplements: Iterable[Decimal] = (),
    rule: AdjustmentRule = AdjustmentRule(),  # noqa: B008 - frozen, so a safe default
) -> PostCalculation:
    """The post-calculation (nacalculatie) of one provider's year; see the module docstring.

    ``results``: for every indicator id, whether it was met. ``supplements``: the amounts
    the provider keeps on top (innovation supplements)."""
    ids = [i.id for i in indicators]
    if len(set(ids)) != len(ids):
        raise ContractRuleError(_("Een kwaliteitsindicator staat er twee keer in."), "indicators")
    missing = set(ids) - set(results)
    if missing:
        raise ContractRuleError(
            _("Er is nog geen uitkomst voor %(i)s.", i=", ".join(sorted(missing))), "results"
        )
    unknown = set(results) - set(ids)
    if unknown:
        raise ContractRuleError(
            _("Onbekende kwaliteitsindicator: %(i)s.", i=", ".join(sorted(unknown))), "results"
        )
    paid = not_negative(amount(advances, _("De voorschotten"), "advances"), _("De voorschotten"))
    kept = ZERO
    for s in supplements:
        kept += not_negative(amount(s, _("Een toeslag"), "supplements"), _("Een toeslag"))

    own = {c.id: c for c in call_offs if c.provider == agreement.provider}
    with localcontext(EXACT):
        value = sum(
            (report_value(r, own, catalogue) for r in reports if r.call_off in own), Decimal(0)
        )
    delivered = to_money(value)
    adjustment = propose_adjustment(agreement, catalogue, actual_clients, rule)
    funded_ceiling = adjustment.new_ceiling
    funded = min(delivered, funded_ceiling)

    met = tuple(sorted(i.id for i in indicators if results[i.id]))
    missed = tuple(sorted(i.id for i in indicators if not results[i.id]))
    quality_percent = sum((i.bonus for i in indicators if results[i.id]), Decimal(0)) - sum(
        (i.malus for i in indicators if not results[i.id]), Decimal(0)
    )
    if quality_percent < -100:
        raise ContractRuleError(_("De malussen zijn samen meer dan 100%."), "indicators")
    exact = Fraction(funded) * Fraction(quality_percent) / 100
    quality = round_half_up(exact)
    inputs = {"funded": funded, "percentage": quality_percent}
    quality_explanation = Explanation.of("quality", inputs, exact, quality, HALF_UP)
    final = funded + quality + kept
    return PostCalculation(
        provider=agreement.provider,
        delivered=delivered,
        adjustment=adjustment,
        funded_ceiling=funded_ceiling,
        funded=funded,
        quality_percent=quality_percent,
        quality=quality,
        quality_explanation=quality_explanation,
        supplements=kept,
        final=final,
        advances=paid,
        balance=final - paid,
        met=met,
        missed=missed,
    )
