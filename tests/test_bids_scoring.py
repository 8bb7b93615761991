import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koepel.bids.scoring import (
    TIE_RULE,
    TIE_RULES,
    BidScores,
    Criterion,
    abnormally_low,
    award_with_reservation,
    evaluate_tender,
    rank_lot,
    validate_weights,
)

D = Decimal
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def bid(bid_id, price, scores=None, *, lot="L1", minutes=0, excluded=False, eligible=False):
    return BidScores(
        bid_id=bid_id,
        lot_id=lot,
        price=D(price),
        scores={k: D(v) for k, v in (scores or {}).items()},
        submitted_at=T0 + timedelta(minutes=minutes),
        excluded=excluded,
        reserved_eligible=eligible,
    )


# Price 40 %, quality 60 % in two criteria.
CRITERIA = [
    Criterion("prijs", "price", D(40)),
    Criterion("plan", "quality", D(35)),
    Criterion("samenwerking", "quality", D(25)),
]


# --- validate_weights -------------------------------------------------------------------


def test_validate_weights_accepts_100():
    validate_weights(CRITERIA)
    validate_weights([Criterion("a", "quality", D("33.3")), Criterion("b", "quality", D("66.7"))])


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ([], "minstens één"),
        ([Criterion("p", "price", D(40)), Criterion("q", "quality", D(50))], "precies 100%"),
        ([Criterion("p", "price", D(100)), Criterion("q", "quality", D(0))], "groter dan 0%"),
        (
            [
                Criterion("p", "price", D(150)),
                Criterion("q", "quality", D(-50)),
            ],
            "groter dan 0%",
        ),
        ([Criterion("p", "price", D(50)), Criterion("p2", "price", D(50))], "één prijscriterium"),
        ([Criterion("a", "quality", D(50)), Criterion("a", "quality", D(50))], "dezelfde naam"),
    ],
)
def test_validate_weights_refuses(criteria, message):
    with pytest.raises(ValueError, match=message):
        validate_weights(criteria)


def test_criterion_refuses_floats_and_bad_values():
    with pytest.raises(TypeError):
        Criterion("p", "price", 40.0)
    with pytest.raises(ValueError):
        Criterion("p", "costs", D(40))
    with pytest.raises(ValueError):
        Criterion("q", "quality", D(40), max_points=D(0))
    with pytest.raises(TypeError):
        BidScores(bid_id=1, lot_id=1, price=10.5, scores={}, submitted_at=T0)
    with pytest.raises(ValueError):
        BidScores(bid_id=1, lot_id=1, price=D(1), scores={}, submitted_at=datetime(2026, 1, 1))


# --- worked examples --------------------------------------------------------------------


def test_worked_example_price_40_quality_60():
    bids = [
        bid("A", "100000.00", {"plan": 6, "samenwerking": 8}),
        bid("B", "80000.00", {"plan": 7, "samenwerking": 5}),
        bid("C", "125000.00", {"plan": 9, "samenwerking": 9}),
    ]
    ranked = rank_lot(CRITERIA, bids)
    by_id = {r.bid_id: r for r in ranked}
    # A: 10 * 80000/100000 = 8 points -> 40 * 0.8 = 32; quality 35*0.6 + 25*0.8 = 21 + 20 = 41.
    assert by_id["A"].points == {"prijs": D("8.00"), "plan": D(6), "samenwerking": D(8)}
    assert (by_id["A"].price_subtotal, by_id["A"].quality_subtotal) == (D("32.00"), D("41.00"))
    assert by_id["A"].total == D("73.00")
    # B has the lowest price: the full 10 points -> 40; quality 24.5 + 12.5 = 37.
    assert by_id["B"].points["prijs"] == D("10.00")
    assert by_id["B"].total == D("77.00")
    # C: 10 * 80000/125000 = 6.4 -> 25.6; quality 31.5 + 22.5 = 54.
    assert by_id["C"].points["prijs"] == D("6.40")
    assert by_id["C"].total == D("79.60")
    assert [(r.bid_id, r.rank) for r in ranked] == [("C", 1), ("B", 2), ("A", 3)]
    assert all(r.tie_rule == TIE_RULE and r.tie_broken_by is None for r in ranked)
    assert TIE_RULE in TIE_RULES
    for r in ranked:
        assert str(r.total).count(".") == 1 and len(str(r.total).split(".")[1]) == 2


