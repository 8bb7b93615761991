"""Invariants of the money split, the evaluation scoring, allocation and settlement, with
generated input: the ones the modules' own property tests (test_money, test_bids_scoring,
test_contracts_allocation, test_contracts_settlement) leave unstated. Together: totals
exact to the cent, no negative share, the same input gives the same output, and the
order of the input does not matter (or ties are broken by the documented rule).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st
from test_bids_scoring import T0, criteria_sets, lots
from test_contracts_allocation import check_adds_up, ids, reserves, totals
from test_contracts_settlement import districts

from koepel.bids.scoring import BidScores, award_with_reservation, evaluate_tender, rank_lot
from koepel.contracts.allocation import (
    VolumeLine,
    allocate_equal,
    allocate_percentages,
    allocate_volume_tariff,
)
from koepel.contracts.settlement import settle
from koepel.platform.money import split

CENT = D("0.01")


# -- money.split: the documented tie rule ----------------------------------------------------
@given(
    cents=st.integers(min_value=-(10**9), max_value=10**9),
    n=st.integers(min_value=1, max_value=40),
    weight=st.integers(min_value=1, max_value=1000),
)
def test_split_equal_weights_gives_the_left_over_cents_to_the_lower_indexes(cents, n, weight):
    """Equal weights tie on every remainder: the cents left over go to the lowest indexes,
    one each (the docstring's rule), so the parts never grow along the list."""
    total = D(cents).scaleb(-2)
    parts = split(total, [weight] * n)
    assert sum(parts) == total
    magnitudes = [abs(p) for p in parts]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert magnitudes[0] - magnitudes[-1] <= CENT
    assert split(total, [weight] * n) == parts


# -- scoring ---------------------------------------------------------------------------------
@st.composite
def tied_lots(draw):
    """Lots where equal totals are likely: few prices and scores, close submission times."""
    criteria = draw(criteria_sets())
    bids = []
    for i in range(draw(st.integers(min_value=2, max_value=10))):
        scores = {
            c.id: draw(st.sampled_from([D(0), c.max_points / 2, c.max_points]))
            for c in criteria
            if c.kind == "quality"
        }
        bids.append(
            BidScores(
                bid_id=i,
                lot_id="L",
                price=draw(st.sampled_from([D("1000.00"), D("2000.00"), D("1500.50")])),
                scores=scores,
                submitted_at=T0 + timedelta(seconds=draw(st.integers(min_value=0, max_value=1))),
                excluded=draw(st.integers(0, 5)) == 0,
                reserved_eligible=draw(st.booleans()),
            )
        )
    return criteria, bids


@given(st.one_of(lots(), tied_lots()))
def test_ranking_follows_the_documented_tie_rule(lot):
    """Higher total; on equal totals the higher quality subtotal; then the earlier
    submission; then the lower bid id. ``tie_broken_by`` names the step that decided."""
    criteria, bids = lot
    ranked = [r for r in rank_lot(criteria, bids) if r.rank is not None]

    def key(r):
        return (-r.total, -r.quality_subtotal, r.submitted_at, r.bid_id)

    for above, below in zip(ranked, ranked[1:], strict=False):
        assert key(above) < key(below)
        if above.total != below.total:
            assert below.tie_broken_by is None
        elif above.quality_subtotal != below.quality_subtotal:
            assert below.tie_broken_by == "quality"
        elif above.submitted_at != below.submitted_at:
            assert below.tie_broken_by == "submitted_at"
        else:
            assert below.tie_broken_by == "bid_id"


@given(st.one_of(lots(), tied_lots()))
def test_no_negative_points_and_none_above_the_maximum(lot):
    criteria, bids = lot
    maximum = {c.id: c.max_points for c in criteria}
    for r in rank_lot(criteria, bids):
        if r.rank is None:
            assert r.points is None and r.total is None
            continue
        assert r.price_subtotal >= 0 and r.quality_subtotal >= 0
        for criterion, points in r.points.items():
            assert 0 <= points <= maximum[criterion]


@given(
    lot=st.one_of(lots(), tied_lots()),
    share=st.decimals(min_value=0, max_value=100, places=2),
    cents=st.integers(min_value=0, max_value=10**13),
    rnd=st.randoms(use_true_random=False),
)
def test_award_adds_up_has_no_negative_amount_and_ignores_the_input_order(lot, share, cents, rnd):
    criteria, bids = lot
    ranked = rank_lot(criteria, bids)
    if all(r.rank is None for r in ranked):
        return  # nothing to award: refused, tested in test_bids_scoring
    budget = D(cents).scaleb(-2)
    award = award_with_reservation(ranked, share, budget)
    assert sum(award.amounts.values()) + award.unallocated == budget
    assert award.main_amount + award.reserved_amount == budget
    assert all(a >= 0 for a in award.amounts.values()) and award.unallocated >= 0
    assert all(a.as_tuple().exponent == -2 for a in award.amounts.values())
    shuffled = list(bids)
    rnd.shuffle(shuffled)
    assert award_with_reservation(rank_lot(criteria, shuffled), share, budget) == award


@given(criteria=criteria_sets(), data=st.data())
def test_a_tenders_lots_are_ranked_alike_whatever_the_order(criteria, data):
    """evaluate_tender: the order of the lots and of the bids within each lot is irrelevant."""
    lot_ids = data.draw(st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=4, unique=True))
    by_lot = {}
    for lot_id in lot_ids:
        n = data.draw(st.integers(min_value=0, max_value=6))
        by_lot[lot_id] = [
            BidScores(
                bid_id=f"{lot_id}{i}",
                lot_id=lot_id,
                price=D(data.draw(st.integers(1, 10**8))).scaleb(-2),
                scores={
                    c.id: D(data.draw(st.integers(0, int(c.max_points))))
                    for c in criteria
                    if c.kind == "quality"
                },
                submitted_at=T0 + timedelta(seconds=data.draw(st.integers(0, 2))),
            )
            for i in range(n)
        ]
    result = evaluate_tender(criteria, by_lot)
    order = data.draw(st.permutations(lot_ids))
    shuffled = {k: data.draw(st.permutations(by_lot[k])) for k in order}
    again = evaluate_tender(criteria, shuffled)
    assert again == result and list(again) == order
    assert evaluate_tender(criteria, by_lot) == result


