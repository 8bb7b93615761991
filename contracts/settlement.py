"""Settling a pooled district budget among the partners that delivered the care.

The case is Handen Ineen in Leeuwarden West (2013-2015): the long-term-care budgets
(personal care, nursing, guidance) and the municipal household-help budget were pooled into
one district budget, and the providers settled delivered care among each other.

The rule, step by step (:func:`settle`):

1. **Pool**: the funders' contributions added up.
2. **Value delivered**: per partner, the sum of its delivery records, quantity × tariff,
   exactly.
3. **Due**: if the value of all partners together is at least the pool, the pool is divided
   in proportion to the value (each partner gets at most its value; ``capped`` when it was
   more). If it is less, every partner is due its value (rounded to cents, together once,
   then split by largest remainder so the parts add up), and the rest of the pool is the
   **surplus**. The surplus goes back to the funders in proportion to their contribution
   (``SURPLUS_TO_FUNDERS``, the default: the funders' budgets are earmarked and
   unspent money is theirs), or stays in the pool for the next period
   (``SURPLUS_CARRIED_OVER``).
4. **Positions**: what a partner is due minus what it already received (advances). The pool
   account (the lead party holding the pool's money) is a position too: what it must end
   with (the surplus) minus what it still holds (the pool minus the advances). The positions
   add up to zero exactly.
5. **Transfers**: the fewest payments that bring every position to zero
   (:func:`fewest_transfers`).
6. A **statement** per partner: what it delivered, is due, received, and pays or receives,
   to or from whom.

Every amount is in whole cents and the result does not depend on the order of the input.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from koepel.contracts.allocation import Explanation, explained_split
from koepel.contracts.errors import (
    EXACT,
    ContractRuleError,
    _,
    amount,
    money_text,
    not_negative,
    number,
)
from koepel.platform.money import to_money

SURPLUS_TO_FUNDERS = "funders"
SURPLUS_CARRIED_OVER = "carry_over"
SURPLUS_RULES = (SURPLUS_TO_FUNDERS, SURPLUS_CARRIED_OVER)

# Up to this many non-zero positions (after exact pairs are settled) the fewest transfers are
# found by an exact search over subsets (2^n steps); above it by the documented greedy rule.
EXACT_LIMIT = 16

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Contribution:
    """A funder's budget put into the pool, e.g. the care office's budget for nursing."""

    funder: str
    scheme: str
    amount: Decimal

    def __post_init__(self) -> None:
        label = _("De bijdrage van %(funder)s", funder=self.funder)
        value = not_negative(amount(self.amount, label, "contributions"), label, "contributions")
        object.__setattr__(self, "amount", value)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A partner's delivery record: ``quantity`` hours or units of ``product`` at ``tariff``.

    Checked when made, so a settlement over many records only adds them up."""

    partner: str
    quantity: Decimal
    tariff: Decimal
    unit: str = "uur"
    product: str = ""

    def __post_init__(self) -> None:
        quantity = number(self.quantity, "quantity")
        if quantity < 0:
            raise ContractRuleError(
                _("Een geleverde hoeveelheid kan niet negatief zijn."), "quantity"
            )
        object.__setattr__(self, "quantity", quantity)
        tariff = amount(self.tariff, _("Een tarief"), "tariff")
        object.__setattr__(self, "tariff", not_negative(tariff, _("Een tarief"), "tariff"))


@dataclass(frozen=True, order=True)
class Transfer:
    """``payer`` pays ``amount`` (> 0) to ``payee``."""

    payer: str
    payee: str
    amount: Decimal


@dataclass(frozen=True)
class DeliveredLine:
    """A partner's deliveries of one product at one tariff, added up."""

    product: str
    unit: str
    tariff: Decimal
    quantity: Decimal
    value: Decimal  # quantity × tariff, exact (may have fractions of a cent)


