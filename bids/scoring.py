"""Evaluating the bids on a lot: weighted scores, ranking, abnormally low prices, award.

Pure functions on plain dataclasses; ``Decimal`` in and out, never float. Intermediate
values are exact fractions, so each published figure is rounded exactly once (to 0.01,
ROUND_HALF_UP, as people expect on paper).

The rule, in the words an award letter can use:

- Each criterion has a weight in percent (the weights add up to exactly 100) and a
  maximum number of points (10 unless stated).
- **Price** (at most one criterion): the lowest price among the valid bids on the lot gets
  the maximum; any other bid gets ``max_points * lowest price / its price``.
- **Quality**: the consensus score the assessors gave, between 0 and the maximum.
- **Total** (out of 100): the sum over the criteria of ``weight * points / max_points``,
  rounded once to 0.01. The price and quality subtotals and the points per criterion are
  each rounded on their own for display, so their sum may differ from the total by a cent.
- **Ranking**: highest total first. Equal totals (as published, to 0.01) go to the higher
  quality subtotal (as published), then to the bid submitted first, then to the lower bid
  number. Excluded bids are not ranked.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from koepel.platform.money import CENT, split, to_money, validate_weights_sum_100

PRICE: Literal["price"] = "price"
QUALITY: Literal["quality"] = "quality"
KINDS = (PRICE, QUALITY)

TIE_RULE = "quality_then_earliest"
# What each tie rule means, in Dutch, for the award letter and the evaluation report.
TIE_RULES = {
    TIE_RULE: (
        "Bij een gelijke totaalscore gaat de inschrijving met de hoogste kwaliteitsscore voor; "
        "is die ook gelijk, dan de inschrijving die het eerst is ingediend; daarna het laagste "
        "inschrijvingsnummer."
    ),
}

# abnormally_low: percentages below the mean and below the next higher price.
BELOW_MEAN = Decimal(40)
BELOW_NEXT = Decimal(30)

BidId = Hashable
LotId = Hashable


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{what} must be Decimal or int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what} must be a finite number, not {number}")
    return number


def _shown(value: Fraction) -> Decimal:
    """Round an exact non-negative fraction to 0.01, half up, without an inexact step."""
    cents = math.floor(value * 100 + Fraction(1, 2))
    return Decimal(cents).scaleb(-2).quantize(CENT)


@dataclass(frozen=True)
class Criterion:
    """An award criterion: ``kind`` "price" or "quality", ``weight`` in percent."""

    id: str
    kind: Literal["price", "quality"]
    weight: Decimal
    max_points: Decimal = Decimal(10)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be 'price' or 'quality', not {self.kind!r}")
        object.__setattr__(self, "weight", _decimal(self.weight, "weight"))
        max_points = _decimal(self.max_points, "max_points")
        if max_points <= 0:
            raise ValueError(f"Het maximum aantal punten van {self.id} moet groter dan 0 zijn.")
        object.__setattr__(self, "max_points", max_points)


@dataclass(frozen=True, kw_only=True)
class BidScores:
    """What the evaluation knows of one bid on one lot (after the opening).

    ``scores`` holds the consensus score per quality criterion id. ``submitted_at`` must be
    timezone-aware (UTC, as stored). ``reserved_eligible``: a citizen initiative
    (cooperative or umbrella) that may win a reserved part of the budget.
    """

    bid_id: BidId
    lot_id: LotId
    price: Decimal
    scores: Mapping[str, Decimal]
    submitted_at: datetime
    excluded: bool = False
    reserved_eligible: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "price", _decimal(self.price, "price"))
        if not isinstance(self.submitted_at, datetime) or self.submitted_at.tzinfo is None:
            raise ValueError("submitted_at must be a timezone-aware datetime")


@dataclass(frozen=True)
class Ranked:
    """One bid's place on a lot. Excluded bids have ``rank`` and all figures ``None``.

    ``points``: per criterion id, the price points (rounded to 0.01) or the quality score as
    given. ``price_subtotal`` / ``quality_subtotal``: the weighted contributions out of 100.
    ``tie_broken_by``: when this bid's total equals that of the bid ranked directly above
    it, which step of ``tie_rule`` put that bid first: "quality", "submitted_at" or
    "bid_id"; otherwise ``None``.
    """

    bid_id: BidId
    lot_id: LotId
    rank: int | None
    total: Decimal | None
    price_subtotal: Decimal | None
    quality_subtotal: Decimal | None
    points: Mapping[str, Decimal] | None
    price: Decimal
    submitted_at: datetime
    excluded: bool
    reserved_eligible: bool
    tie_rule: str
    tie_broken_by: str | None = None


@dataclass(frozen=True)
class Award:
    """Who wins a lot and how its budget is divided, to the cent.

    ``main_amount + reserved_amount == budget`` always (largest remainder). ``amounts`` says
    what each awarded bid receives; ``unallocated`` is the reserved part when no valid bid
    may receive it (the buyer decides what happens with it), so
    ``sum(amounts.values()) + unallocated == budget``.
    """

    lot_id: LotId
    winner_id: BidId
    reserved_winner_id: BidId | None
    reserved_share: Decimal
    budget: Decimal
    main_amount: Decimal
    reserved_amount: Decimal
    amounts: Mapping[BidId, Decimal] = field(default_factory=dict)
    unallocated: Decimal = Decimal("0.00")
    tie_rule: str = TIE_RULE


def validate_weights(criteria: Sequence[Criterion]) -> None:
    """Weights add up to exactly 100, each is above 0, at most one price criterion."""
    criteria = list(criteria)
    if not criteria:
        raise ValueError("Er moet minstens één gunningscriterium zijn.")
    ids = [c.id for c in criteria]
    if len(set(ids)) != len(ids):
        raise ValueError("Twee gunningscriteria hebben dezelfde naam.")
    for criterion in criteria:
        if criterion.weight <= 0:
            raise ValueError(f"Het gewicht van {criterion.id} moet groter dan 0% zijn.")
    if sum(1 for c in criteria if c.kind == PRICE) > 1:
        raise ValueError("Er kan hoogstens één prijscriterium zijn.")
    validate_weights_sum_100([c.weight for c in criteria])


def _single_lot(bids: Sequence[BidScores]) -> LotId | None:
    lots = {b.lot_id for b in bids}
    if len(lots) > 1:
        raise ValueError("bids from more than one lot; evaluate each lot on its own")
    ids = [b.bid_id for b in bids]
    if len(set(ids)) != len(ids):
        raise ValueError("a bid_id occurs more than once")
    return next(iter(lots), None)


def _positive_prices(valid: Iterable[BidScores]) -> None:
    for bid in valid:
        if bid.price <= 0:
            raise ValueError(f"De prijs van inschrijving {bid.bid_id} moet groter dan 0 zijn.")


def _check_scores(criteria: Sequence[Criterion], bid: BidScores) -> dict[str, Decimal]:
    quality = {c.id: c for c in criteria if c.kind == QUALITY}
    unknown = set(bid.scores) - set(quality)
    if unknown:
        names = ", ".join(sorted(map(str, unknown)))
        raise ValueError(
            f"Inschrijving {bid.bid_id} heeft scores voor onbekende criteria: {names}."
        )
    checked = {}
    for cid, criterion in quality.items():
        if cid not in bid.scores:
            raise ValueError(f"Inschrijving {bid.bid_id} heeft nog geen score voor {cid}.")
        score = _decimal(bid.scores[cid], "score")
        if not 0 <= score <= criterion.max_points:
            raise ValueError(
                f"De score van inschrijving {bid.bid_id} voor {cid} moet tussen 0 en "
                f"{criterion.max_points} liggen."
            )
        checked[cid] = score
    return checked


def rank_lot(
    criteria: Sequence[Criterion], bids: Sequence[BidScores], tie_rule: str = TIE_RULE
) -> list[Ranked]:
    """Score and rank the bids on one lot.

    Rule (``tie_rule="quality_then_earliest"``, the only one): highest total first; on
    equal totals (as rounded to 0.01) the higher quality subtotal (as rounded) ranks first,
    then the earlier ``submitted_at``, then the lower ``bid_id``. Rank numbers are 1, 2, 3…
    without gaps (the tie rule always separates bids). Excluded bids follow, ordered by
    ``bid_id``, with ``rank=None``. The result does not depend on the order of ``bids``.
    """
    if tie_rule not in TIE_RULES:
        raise ValueError(f"unknown tie rule {tie_rule!r}; known: {', '.join(TIE_RULES)}")
    criteria = list(criteria)
    validate_weights(criteria)
    bids = list(bids)
    _single_lot(bids)
    valid = [b for b in bids if not b.excluded]
    price_criterion = next((c for c in criteria if c.kind == PRICE), None)
    lowest: Decimal | None = None
    if price_criterion is not None and valid:
        _positive_prices(valid)
        lowest = min(b.price for b in valid)

    # Exact per-criterion factors, computed once: weight, and weight per point for quality.
    factors = [
        (c, Fraction(c.weight), Fraction(c.max_points), Fraction(c.weight) / Fraction(c.max_points))
        for c in criteria
    ]
    scored = []
    for bid in valid:
        scores = _check_scores(criteria, bid)
        points: dict[str, Decimal] = {}
        price_part = quality_part = Fraction(0)
        for criterion, weight, max_points, per_point in factors:
            if criterion.kind == PRICE:
                assert lowest is not None
                ratio = Fraction(lowest) / Fraction(bid.price)  # 1 for the lowest price
                points[criterion.id] = _shown(max_points * ratio)
                price_part += weight * ratio
            else:
                points[criterion.id] = scores[criterion.id]
                quality_part += per_point * Fraction(scores[criterion.id])
        total = _shown(price_part + quality_part)
        quality_subtotal = _shown(quality_part)
        key = (-total, -quality_subtotal, bid.submitted_at, bid.bid_id)
        scored.append((key, bid, total, _shown(price_part), quality_subtotal, points))

    scored.sort(key=lambda item: item[0])
    result = []
    previous_key = None
    for rank, (key, bid, total, price_subtotal, quality_subtotal, points) in enumerate(scored, 1):
        broken_by = None
        if previous_key is not None and previous_key[0] == key[0]:
            if previous_key[1] != key[1]:
                broken_by = "quality"
            elif previous_key[2] != key[2]:
                broken_by = "submitted_at"
            else:
                broken_by = "bid_id"
        previous_key = key
        result.append(
            Ranked(
                bid_id=bid.bid_id,
                lot_id=bid.lot_id,
                rank=rank,
                total=total,
                price_subtotal=price_subtotal,
                quality_subtotal=quality_subtotal,
                points=points,
                price=bid.price,
                submitted_at=bid.submitted_at,
                excluded=False,
                reserved_eligible=bid.reserved_eligible,
                tie_rule=tie_rule,
                tie_broken_by=broken_by,
            )
        )
    for bid in sorted((b for b in bids if b.excluded), key=lambda b: b.bid_id):
        result.append(
            Ranked(
                bid_id=bid.bid_id,
                lot_id=bid.lot_id,
                rank=None,
                total=None,
                price_subtotal=None,
                quality_subtotal=None,
                points=None,
                price=bid.price,
                submitted_at=bid.submitted_at,
                excluded=True,
                reserved_eligible=bid.reserved_eligible,
                tie_rule=tie_rule,
            )
        )
    return result


def abnormally_low(
    bids: Sequence[BidScores],
    *,
    below_mean: Decimal = BELOW_MEAN,
    below_next: Decimal = BELOW_NEXT,
) -> set[BidId]:
    """Valid bids on one lot whose price the buyer should examine (they stay in the ranking).

    Flagged: a price at least ``below_mean`` (40) % below the mean of all valid prices on
    the lot (the bid's own included), i.e. ``price <= mean * 0.60``; or at least
    ``below_next`` (30) % below the next higher price, i.e. ``price <= next * 0.70``, where
    the next higher price is the lowest valid price strictly above this one (an equal price
    does not count). Comparisons are exact, so a price exactly on a boundary is flagged.
    """
    below_mean = _decimal(below_mean, "below_mean")
    below_next = _decimal(below_next, "below_next")
    bids = list(bids)
    _single_lot(bids)
    valid = [b for b in bids if not b.excluded]
    _positive_prices(valid)
    if len(valid) < 2:
        return set()
    prices = sorted({Fraction(b.price) for b in valid})
    mean = sum((Fraction(b.price) for b in valid), Fraction(0)) / len(valid)
    mean_limit = mean * (1 - Fraction(below_mean) / 100)
    next_factor = 1 - Fraction(below_next) / 100
    next_higher = {p: q for p, q in zip(prices, prices[1:], strict=False)}
    flagged = set()
    for bid in valid:
        price = Fraction(bid.price)
        higher = next_higher.get(price)
        if price <= mean_limit or (higher is not None and price <= higher * next_factor):
            flagged.add(bid.bid_id)
    return flagged


def award_with_reservation(
    ranked: Sequence[Ranked], reserved_share: Decimal, lot_budget: Decimal
) -> Award:
    """Award a ranked lot, with ``reserved_share`` percent of the budget for citizen initiatives.

    The winner is rank 1. When ``reserved_share`` > 0, the reserved part goes to the
    best-ranked ``reserved_eligible`` bid, which may be the winner itself (then it receives
    the whole budget). The budget is split into the main and the reserved part by largest
    remainder with weights ``(100 - reserved_share, reserved_share)``, so the cents add up.
    Without an eligible valid bid the reserved part is ``unallocated``.
    """
    share = _decimal(reserved_share, "reserved_share")
    if not 0 <= share <= 100:
        raise ValueError("Het gereserveerde deel moet tussen 0% en 100% liggen.")
    budget = to_money(lot_budget)
    if budget < 0:
        raise ValueError("Het budget van een perceel kan niet negatief zijn.")
    placed = sorted((r for r in ranked if r.rank is not None), key=lambda r: r.rank)
    if not placed:
        raise ValueError("Er is geen geldige inschrijving om te gunnen.")
    if len({r.lot_id for r in ranked}) > 1:
        raise ValueError("ranked bids from more than one lot")
    winner = placed[0]
    main_amount, reserved_amount = split(budget, [100 - share, share])
    reserved_winner = None
    if share > 0:
        reserved_winner = next((r for r in placed if r.reserved_eligible), None)

    amounts: dict[BidId, Decimal] = {}
    unallocated = Decimal("0.00")
    if share == 0:
        amounts[winner.bid_id] = budget
    elif reserved_winner is None:
        amounts[winner.bid_id] = main_amount
        unallocated = reserved_amount
    elif reserved_winner.bid_id == winner.bid_id:
        amounts[winner.bid_id] = budget
    else:
        amounts[winner.bid_id] = main_amount
        amounts[reserved_winner.bid_id] = reserved_amount
    return Award(
        lot_id=winner.lot_id,
        winner_id=winner.bid_id,
        reserved_winner_id=reserved_winner.bid_id if reserved_winner else None,
        reserved_share=share,
        budget=budget,
        main_amount=main_amount,
        reserved_amount=reserved_amount,
        amounts=amounts,
        unallocated=unallocated,
        tie_rule=winner.tie_rule,
    )


def evaluate_tender(
    criteria: Sequence[Criterion],
    bids_by_lot: Mapping[LotId, Sequence[BidScores]],
    tie_rule: str = TIE_RULE,
) -> dict[LotId, list[Ranked]]:
    """:func:`rank_lot` for every lot, with the same criteria."""
    criteria = list(criteria)
    validate_weights(criteria)
    result = {}
    for lot_id, bids in bids_by_lot.items():
        if any(b.lot_id != lot_id for b in bids):
            raise ValueError(f"a bid under lot {lot_id!r} belongs to another lot")
        result[lot_id] = rank_lot(criteria, bids, tie_rule)
    return result