def test_total_is_rounded_once_half_up():
    criteria = [Criterion("prijs", "price", D(45)), Criterion("plan", "quality", D(55))]
    ranked = rank_lot(criteria, [bid(1, "1.00", {"plan": 10}), bid(2, "8.00", {"plan": 0})])
    # Bid 2: 45 * 1/8 = 5.625 exactly -> 5.63 (banker's rounding would give 5.62).
    assert ranked[1].bid_id == 2
    assert ranked[1].total == D("5.63")
    assert ranked[1].points["prijs"] == D("1.25")


def test_price_points_with_repeating_decimals():
    criteria = [Criterion("prijs", "price", D(40)), Criterion("plan", "quality", D(60))]
    ranked = rank_lot(criteria, [bid(1, "70.00", {"plan": 5}), bid(2, "90.00", {"plan": 6})])
    by_id = {r.bid_id: r for r in ranked}
    assert by_id[2].points["prijs"] == D("7.78")  # 10 * 70/90 = 7.777…
    assert by_id[2].total == D("67.11")  # 31.111… + 36, rounded once
    assert by_id[1].total == D("70.00")


def test_other_max_points():
    criteria = [
        Criterion("prijs", "price", D(50), max_points=D(100)),
        Criterion("plan", "quality", D(50), max_points=D(5)),
    ]
    ranked = rank_lot(criteria, [bid(1, "50", {"plan": "2.5"}), bid(2, "100", {"plan": 5})])
    by_id = {r.bid_id: r for r in ranked}
    assert by_id[1].points["prijs"] == D("100.00")
    assert by_id[2].points["prijs"] == D("50.00")
    assert by_id[1].total == by_id[2].total == D("75.00")
    assert by_id[2].rank == 1  # higher quality


def test_quality_only_and_price_only():
    quality = [Criterion("plan", "quality", D(100))]
    ranked = rank_lot(quality, [bid(1, 0, {"plan": 4}), bid(2, 0, {"plan": "7.5"})])
    assert [(r.bid_id, r.total) for r in ranked] == [(2, D("75.00")), (1, D("40.00"))]

    price = [Criterion("prijs", "price", D(100))]
    ranked = rank_lot(price, [bid(1, 200), bid(2, 100), bid(3, 400)])
    assert [(r.bid_id, r.total) for r in ranked] == [
        (2, D("100.00")),
        (1, D("50.00")),
        (3, D("25.00")),
    ]
    assert all(r.quality_subtotal == D("0.00") for r in ranked)


# --- ties -------------------------------------------------------------------------------


TIE_CRITERIA = [Criterion("prijs", "price", D(50)), Criterion("plan", "quality", D(50))]


def test_equal_totals_go_to_higher_quality():
    # X: 50 + 25 = 75; Y: 25 + 50 = 75.
    ranked = rank_lot(
        TIE_CRITERIA, [bid("X", 100, {"plan": 5}), bid("Y", 200, {"plan": 10}, minutes=5)]
    )
    assert [r.bid_id for r in ranked] == ["Y", "X"]
    assert ranked[0].total == ranked[1].total == D("75.00")
    assert ranked[0].tie_broken_by is None
    assert ranked[1].tie_broken_by == "quality"


def test_equal_totals_and_quality_go_to_earliest_then_lowest_id():
    bids = [
        bid(3, 100, {"plan": 5}, minutes=2),
        bid(2, 100, {"plan": 5}, minutes=1),
        bid(1, 100, {"plan": 5}, minutes=2),
    ]
    ranked = rank_lot(TIE_CRITERIA, bids)
    assert [(r.bid_id, r.rank, r.tie_broken_by) for r in ranked] == [
        (2, 1, None),
        (1, 2, "submitted_at"),
        (3, 3, "bid_id"),
    ]


def test_ties_are_judged_on_the_published_totals():
    # Exact totals 66.67 (bid 1) and 66.668… (bid 2): both publish as 66.67, so the rule
    # decides (quality), not an invisible digit that would have put bid 1 first.
    criteria = [Criterion("prijs", "price", D(50)), Criterion("plan", "quality", D(50))]
    bids = [
        bid(1, "100.00", {"plan": "3.334"}),  # 50 + 16.67 = 66.67
        bid(2, "150.00", {"plan": "6.667"}),  # 33.333… + 33.335 = 66.668… -> 66.67
    ]
    ranked = rank_lot(criteria, bids)
    assert ranked[0].total == ranked[1].total == D("66.67")
    assert ranked[0].bid_id == 2 and ranked[1].tie_broken_by == "quality"