@dataclass(frozen=True)
class Statement:
    """One partner's settlement: ``position = due - received``; a positive position is
    received through ``receives``, a negative one paid through ``pays``."""

    partner: str
    delivered: tuple[DeliveredLine, ...]
    value: Decimal
    due: Decimal
    due_explanation: Explanation
    received: Decimal
    position: Decimal
    pays: tuple[Transfer, ...]
    receives: tuple[Transfer, ...]

    def summary(self) -> str:
        """The statement in one plain Dutch paragraph."""
        parts = [
            _(
                "Geleverd: %(value)s. Te ontvangen uit de pot: %(due)s. Al ontvangen als "
                "voorschot: %(received)s.",
                value=money_text(self.value),
                due=money_text(self.due),
                received=money_text(self.received),
            )
        ]
        for t in self.pays:
            parts.append(
                _("Betaalt %(amount)s aan %(to)s.", amount=money_text(t.amount), to=t.payee)
            )
        for t in self.receives:
            parts.append(
                _(
                    "Ontvangt %(amount)s van %(from)s.",
                    amount=money_text(t.amount),
                    **{"from": t.payer},
                )
            )
        if not self.position:
            parts.append(_("Er hoeft niets betaald of ontvangen te worden."))
        return " ".join(parts)


@dataclass(frozen=True)
class Refund:
    """Part of the surplus returned to the funder of ``contribution``."""

    contribution: Contribution
    amount: Decimal
    explanation: Explanation


@dataclass(frozen=True)
class Settlement:
    """A settled pool. ``sum(due) + surplus == pool``; ``sum(positions) == 0``; applying
    ``transfers`` brings every position to zero. ``positions`` includes the pool account
    (``pool_account``) when it must pay or receive. ``exact``: the transfers are proven the
    fewest possible (otherwise they come from the greedy rule, at most n - 1)."""

    pool: Decimal
    contributions: tuple[Contribution, ...]
    total_value: Decimal
    capped: bool
    due: Mapping[str, Decimal]
    surplus: Decimal
    surplus_rule: str
    refunds: tuple[Refund, ...]
    pool_account: str
    pool_held: Decimal
    positions: Mapping[str, Decimal]
    transfers: tuple[Transfer, ...]
    exact: bool
    statements: tuple[Statement, ...]

    def statement(self, partner: str) -> Statement:
        for s in self.statements:
            if s.partner == partner:
                return s
        raise KeyError(partner)


# --- fewest transfers -----------------------------------------------------------------------


def _pairs(cents: dict[str, int]) -> tuple[list[tuple[str, str, int]], dict[str, int]]:
    """Settle every debtor whose debt equals a creditor's claim with one transfer.

    Safe for the minimum: for any pair ``a``, ``-a`` some optimal plan settles exactly that
    pair on its own (in a partition into zero-sum groups, the groups holding ``a`` and ``-a``
    can be regrouped into ``{a, -a}`` and the rest without losing a group)."""
    creditors: dict[int, list[str]] = defaultdict(list)
    debtors: dict[int, list[str]] = defaultdict(list)
    for key in sorted(cents):
        (creditors if cents[key] > 0 else debtors)[abs(cents[key])].append(key)
    transfers = []
    rest = dict(cents)
    for size in sorted(set(creditors) & set(debtors)):
        for payee, payer in zip(creditors[size], debtors[size], strict=False):
            transfers.append((payer, payee, size))
            del rest[payer], rest[payee]
    return transfers, rest


def _largest_first(cents: dict[str, int]) -> list[tuple[str, str, int]]:
    """The largest creditor is paid by the largest debtor, for as much as the smaller of the
    two; ties go to the lower id. Every transfer settles at least one of the two and the last
    settles both, so n positions need at most n - 1 transfers."""
    creditors = [(-c, key) for key, c in cents.items() if c > 0]
    debtors = [(c, key) for key, c in cents.items() if c < 0]
    heapq.heapify(creditors)
    heapq.heapify(debtors)
    transfers = []
    while creditors and debtors:
        claim, payee = heapq.heappop(creditors)
        debt, payer = heapq.heappop(debtors)
        paid = min(-claim, -debt)
        transfers.append((payer, payee, paid))
        if -claim > paid:
            heapq.heappush(creditors, (claim + paid, payee))
        if -debt > paid:
            heapq.heappush(debtors, (debt + paid, payer))
    return transfers