# -- allocation: no negative share, the reserve's initiatives included ------------------------
@given(total=totals, names=ids, reserve=reserves, data=st.data())
def test_allocations_give_no_negative_share_to_partners_or_initiatives(total, names, reserve, data):
    volumes = {
        n: VolumeLine(
            D(data.draw(st.integers(0, 10**5))), D(data.draw(st.integers(0, 10**5))).scaleb(-2)
        )
        for n in names
    }
    equal_pct = split(D(100), [1] * len(names))
    for allocation in (
        allocate_equal(total, names, reserve=reserve),
        allocate_percentages(total, dict(zip(names, equal_pct, strict=True)), reserve=reserve),
        allocate_volume_tariff(total, volumes, reserve=reserve),
    ):
        check_adds_up(allocation)
        assert allocation.unallocated >= 0
        assert all(s.amount >= 0 for s in allocation.shares)
        if allocation.reserve is not None:
            assert allocation.reserve.amount >= 0 and allocation.reserve.unassigned >= 0
            assert all(s.amount >= 0 for s in allocation.reserve.shares)
    assert allocate_equal(total, names, reserve=reserve) == allocate_equal(
        total, names, reserve=reserve
    )


# -- settlement: refunds ---------------------------------------------------------------------
@given(district=districts(), data=st.data())
def test_settlement_refunds_are_never_negative_and_follow_the_contributions(district, data):
    funds, partners, deliveries, advances = district
    s = settle(funds, partners, deliveries, advances, surplus_rule="funders")
    assert all(r.amount >= 0 for r in s.refunds)
    assert sum(r.amount for r in s.refunds) == s.surplus
    for refund in s.refunds:
        # Each funder's part of the surplus: never more than it put in.
        assert refund.amount <= refund.contribution.amount
    again = settle(
        data.draw(st.permutations(funds)), partners, deliveries, advances, surplus_rule="funders"
    )
    assert again.refunds == s.refunds