def test_unknown_tie_rule():
    with pytest.raises(ValueError, match="tie rule"):
        rank_lot(TIE_CRITERIA, [bid(1, 1, {"plan": 1})], tie_rule="lottery")


# --- exclusion and input checks ---------------------------------------------------------


def test_excluded_bids_are_listed_after_without_rank_and_do_not_set_the_lowest_price():
    bids = [
        bid(5, 10, excluded=True),  # lowest price, but excluded; no scores needed
        bid(4, 100, {"plan": 5}),
        bid(1, 200, {"plan": 10}, excluded=True),
        bid(2, 200, {"plan": 9}),  # 25 + 45 = 70 against 50 + 25 = 75
    ]
    ranked = rank_lot(TIE_CRITERIA, bids)
    assert [(r.bid_id, r.rank) for r in ranked] == [(4, 1), (2, 2), (1, None), (5, None)]
    assert ranked[0].points["prijs"] == D("10.00")  # 100 is the lowest valid price
    assert ranked[2].excluded and ranked[2].total is None and ranked[2].points is None


def test_all_excluded():
    ranked = rank_lot(TIE_CRITERIA, [bid(1, 10, excluded=True)])
    assert [(r.bid_id, r.rank) for r in ranked] == [(1, None)]
    assert rank_lot(TIE_CRITERIA, []) == []


@pytest.mark.parametrize(
    "bids",
    [
        [bid(1, 100, {})],  # missing score
        [bid(1, 100, {"plan": 11})],  # above the maximum
        [bid(1, 100, {"plan": -1})],
        [bid(1, 100, {"plan": 5, "prijs": 10})],  # no score for the price criterion
        [bid(1, 100, {"plan": 5, "typo": 5})],
        [bid(1, 0, {"plan": 5})],  # price must be positive
        [bid(1, 100, {"plan": 5}), bid(1, 90, {"plan": 5})],  # duplicate id
        [bid(1, 100, {"plan": 5}), bid(2, 90, {"plan": 5}, lot="L2")],  # two lots
    ],
)
def test_invalid_input(bids):
    with pytest.raises(ValueError):
        rank_lot(TIE_CRITERIA, bids)


def test_evaluate_tender():
    bids_by_lot = {
        "L1": [bid(1, 100, {"plan": 5}), bid(2, 50, {"plan": 5})],
        "L2": [bid(3, 100, {"plan": 5}, lot="L2")],
    }
    result = evaluate_tender(TIE_CRITERIA, bids_by_lot)
    assert [r.bid_id for r in result["L1"]] == [2, 1]
    assert [(r.bid_id, r.total) for r in result["L2"]] == [(3, D("75.00"))]
    with pytest.raises(ValueError):
        evaluate_tender(TIE_CRITERIA, {"L2": bids_by_lot["L1"]})


# --- abnormally low ---------------------------------------------------------------------


def prices(*values, excluded=()):
    return [bid(i, D(v)) for i, v in enumerate(values)] + [
        bid(100 + i, D(v), excluded=True) for i, v in enumerate(excluded)
    ]


def test_abnormally_low_exactly_40_percent_below_the_mean():
    # Mean 100; 60 is exactly 40 % below it; gaps to the next higher price are all < 30 %.
    assert abnormally_low(prices("60.00", "80.00", "100.00", "110.00", "150.00")) == {0}


def test_abnormally_low_just_above_40_percent_below_the_mean():
    # Mean 100.002, limit 60.0012: 60.01 is not flagged.
    assert abnormally_low(prices("60.01", "80.00", "100.00", "110.00", "150.00")) == set()


def test_abnormally_low_exactly_30_percent_below_the_next_price():
    # 70 is exactly 30 % below 100; the mean (91.67) is not the reason (limit 55).
    assert abnormally_low(prices("70.00", "100.00", "105.00")) == {0}


def test_abnormally_low_just_above_30_percent_below_the_next_price():
    assert abnormally_low(prices("70.01", "100.00", "105.00")) == set()


def test_abnormally_low_next_higher_price_is_strictly_higher():
    # Both bids at 70 are 30 % below the next *higher* price, 100.
    assert abnormally_low(prices("70.00", "70.00", "100.00", "105.00")) == {0, 1}