def _zero_sum_groups(keys: list[str], values: list[int]) -> list[list[str]]:
    """Split the positions into the largest number of disjoint groups that each add up to 0.

    The fewest transfers for n positions is n minus that number (a group of k needs k - 1
    and no fewer, else it would hold a smaller zero-sum group). ``best[mask]``: the most
    zero-sum prefixes over all orders of the positions in ``mask``; O(2^n · n)."""
    n = len(values)
    size = 1 << n
    total = [0] * size
    for mask in range(1, size):
        low = mask & -mask
        total[mask] = total[mask ^ low] + values[low.bit_length() - 1]
    best = [0] * size
    for mask in range(1, size):
        most = 0
        rest = mask
        while rest:
            low = rest & -rest
            if best[mask ^ low] > most:
                most = best[mask ^ low]
            rest ^= low
        best[mask] = most + (total[mask] == 0)
    # Walk back from the full set; every zero-sum set on the way closes a group.
    groups: list[list[str]] = []
    mask, previous = size - 1, size - 1
    while mask:
        zero = total[mask] == 0
        if zero and mask != previous:
            groups.append([keys[i] for i in range(n) if (previous ^ mask) >> i & 1])
            previous = mask
        rest = mask
        while rest:
            low = rest & -rest
            if best[mask ^ low] + zero == best[mask]:
                mask ^= low
                break
            rest ^= low
    groups.append([keys[i] for i in range(n) if previous >> i & 1])
    return groups


def fewest_transfers(
    positions: Mapping[str, Decimal], *, exact_limit: int = EXACT_LIMIT
) -> tuple[tuple[Transfer, ...], bool]:
    """The fewest transfers that bring every position (receive > 0, pay < 0) to zero.

    First every debtor and creditor with exactly equal amounts settle with each other (pairs
    in id order). If at most ``exact_limit`` non-zero positions remain, an exact search finds
    the fewest transfers: positions minus the largest number of disjoint zero-sum groups,
    each group settled largest-first. Above the limit the largest creditor is paid by the
    largest debtor until all are settled: at most n - 1 transfers, not always the fewest.
    Returns the transfers (sorted by payer, payee) and whether they are proven fewest.
    """
    cents: dict[str, int] = {}
    for key, value in positions.items():
        money = amount(value, _("Een positie"), "positions")
        if money:
            cents[key] = int(money.scaleb(2))
    if sum(cents.values()) != 0:
        raise ContractRuleError(
            _(
                "De posities tellen op tot %(sum)s in plaats van 0.",
                sum=money_text(Decimal(sum(cents.values())).scaleb(-2)),
            ),
            "positions",
        )
    transfers, rest = _pairs(cents)
    exact = len(rest) <= exact_limit
    if exact and rest:
        keys = sorted(rest)
        for group in _zero_sum_groups(keys, [rest[k] for k in keys]):
            transfers += _largest_first({k: rest[k] for k in group})
    else:
        transfers += _largest_first(rest)
    result = sorted(Transfer(payer, payee, Decimal(c).scaleb(-2)) for payer, payee, c in transfers)
    return tuple(result), exact


# --- the settlement -------------------------------------------------------------------------


def _delivered(
    partners: Sequence[str], deliveries: Iterable[Delivery]
) -> dict[str, list[DeliveredLine]]:
    known = set(partners)
    totals: dict[tuple[str, str, str, Decimal], Decimal] = defaultdict(Decimal)
    with localcontext(EXACT):
        for d in deliveries:
            totals[d.partner, d.product, d.unit, d.tariff] += d.quantity
        unknown = {key[0] for key in totals} - known
        if unknown:
            raise ContractRuleError(
                _(
                    "Er is zorg geleverd door %(who)s, maar die is geen partner in deze pot.",
                    who=", ".join(sorted(unknown)),
                ),
                "deliveries",
            )
        lines: dict[str, list[DeliveredLine]] = {p: [] for p in partners}
        for (partner, product, unit, tariff), quantity in sorted(totals.items()):
            lines[partner].append(DeliveredLine(product, unit, tariff, quantity, quantity * tariff))
    return lines


