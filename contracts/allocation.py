"""Dividing a budget among partners, to the cent, with the reason for every share.

Pure functions on plain values; money is ``Decimal`` in whole cents, never float. Exact
shares are fractions; each is rounded once, by the largest-remainder method of
:func:`koepel.platform.money.split`, so the parts always add up to what is divided.

Methods (the budget ``total`` minus a reserve, if any, is the *distributable* amount):

- **proposals** (:func:`allocate_proposals`): every partner proposes its own amount and the
  lead party consolidates them (Brunssum 2016; Alphen's coalition). The proposals must add
  up to the distributable amount. If they do not, the allocation is *unbalanced*: every
  share says how far its proposal is off, as its proportional part of the difference
  (``difference``), and what it would be if all proposals were scaled to fit
  (``suggested``); an unbalanced allocation cannot be agreed.
- **fixed percentages** (:func:`allocate_percentages`): percentages of the distributable
  amount, adding up to exactly 100.
- **volume × tariff** (:func:`allocate_volume_tariff`): each partner's volume at its tariff.
  When the values add up to more than the distributable amount, every share is scaled down
  by the same factor (distributable / total value), and the allocation says so
  (``scale``). When they add up to less, every partner gets its value and the rest stays
  unallocated (``unallocated``); the buyer decides what happens with it.
- **equal shares** (:func:`allocate_equal`).

An optional **reserve for citizen initiatives** (:class:`Reserve`, an amount or a percentage
of the total) is set aside first and divided among the initiatives in proportion to their
weights (equal when none are given).

Order: partners (and initiatives) are processed sorted by id, so the result does not depend
on the order of the input. When two shares lost exactly as much in rounding, the cent goes
to the lower id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

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
    truncated,
)
from koepel.platform.money import split, to_money

PROPOSALS = "proposals"
PERCENTAGES = "percentages"
VOLUME_TARIFF = "volume_tariff"
EQUAL = "equal"
METHODS = (PROPOSALS, PERCENTAGES, VOLUME_TARIFF, EQUAL)

ZERO = Decimal("0.00")

# How an explained amount was rounded to cents.
LARGEST_REMAINDER = "largest_remainder"
HALF_UP = "half_up"


@dataclass(frozen=True)
class Explanation:
    """How one amount was computed, for a page or an export to show.

    ``method``: the rule ("proposal", "percentage", "volume_tariff", "equal", "reserve",
    "initiative", or one of the other modules' rules). ``inputs``: the figures the rule used,
    by name. ``exact``: the exact amount in euros before rounding. ``base``: ``exact`` cut
    to whole cents towards zero. ``adjustment_cents``: what rounding added to ``base``
    (0 or 1 cent; with a negative amount, 0 or -1). ``rounding``: ``LARGEST_REMAINDER``
    when the amount is one of several parts that must add up to a total (the cent goes to
    the parts that lost most), ``HALF_UP`` when it was rounded on its own.
    ``amount == base + adjustment_cents / 100`` always.
    """

    method: str
    inputs: Mapping[str, object]
    exact: Fraction
    base: Decimal
    adjustment_cents: int
    amount: Decimal
    rounding: str = LARGEST_REMAINDER

    @classmethod
    def of(
        cls,
        method: str,
        inputs: Mapping[str, object],
        exact: Fraction,
        result: Decimal,
        rounding: str = LARGEST_REMAINDER,
    ) -> Explanation:
        base = truncated(exact)
        cents = int((result - base).scaleb(2))
        return cls(method, dict(inputs), exact, base, cents, result, rounding)

    def text(self) -> str:
        """One plain Dutch sentence (translated when an app runs) for the page."""
        i = {
            k: money_text(v) if k in _MONEY_INPUTS else number_text(v)
            for k, v in self.inputs.items()
            if isinstance(v, (Decimal, int, Fraction)) and not isinstance(v, bool)
        }
        if self.method == "proposal":
            sentence = _("Eigen voorstel: %(proposed)s.", **i)
        elif self.method == "percentage":
            sentence = _("%(percentage)s%% van %(distributable)s.", **i)
        elif self.method == "volume_tariff" and "scale_total" in self.inputs:
            sentence = _(
                "Waarde %(value)s (volume × tarief); alle waarden samen zijn meer dan het "
                "budget, dus naar verhouding verlaagd: %(distributable)s × %(value)s / "
                "%(scale_total)s.",
                **i,
            )
        elif self.method == "volume_tariff":
            sentence = _("Waarde %(value)s (volume × tarief).", **i)
        elif self.method == "equal":
            sentence = _("%(distributable)s gedeeld door %(partners)s partners.", **i)
        elif self.method == "reserve" and "percentage" in self.inputs:
            sentence = _("Reserve: %(percentage)s%% van %(total)s.", **i)
        elif self.method == "reserve":
            sentence = _("Reserve: vast bedrag van %(reserve)s.", **i)
        elif self.method == "initiative":
            sentence = _(
                "Deel van de reserve %(reserve)s naar gewicht %(weight)s van %(weight_total)s.",
                **i,
            )
        elif self.method == "pool_by_value":
            sentence = _(
                "Geleverde waarde %(value)s; alle partners samen leverden %(total_value)s, meer "
                "dan de pot. Deel van de pot: %(pool)s × %(value)s / %(total_value)s.",
                **i,
            )
        elif self.method == "value":
            sentence = _("Geleverde waarde %(value)s.", **i)
        elif self.method == "refund":
            sentence = _(
                "Terug naar de financier: overschot %(surplus)s × bijdrage %(contribution)s / "
                "pot %(pool)s.",
                **i,
            )
        elif self.method == "advance":
            sentence = _(
                "Voorschot: jaarbedrag %(yearly)s over %(periods)s perioden naar gewicht "
                "%(weight)s.",
                **i,
            )
        elif self.method == "adjustment":
            sentence = _(
                "(%(actual)s - %(contracted)s cliënten) × %(per_client)s per cliënt "
                "(plafond %(ceiling)s / %(contracted)s cliënten).",
                **i,
            )
        elif self.method == "innovation":
            sentence = _(
                "%(units)s eenheden × (individueel tarief %(tariff)s - groepstarief "
                "%(group_tariff)s).",
                **i,
            )
        elif self.method == "arrangement":
            sentence = _(
                "Gewogen gemiddelde van de historische kosten %(average)s per cliënt (%(clients)s "
                "cliënten), min de landelijke korting van %(cut)s%%.",
                **i,
            )
        elif self.method == "client":
            sentence = _(
                "Tarief %(tariff)s × %(days)s van de %(year_days)s dagen van het jaar.", **i
            )
        elif self.method == "quality":
            sentence = _("Kwaliteit: %(percentage)s%% van %(funded)s.", **i)
        else:
            sentence = _("Berekend volgens de regel %(method)s.", method=self.method)
        if self.adjustment_cents and self.rounding == HALF_UP:
            sentence += " " + _(
                "Exact %(exact)s, afgerond op hele centen.", exact=number_text(self.exact)
            )
        elif self.adjustment_cents:
            sentence += " " + _(
                "Exact %(exact)s; %(cents)s cent erbij zodat de delen samen precies het totaal "
                "zijn.",
                exact=number_text(self.exact),
                cents=abs(self.adjustment_cents),
            )
        return sentence


# Inputs shown as money in Explanation.text(); the others are numbers.
_MONEY_INPUTS = {
    "proposed",
    "distributable",
    "value",
    "scale_total",
    "total",
    "reserve",
    "tariff",
    "pool",
    "total_value",
    "surplus",
    "contribution",
    "yearly",
    "ceiling",
    "per_client",
    "group_tariff",
    "average",
    "funded",
}


def explained_split(
    total: Decimal,
    weights: Sequence[tuple[str, Decimal]],
    method: str,
    inputs: Mapping[str, Mapping[str, object]] | None = None,
) -> list[tuple[str, Decimal, Explanation]]:
    """Split ``total`` over ``(id, weight)`` pairs by largest remainder, in the given order
    (the caller sorts), each part with its :class:`Explanation`. ``inputs[id]`` adds figures
    to that id's explanation. The weights must have a positive sum."""
    parts = split(total, [w for _id, w in weights])
    weight_sum = sum((Fraction(w) for _id, w in weights), Fraction(0))
    result = []
    for (key, weight), part in zip(weights, parts, strict=True):
        exact = Fraction(total) * Fraction(weight) / weight_sum
        figures = dict((inputs or {}).get(key, {}))
        result.append((key, part, Explanation.of(method, figures, exact, part)))
    return result


@dataclass(frozen=True)
class VolumeLine:
    """A volume (hours, units, clients) at a tariff, e.g. 1 200 hours at € 58,40."""

    volume: Decimal
    tariff: Decimal
    product: str = ""

    def __post_init__(self) -> None:
        volume = number(self.volume, "volume")
        object.__setattr__(self, "volume", volume)
        object.__setattr__(self, "tariff", amount(self.tariff, _("Een tarief"), "tariff"))
        not_negative(volume, _("Een volume"), "volume")
        not_negative(self.tariff, _("Een tarief"), "tariff")

    @property
    def value(self) -> Decimal:
        """Volume × tariff, exactly (may have fractions of a cent)."""
        with localcontext(EXACT):
            return self.volume * self.tariff


@dataclass(frozen=True)
class Reserve:
    """A part of the budget set aside first for citizen initiatives.

    Exactly one of ``amount`` (euros) and ``percent`` (of the total). ``initiatives``: the
    initiatives' ids, or a mapping of id to weight (e.g. the amounts they asked for); the
    reserve is divided in proportion to the weights, equally when only ids are given. With no
    initiatives (yet) the reserve stays set aside, unassigned.
    """

    amount: Decimal | None = None
    percent: Decimal | None = None
    initiatives: Mapping[str, Decimal] | Sequence[str] = ()


@dataclass(frozen=True)
class Share:
    """One partner's (or initiative's) part. For proposals, ``proposed`` is what it asked
    for, ``difference`` its proportional part of what all proposals together are off by, and
    ``suggested = proposed + difference`` (what it would get if the proposals were scaled to
    fit). For volume × tariff, ``lines`` are its volumes."""

    partner: str
    amount: Decimal
    explanation: Explanation
    proposed: Decimal | None = None
    difference: Decimal | None = None
    lines: tuple[VolumeLine, ...] = ()

    @property
    def suggested(self) -> Decimal | None:
        if self.proposed is None or self.difference is None:
            return None
        return self.proposed + self.difference


@dataclass(frozen=True)
class ReserveResult:
    """The reserve as set aside: ``amount = sum of shares + unassigned``."""

    amount: Decimal
    explanation: Explanation
    shares: tuple[Share, ...]
    unassigned: Decimal


@dataclass(frozen=True)
class Allocation:
    """A budget divided. Always ``sum(shares) + reserve + unallocated == total``.

    ``unallocated``: the part no partner received (volume × tariff below the budget), or for
    unbalanced proposals ``distributable - sum(proposals)``, which is negative when the
    proposals ask for more than there is. ``scale``: for volume × tariff above the budget,
    the exact factor every value was multiplied by (< 1); otherwise ``None``.
    ``total_value``: for volume × tariff, all values together, exactly.
    """

    method: str
    total: Decimal
    distributable: Decimal
    shares: tuple[Share, ...]
    reserve: ReserveResult | None = None
    unallocated: Decimal = ZERO
    scale: Fraction | None = None
    balanced: bool = True
    total_value: Decimal | None = None

    @property
    def amounts(self) -> dict[str, Decimal]:
        """Every partner's and initiative's amount, by id."""
        result = {s.partner: s.amount for s in self.shares}
        if self.reserve is not None:
            result.update({s.partner: s.amount for s in self.reserve.shares})
        return result

    def notes(self) -> list[str]:
        """What a reader must know beyond the shares, in plain Dutch."""
        notes = []
        if self.reserve is not None and self.reserve.unassigned:
            notes.append(
                _(
                    "%(amount)s van de reserve is nog niet aan initiatieven toegekend.",
                    amount=money_text(self.reserve.unassigned),
                )
            )
        if self.method == PROPOSALS and not self.balanced:
            gap = self.unallocated
            notes.append(
                _(
                    "De voorstellen zijn samen %(gap)s te hoog. Pas ze aan voordat de "
                    "verdeling wordt afgesproken.",
                    gap=money_text(-gap),
                )
                if gap < 0
                else _(
                    "De voorstellen zijn samen %(gap)s te laag. Pas ze aan voordat de "
                    "verdeling wordt afgesproken.",
                    gap=money_text(gap),
                )
            )
        if self.scale is not None:
            notes.append(
                _(
                    "Volume × tarief (%(value)s) is meer dan het budget (%(budget)s). Alle "
                    "delen zijn naar verhouding verlaagd.",
                    value=money_text(self.total_value or ZERO),
                    budget=money_text(self.distributable),
                )
            )
        elif self.method == VOLUME_TARIFF and self.unallocated:
            notes.append(
                _(
                    "Volume × tarief is minder dan het budget. %(rest)s blijft over en is niet "
                    "verdeeld.",
                    rest=money_text(self.unallocated),
                )
            )
        return notes


# --- shared steps ---------------------------------------------------------------------------


def _total(total: object) -> Decimal:
    return not_negative(amount(total, _("Het budget"), "total"), _("Het budget"), "total")


def _ids(ids: Iterable[str], what: str) -> list[str]:
    """Ids sorted, so the result does not depend on the input order; doubles refused."""
    result = list(ids)
    for key in result:
        if not isinstance(key, str) or not key:
            raise TypeError(f"{what} ids must be non-empty strings, not {key!r}")
    if len(set(result)) != len(result):
        raise ContractRuleError(_("Een partner staat twee keer in de verdeling."), "partners")
    if not result:
        raise ContractRuleError(_("Er is geen partner om het budget over te verdelen."), "partners")
    return sorted(result)


def _set_aside(total: Decimal, reserve: Reserve | None, partners: Iterable[str]):
    """The reserve (set aside first and divided among the initiatives) and what remains."""
    if reserve is None:
        return None, total
    if (reserve.amount is None) == (reserve.percent is None):
        raise ContractRuleError(
            _("Geef de reserve op als bedrag of als percentage, niet allebei."), "reserve"
        )
    if reserve.percent is not None:
        pct = percentage(reserve.percent, _("Het percentage van de reserve"), "reserve")
        reserved = split(total, [100 - pct, pct])[1]
        inputs: dict[str, object] = {"percentage": pct, "total": total}
        exact = Fraction(total) * Fraction(pct) / 100
    else:
        reserved = amount(reserve.amount, _("De reserve"), "reserve")
        not_negative(reserved, _("De reserve"), "reserve")
        if reserved > total:
            raise ContractRuleError(
                _(
                    "De reserve (%(reserve)s) is groter dan het budget (%(total)s).",
                    reserve=money_text(reserved),
                    total=money_text(total),
                ),
                "reserve",
            )
        inputs = {"reserve": reserved, "total": total}
        exact = Fraction(reserved)
    explanation = Explanation.of("reserve", inputs, exact, reserved)

    initiatives = reserve.initiatives
    if isinstance(initiatives, Mapping):
        weights = {
            key: not_negative(number(w, "weight"), _("Het gewicht van een initiatief"))
            for key, w in initiatives.items()
        }
    else:
        weights = {key: Decimal(1) for key in initiatives}
    shares: tuple[Share, ...] = ()
    unassigned = reserved
    if weights:
        ids = _ids(weights, "initiative")
        if set(ids) & set(partners):
            raise ContractRuleError(
                _("Een initiatief kan niet ook partner in dezelfde verdeling zijn."), "reserve"
            )
        weight_total = sum(weights.values(), Decimal(0))
        if weight_total <= 0:
            raise ContractRuleError(_("De gewichten van de initiatieven zijn samen 0."), "reserve")
        figures = {
            k: {"reserve": reserved, "weight": weights[k], "weight_total": weight_total}
            for k in ids
        }
        parts = explained_split(reserved, [(k, weights[k]) for k in ids], "initiative", figures)
        shares = tuple(Share(k, part, why) for k, part, why in parts)
        unassigned = ZERO
    result = ReserveResult(reserved, explanation, shares, unassigned)
    return result, total - reserved


# --- the four methods -----------------------------------------------------------------------


def allocate_proposals(
    total: Decimal, proposals: Mapping[str, Decimal], *, reserve: Reserve | None = None
) -> Allocation:
    """The partners' own proposed amounts, as consolidated by the lead party.

    Balanced when they add up to the distributable amount exactly. Otherwise every share
    carries ``difference`` (its part of the gap, in proportion to its proposal; equal parts
    when all proposals are 0) and ``suggested``; ``unallocated`` is the gap itself.
    """
    budget = _total(total)
    ids = _ids(proposals, "partner")
    proposed = {}
    for key in ids:
        label = _("Het voorstel van %(partner)s", partner=key)
        proposed[key] = not_negative(amount(proposals[key], label, key), label, key)
    reserved, distributable = _set_aside(budget, reserve, ids)
    gap = distributable - sum(proposed.values(), ZERO)
    differences = dict.fromkeys(ids, ZERO)
    if gap:
        basis = [proposed[k] for k in ids]
        if not any(basis):
            basis = [Decimal(1)] * len(ids)
        differences = dict(zip(ids, split(gap, basis), strict=True))
    shares = tuple(
        Share(
            key,
            proposed[key],
            Explanation.of(
                "proposal", {"proposed": proposed[key]}, Fraction(proposed[key]), proposed[key]
            ),
            proposed=proposed[key],
            difference=differences[key],
        )
        for key in ids
    )
    return Allocation(
        method=PROPOSALS,
        total=budget,
        distributable=distributable,
        shares=shares,
        reserve=reserved,
        unallocated=gap,
        balanced=not gap,
    )


def allocate_percentages(
    total: Decimal, percentages: Mapping[str, Decimal], *, reserve: Reserve | None = None
) -> Allocation:
    """Fixed percentages of the distributable amount; they must add up to exactly 100."""
    budget = _total(total)
    ids = _ids(percentages, "partner")
    pct = {}
    for key in ids:
        pct[key] = percentage(
            percentages[key], _("Het percentage van %(partner)s", partner=key), key
        )
    pct_total = sum(pct.values(), Decimal(0))
    if pct_total != 100:
        raise ContractRuleError(
            _(
                "De percentages tellen op tot %(total)s%%, maar moeten samen precies 100%% zijn.",
                total=number_text(pct_total),
            ),
            "percentages",
        )
    reserved, distributable = _set_aside(budget, reserve, ids)
    figures = {k: {"percentage": pct[k], "distributable": distributable} for k in ids}
    parts = explained_split(distributable, [(k, pct[k]) for k in ids], "percentage", figures)
    return Allocation(
        method=PERCENTAGES,
        total=budget,
        distributable=distributable,
        shares=tuple(Share(k, part, why) for k, part, why in parts),
        reserve=reserved,
    )


def allocate_volume_tariff(
    total: Decimal,
    volumes: Mapping[str, VolumeLine | Sequence[VolumeLine]],
    *,
    reserve: Reserve | None = None,
) -> Allocation:
    """Each partner's volume × tariff (summed over its lines).

    At or below the distributable amount, the values rounded to cents are allocated
    (together rounded once, half up, then split by largest remainder so they add up) and the
    rest is ``unallocated``. Above it, the distributable amount is split in proportion to the
    values (``scale`` = distributable / total value).
    """
    budget = _total(total)
    ids = _ids(volumes, "partner")
    lines = {}
    for key in ids:
        given = volumes[key]
        lines[key] = (given,) if isinstance(given, VolumeLine) else tuple(given)
        if not all(isinstance(line, VolumeLine) for line in lines[key]):
            raise TypeError("volumes must be VolumeLine or sequences of VolumeLine")
    reserved, distributable = _set_aside(budget, reserve, ids)
    with localcontext(EXACT):
        values = {k: sum((line.value for line in lines[k]), Decimal(0)) for k in ids}
        total_value = sum(values.values(), Decimal(0))

    scale = None
    figures: dict[str, dict[str, object]] = {k: {"value": values[k]} for k in ids}
    if total_value > distributable:
        scale = Fraction(distributable) / Fraction(total_value)
        to_divide = distributable
        for k in ids:
            figures[k].update(distributable=distributable, scale_total=total_value)
    else:
        # Rounded once for the whole, so the parts (each within a cent or two of its value)
        # add up to it and never to more than the budget.
        to_divide = min(to_money(total_value), distributable)
    if total_value > 0:
        parts = explained_split(to_divide, [(k, values[k]) for k in ids], "volume_tariff", figures)
    else:
        parts = [
            (k, ZERO, Explanation.of("volume_tariff", figures[k], Fraction(0), ZERO)) for k in ids
        ]
    return Allocation(
        method=VOLUME_TARIFF,
        total=budget,
        distributable=distributable,
        shares=tuple(Share(k, part, why, lines=lines[k]) for k, part, why in parts),
        reserve=reserved,
        unallocated=distributable - to_divide,
        scale=scale,
        total_value=total_value,
    )


def allocate_equal(
    total: Decimal, partners: Iterable[str], *, reserve: Reserve | None = None
) -> Allocation:
    """Equal shares of the distributable amount."""
    budget = _total(total)
    ids = _ids(partners, "partner")
    reserved, distributable = _set_aside(budget, reserve, ids)
    figures = {k: {"distributable": distributable, "partners": len(ids)} for k in ids}
    parts = explained_split(distributable, [(k, Decimal(1)) for k in ids], "equal", figures)
    return Allocation(
        method=EQUAL,
        total=budget,
        distributable=distributable,
        shares=tuple(Share(k, part, why) for k, part, why in parts),
        reserve=reserved,
    )