def test_abnormally_low_ignores_excluded_bids():
    # An excluded bid at 1.00 neither lowers the mean nor counts as a next price, and is
    # never flagged itself.
    assert abnormally_low(prices("70.01", "100.00", "105.00", excluded=("1.00", "71.00"))) == set()
    assert abnormally_low(prices("100.00", excluded=("1.00",))) == set()


def test_abnormally_low_single_bid_and_thresholds():
    assert abnormally_low(prices("1.00")) == set()
    assert abnormally_low([]) == set()
    assert abnormally_low(prices("80.00", "100.00"), below_next=D(20)) == {0}
    with pytest.raises(TypeError):
        abnormally_low(prices("80.00", "100.00"), below_next=0.2)


# --- award with reservation -------------------------------------------------------------


def ranked_lot(*eligible_flags, excluded_eligible=False):
    """Bids ranked in the order given (bid i has a lower total than bid i-1)."""
    bids = [
        bid(i + 1, 100 + 10 * i, {"plan": 5}, eligible=flag)
        for i, flag in enumerate(eligible_flags)
    ]
    if excluded_eligible:
        bids.append(bid(99, 1, excluded=True, eligible=True))
    return rank_lot(TIE_CRITERIA, bids)


def test_reserved_part_goes_to_best_ranked_eligible_bid():
    award = award_with_reservation(ranked_lot(False, False, True, True), D(20), D("100000.00"))
    assert (award.winner_id, award.reserved_winner_id) == (1, 3)
    assert (award.main_amount, award.reserved_amount) == (D("80000.00"), D("20000.00"))
    assert award.amounts == {1: D("80000.00"), 3: D("20000.00")}
    assert award.unallocated == D("0.00")
    assert award.tie_rule == TIE_RULE


def test_reserved_split_adds_up_to_the_cent():
    award = award_with_reservation(ranked_lot(False, True), D("33.33"), D("1000.01"))
    # Exact shares 666.706667 and 333.303333: the left-over cent goes to the larger remainder.
    assert award.amounts == {1: D("666.71"), 2: D("333.30")}
    assert sum(award.amounts.values()) == award.budget == D("1000.01")


@given(
    share=st.decimals(min_value=0, max_value=100, places=2),
    cents=st.integers(min_value=0, max_value=10**13),
)
def test_reserved_split_always_adds_up(share, cents):
    budget = D(cents).scaleb(-2)
    award = award_with_reservation(ranked_lot(False, True), share, budget)
    assert award.main_amount + award.reserved_amount == budget
    assert sum(award.amounts.values()) + award.unallocated == budget
    assert abs(award.reserved_amount - budget * share / 100) < D("0.01")


def test_winner_that_is_eligible_gets_everything():
    award = award_with_reservation(ranked_lot(True, True), D(25), D("1000.00"))
    assert (award.winner_id, award.reserved_winner_id) == (1, 1)
    assert award.amounts == {1: D("1000.00")}
    assert award.reserved_amount == D("250.00")  # still reported: this much was reserved


def test_no_eligible_bid_leaves_the_reserved_part_unallocated():
    award = award_with_reservation(
        ranked_lot(False, False, excluded_eligible=True), D(10), D("500.00")
    )
    assert award.reserved_winner_id is None  # the excluded citizen initiative does not count
    assert award.amounts == {1: D("450.00")}
    assert award.unallocated == D("50.00")


def test_no_reservation():
    award = award_with_reservation(ranked_lot(False, True), D(0), D("500.00"))
    assert award.reserved_winner_id is None
    assert award.amounts == {1: D("500.00")}
    assert award.reserved_amount == award.unallocated == D("0.00")


def test_award_refuses():
    with pytest.raises(ValueError, match="geen geldige inschrijving"):
        award_with_reservation(rank_lot(TIE_CRITERIA, [bid(1, 1, excluded=True)]), D(0), D(1))
    with pytest.raises(ValueError):
        award_with_reservation(ranked_lot(True), D(101), D(1))
    with pytest.raises(ValueError):
        award_with_reservation(ranked_lot(True), D(-1), D(1))
    with pytest.raises(ValueError):
        award_with_reservation(ranked_lot(True), D(10), D(-1))
    with pytest.raises(TypeError):
        award_with_reservation(ranked_lot(True), 10.0, D(1))


# --- properties -------------------------------------------------------------------------