def settle(
    contributions: Sequence[Contribution],
    partners: Iterable[str],
    deliveries: Iterable[Delivery],
    advances: Mapping[str, Decimal] | None = None,
    *,
    pool_account: str = "pot",
    surplus_rule: str = SURPLUS_TO_FUNDERS,
    exact_limit: int = EXACT_LIMIT,
) -> Settlement:
    """Settle the pool at the end of a period; see the module's docstring for the rule.

    ``advances``: what each partner already received from the pool. ``pool_account``: the
    id under which the pool's own money (held by the lead party) takes part in the
    transfers; it must not be a partner's id.
    """
    if surplus_rule not in SURPLUS_RULES:
        raise ValueError(f"unknown surplus rule {surplus_rule!r}; known: {SURPLUS_RULES}")
    ids = sorted(partners)
    if not ids:
        raise ContractRuleError(_("Er is geen partner om mee te verrekenen."), "partners")
    if len(set(ids)) != len(ids):
        raise ContractRuleError(_("Een partner staat twee keer in de pot."), "partners")
    if pool_account in ids:
        raise ValueError("pool_account must differ from every partner id")
    funds = tuple(sorted(contributions, key=lambda c: (c.funder, c.scheme, c.amount)))
    if not funds:
        raise ContractRuleError(_("Er is nog geen bijdrage in de pot."), "contributions")
    if len({(c.funder, c.scheme) for c in funds}) != len(funds):
        raise ContractRuleError(
            _("Een financier staat twee keer met dezelfde regeling in de pot."), "contributions"
        )
    pool = sum((c.amount for c in funds), ZERO)

    received = dict.fromkeys(ids, ZERO)
    for key, value in (advances or {}).items():
        if key not in received:
            raise ContractRuleError(
                _("%(who)s heeft een voorschot, maar is geen partner in deze pot.", who=key),
                "advances",
            )
        label = _("Het voorschot van %(partner)s", partner=key)
        received[key] = not_negative(amount(value, label, "advances"), label, "advances")
    advanced = sum(received.values(), ZERO)
    if advanced > pool:
        raise ContractRuleError(
            _(
                "De voorschotten (%(advanced)s) zijn samen meer dan de pot (%(pool)s).",
                advanced=money_text(advanced),
                pool=money_text(pool),
            ),
            "advances",
        )

    lines = _delivered(ids, deliveries)
    with localcontext(EXACT):
        values = {p: sum((line.value for line in lines[p]), Decimal(0)) for p in ids}
        total_value = sum(values.values(), Decimal(0))
    capped = total_value > pool
    to_divide = pool if capped else to_money(total_value)
    figures = {p: {"pool": pool, "value": values[p], "total_value": total_value} for p in ids}
    if total_value > 0:
        method = "pool_by_value" if capped else "value"
        parts = explained_split(to_divide, [(p, values[p]) for p in ids], method, figures)
    else:
        parts = [(p, ZERO, Explanation.of("value", figures[p], Fraction(0), ZERO)) for p in ids]
    due = {p: part for p, part, _why in parts}
    why = {p: explanation for p, _part, explanation in parts}
    surplus = pool - to_divide

    refunds: tuple[Refund, ...] = ()
    if surplus and surplus_rule == SURPLUS_TO_FUNDERS:
        keys = [(str(i), c.amount) for i, c in enumerate(funds)]
        inputs = {
            str(i): {"surplus": surplus, "contribution": c.amount, "pool": pool}
            for i, c in enumerate(funds)
        }
        shares = explained_split(surplus, keys, "refund", inputs)
        refunds = tuple(Refund(funds[int(i)], part, x) for i, part, x in shares)

    held = pool - advanced
    positions = {p: due[p] - received[p] for p in ids}
    positions[pool_account] = surplus - held
    assert sum(positions.values()) == 0  # due + surplus == pool == advanced + held
    transfers, exact = fewest_transfers(positions, exact_limit=exact_limit)

    statements = tuple(
        Statement(
            partner=p,
            delivered=tuple(lines[p]),
            value=values[p],
            due=due[p],
            due_explanation=why[p],
            received=received[p],
            position=positions[p],
            pays=tuple(t for t in transfers if t.payer == p),
            receives=tuple(t for t in transfers if t.payee == p),
        )
        for p in ids
    )
    return Settlement(
        pool=pool,
        contributions=funds,
        total_value=total_value,
        capped=capped,
        due=due,
        surplus=surplus,
        surplus_rule=surplus_rule,
        refunds=refunds,
        pool_account=pool_account,
        pool_held=held,
        positions={k: v for k, v in positions.items() if v or k != pool_account},
        transfers=transfers,
        exact=exact,
        statements=statements,
    )


def apply_transfers(
    positions: Mapping[str, Decimal], transfers: Iterable[Transfer]
) -> dict[str, Decimal]:
    """The positions after the transfers (all zero when they settle everything)."""
    after = dict(positions)
    for t in transfers:
        after[t.payer] = after.get(t.payer, ZERO) + t.amount
        after[t.payee] = after.get(t.payee, ZERO) - t.amount
    return after
