"""What is typed for an allocation version, and the rule it goes into.

Partners go into the rules of ``koepel.contracts.allocation`` under a key made from their
organisation's number (zero-padded, so the rules' order, and who gets a rounding cent on a
tie, follows that number); initiatives of the reserve under their name. ``compute`` runs the
method's rule on what was typed; a refusal names the partner's key as its field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from koepel.contracts import allocation as rules
from koepel.contracts.budgeting import BudgetError
from koepel.contracts.errors import ContractRuleError, _
from koepel.contracts.models.budgets import AllocationMethod


# -- keys for the rules -----------------------------------------------------------------------
def partner_key(org_id: int) -> str:
    """The id under which a partner goes into the rules: zero-padded, so the rules' order
    (and who gets a rounding cent on a tie) follows the organisation's number."""
    return f"p{org_id:012d}"


def key_partner(key: str | None) -> int | None:
    if key and key.startswith("p") and key[1:].isdigit():
        return int(key[1:])
    return None


def _initiative_key(name: str) -> str:
    return f"i:{name}"


# -- input -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VolumeInput:
    volume: Decimal
    tariff: Decimal
    product: str = ""


@dataclass
class ShareInput:
    """What is typed for one partner: a proposed amount, a percentage or volume lines."""

    proposed: Decimal | None = None
    percentage: Decimal | None = None
    lines: Sequence[VolumeInput] = ()


@dataclass
class ReserveInput:
    """Exactly one of ``amount`` and ``percent``; ``initiatives`` by name, with a weight
    (e.g. the amount asked for) or None for equal parts."""

    amount: Decimal | None = None
    percent: Decimal | None = None
    initiatives: Mapping[str, Decimal | None] = field(default_factory=dict)


def parse_initiatives(text: str) -> dict[str, Decimal | None]:
    """Initiatives as typed, one per line: "Buurtbus Oost" or "Buurtbus Oost: 2500"."""
    from koepel.platform.money import MoneyParseError, parse_money

    result: dict[str, Decimal | None] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, sep, weight = line.rpartition(":") if ":" in line else (line, "", "")
        name = name.strip()
        if not name or len(name) > 200:
            raise BudgetError(
                _("Regel %(n)s: geef het initiatief een naam (hoogstens 200 tekens).", n=number),
                "initiatives",
            )
        if name in result:
            raise BudgetError(
                _("Regel %(n)s: %(name)s staat er twee keer in.", n=number, name=name),
                "initiatives",
            )
        value = None
        if sep:
            try:
                value = parse_money(weight.strip())
            except MoneyParseError:
                raise BudgetError(
                    _(
                        "Regel %(n)s: schrijf het gewicht als een bedrag, bijvoorbeeld "
                        "Buurtbus: 2.500.",
                        n=number,
                    ),
                    "initiatives",
                ) from None
            if value < 0:
                raise BudgetError(
                    _("Regel %(n)s: een gewicht kan niet negatief zijn.", n=number), "initiatives"
                )
        result[name] = value
    return result


def _reserve(reserve: ReserveInput | None) -> rules.Reserve | None:
    if reserve is None or (reserve.amount is None and reserve.percent is None):
        if reserve is not None and reserve.initiatives:
            raise BudgetError(
                _("Geef de reserve een bedrag of percentage, of laat de initiatieven leeg."),
                "reserve_amount",
            )
        return None
    initiatives: Mapping[str, Decimal] | list[str]
    names = list(reserve.initiatives)
    if any(w is not None for w in reserve.initiatives.values()):
        missing = [n for n, w in reserve.initiatives.items() if w is None]
        if missing:
            raise BudgetError(
                _(
                    "Geef elk initiatief een gewicht, of geen enkel (dan delen ze gelijk). "
                    "Zonder gewicht: %(names)s.",
                    names=", ".join(missing),
                ),
                "initiatives",
            )
        initiatives = {_initiative_key(n): w for n, w in reserve.initiatives.items()}
    else:
        initiatives = [_initiative_key(n) for n in names]
    return rules.Reserve(amount=reserve.amount, percent=reserve.percent, initiatives=initiatives)


def compute(
    method: AllocationMethod,
    total: Decimal,
    partner_ids: Sequence[int],
    inputs: Mapping[int, ShareInput],
    reserve: ReserveInput | None = None,
) -> rules.Allocation:
    """Run the rule for ``method`` on what was typed (partners by organisation id)."""
    keys = {pid: partner_key(pid) for pid in partner_ids}
    given = {pid: inputs.get(pid) or ShareInput() for pid in partner_ids}
    reserved = _reserve(reserve)
    if method == AllocationMethod.PROPOSALS:
        missing = [pid for pid in partner_ids if given[pid].proposed is None]
        if missing:
            raise ContractRuleError(
                _("Vul voor elke partner een voorgesteld bedrag in."), keys[missing[0]]
            )
        return rules.allocate_proposals(
            total, {keys[p]: given[p].proposed for p in partner_ids}, reserve=reserved
        )
    if method == AllocationMethod.PERCENTAGES:
        missing = [pid for pid in partner_ids if given[pid].percentage is None]
        if missing:
            raise ContractRuleError(
                _("Vul voor elke partner een percentage in (0 mag ook)."), keys[missing[0]]
            )
        return rules.allocate_percentages(
            total, {keys[p]: given[p].percentage for p in partner_ids}, reserve=reserved
        )
    if method == AllocationMethod.VOLUME_TARIFF:
        volumes = {}
        for pid in partner_ids:
            if not given[pid].lines:
                raise ContractRuleError(
                    _("Vul voor elke partner een volume en een tarief in."), keys[pid]
                )
            volumes[keys[pid]] = [
                rules.VolumeLine(line.volume, line.tariff, line.product)
                for line in given[pid].lines
            ]
        return rules.allocate_volume_tariff(total, volumes, reserve=reserved)
    return rules.allocate_equal(total, [keys[p] for p in partner_ids], reserve=reserved)