@st.composite
def criteria_sets(draw):
    """1–6 criteria on a 0.5 % grid, weights summing to 100, with or without price."""
    n = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(
        draw(st.sets(st.integers(min_value=1, max_value=199), min_size=n - 1, max_size=n - 1))
    )
    bounds = [0, *cuts, 200]
    weights = [D(b - a) / 2 for a, b in zip(bounds, bounds[1:], strict=False)]
    with_price = draw(st.booleans())
    max_points = draw(
        st.lists(st.sampled_from([D(5), D(10), D(100), D("7.5")]), min_size=n, max_size=n)
    )
    return [
        Criterion(f"c{i}", "price" if with_price and i == 0 else "quality", w, max_points=m)
        for i, (w, m) in enumerate(zip(weights, max_points, strict=True))
    ]


@st.composite
def lots(draw):
    criteria = draw(criteria_sets())
    n = draw(st.integers(min_value=1, max_value=12))
    bids = []
    for i in range(n):
        scores = {
            c.id: D(draw(st.integers(min_value=0, max_value=int(c.max_points * 10)))) / 10
            for c in criteria
            if c.kind == "quality"
        }
        bids.append(
            BidScores(
                bid_id=i,
                lot_id="L",
                price=D(draw(st.integers(min_value=1, max_value=10**11))).scaleb(-2),
                scores=scores,
                submitted_at=T0 + timedelta(seconds=draw(st.integers(min_value=0, max_value=3))),
                excluded=draw(st.booleans()) and draw(st.booleans()),
                reserved_eligible=draw(st.booleans()),
            )
        )
    return criteria, bids


@given(lots())
def test_totals_within_0_and_100(lot):
    criteria, bids = lot
    for r in rank_lot(criteria, bids):
        if r.rank is not None:
            assert D(0) <= r.total <= D(100)
            assert r.total == r.total.quantize(D("0.01"))
            assert abs(r.total - r.price_subtotal - r.quality_subtotal) <= D("0.01")


@given(lots(), st.randoms(use_true_random=False))
def test_ranking_is_deterministic_and_independent_of_input_order(lot, rnd):
    criteria, bids = lot
    first = rank_lot(criteria, bids)
    shuffled = list(bids)
    rnd.shuffle(shuffled)
    assert rank_lot(criteria, shuffled) == first
    assert rank_lot(criteria, bids) == first
    ranks = [r.rank for r in first if r.rank is not None]
    assert ranks == list(range(1, len(ranks) + 1))
    totals = [r.total for r in first if r.rank is not None]
    assert totals == sorted(totals, reverse=True)
    assert abnormally_low(shuffled) == abnormally_low(bids)


@given(lots())
def test_lowest_price_gets_the_maximum_price_points(lot):
    criteria, bids = lot
    price = next((c for c in criteria if c.kind == "price"), None)
    valid = [b for b in bids if not b.excluded]
    if price is None or not valid:
        return
    lowest = min(b.price for b in valid)
    for r in rank_lot(criteria, bids):
        if r.rank is not None:
            if r.price == lowest:
                assert r.points[price.id] == price.max_points
            else:
                assert r.points[price.id] <= price.max_points


@given(lots(), st.sampled_from([D(2), D(3), D(7), D("0.5"), D("1.19"), D(1000)]))
def test_scaling_all_prices_does_not_change_the_scores(lot, factor):
    criteria, bids = lot
    scaled = [
        BidScores(
            bid_id=b.bid_id,
            lot_id=b.lot_id,
            price=b.price * factor,
            scores=b.scores,
            submitted_at=b.submitted_at,
            excluded=b.excluded,
            reserved_eligible=b.reserved_eligible,
        )
        for b in bids
    ]
    strip = [
        (r.bid_id, r.rank, r.total, r.points, r.tie_broken_by) for r in rank_lot(criteria, bids)
    ]
    assert strip == [
        (r.bid_id, r.rank, r.total, r.points, r.tie_broken_by) for r in rank_lot(criteria, scaled)
    ]
    assert abnormally_low(scaled) == abnormally_low(bids)


def test_a_large_lot_is_ranked_consistently():
    rnd = random.Random(7)
    bids = [
        bid(
            i,
            D(rnd.randint(5000_00, 20000_00)).scaleb(-2),
            {"plan": rnd.randint(0, 10)},
            minutes=rnd.randint(0, 60),
        )
        for i in range(300)
    ]
    ranked = rank_lot(TIE_CRITERIA, bids)
    keys = [(-r.total, -r.quality_subtotal, r.submitted_at, r.bid_id) for r in ranked]
    assert keys == sorted(keys)
