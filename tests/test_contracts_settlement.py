from decimal import Decimal
from fractions import Fraction
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from koepel.contracts.errors import ContractRuleError
from koepel.contracts.settlement import (
    SURPLUS_CARRIED_OVER,
    Contribution,
    Delivery,
    Transfer,
    apply_transfers,
    fewest_transfers,
    settle,
)
from koepel.platform.money import split

D = Decimal

# Handen Ineen, Leeuwarden West: the long-term-care budgets and the municipal household-help
# budget pooled into one district budget; Palet is lead party. Amounts, tariffs and the
# other partners are illustrative (the case does not publish them).
ZK = "Zorgkantoor Friesland"
GEM = "Gemeente Leeuwarden"
POOL = [
    Contribution(ZK, "persoonlijke verzorging", D("420000.00")),
    Contribution(ZK, "verpleging", D("310000.00")),
    Contribution(ZK, "begeleiding", D("180000.00")),
    Contribution(GEM, "huishoudelijke hulp", D("290000.00")),
]
PARTNERS = ["Palet", "Thuiszorg West", "Wijkzorg Noord", "Hulp aan Huis"]
PV = ("persoonlijke verzorging", D("52.00"))
VP = ("verpleging", D("75.00"))
BG = ("begeleiding", D("62.50"))
HH = ("huishoudelijke hulp", D("27.50"))
ADVANCES = {
    "Palet": D("120000.00"),
    "Thuiszorg West": D("560000.00"),
    "Wijkzorg Noord": D("300000.00"),
    "Hulp aan Huis": D("170000.00"),
}


def hours(partner, product, total_hours, records=4):
    """``total_hours`` of ``product`` as ``records`` delivery records (e.g. per quarter)."""
    name, tariff = product
    each = D(total_hours) / records
    return [Delivery(partner, each, tariff, "uur", name) for _ in range(records)]


def handen_ineen_deliveries(capped=False):
    if not capped:
        return [
            *hours("Palet", BG, 2000),  # 125 000,00
            *hours("Thuiszorg West", PV, 6000),  # 312 000,00
            *hours("Thuiszorg West", VP, 3500),  # 262 500,00
            *hours("Wijkzorg Noord", HH, 9000),  # 247 500,00
            *hours("Wijkzorg Noord", BG, 800),  # 50 000,00
            *hours("Hulp aan Huis", PV, 2000),  # 104 000,00
            *hours("Hulp aan Huis", HH, 2000),  # 55 000,00
        ]
    return [
        *hours("Palet", BG, 2400),  # 150 000,00
        *hours("Thuiszorg West", PV, 7500),  # 390 000,00
        *hours("Thuiszorg West", VP, 4800),  # 360 000,00
        *hours("Wijkzorg Noord", HH, 10000),  # 275 000,00
        *hours("Wijkzorg Noord", BG, 1600),  # 100 000,00
        *hours("Hulp aan Huis", PV, 2000),  # 104 000,00
        *hours("Hulp aan Huis", HH, 4400),  # 121 000,00
    ]


def test_handen_ineen_below_the_pool_surplus_back_to_the_funders():
    s = settle(POOL, PARTNERS, handen_ineen_deliveries(), ADVANCES, pool_account="Palet (pot)")
    assert s.pool == D("1200000.00")
    assert s.total_value == D("1156000.00")
    assert not s.capped
    assert s.due == {
        "Hulp aan Huis": D("159000.00"),
        "Palet": D("125000.00"),
        "Thuiszorg West": D("574500.00"),
        "Wijkzorg Noord": D("297500.00"),
    }
    assert s.surplus == D("44000.00")
    # 44 000 back in proportion to the contributions: 420, 310, 180 and 290 of 1 200.
    assert [(r.contribution.scheme, r.amount) for r in s.refunds] == [
        ("huishoudelijke hulp", D("10633.33")),  # 10 633,333...
        ("begeleiding", D("6600.00")),
        ("persoonlijke verzorging", D("15400.00")),
        ("verpleging", D("11366.67")),  # 11 366,666...: the extra cent
    ]
    # The pool account still holds 1 200 000 - 1 150 000 advanced = 50 000 and must end with
    # the 44 000 surplus, so it pays out 6 000.
    assert s.pool_held == D("50000.00")
    assert s.positions == {
        "Hulp aan Huis": D("-11000.00"),
        "Palet": D("5000.00"),
        "Palet (pot)": D("-6000.00"),
        "Thuiszorg West": D("14500.00"),
        "Wijkzorg Noord": D("-2500.00"),
    }
    # Five positions, no smaller zero-sum group: four transfers, proven fewest.
    assert s.exact
    assert s.transfers == (
        Transfer("Hulp aan Huis", "Thuiszorg West", D("11000.00")),
        Transfer("Palet (pot)", "Palet", D("5000.00")),
        Transfer("Palet (pot)", "Thuiszorg West", D("1000.00")),
        Transfer("Wijkzorg Noord", "Thuiszorg West", D("2500.00")),
    )
    assert set(apply_transfers(s.positions, s.transfers).values()) == {D(0)}

    west = s.statement("Thuiszorg West")
    assert [(line.product, line.quantity, line.tariff, line.value) for line in west.delivered] == [
        ("persoonlijke verzorging", D(6000), D("52.00"), D("312000.00")),
        ("verpleging", D(3500), D("75.00"), D("262500.00")),
    ]
    assert (west.value, west.due, west.received, west.position) == (
        D("574500.00"),
        D("574500.00"),
        D("560000.00"),
        D("14500.00"),
    )
    assert west.pays == ()
    assert len(west.receives) == 3
    assert west.due_explanation.method == "value"
    assert west.summary() == (
        "Geleverd: €\xa0574.500,00. Te ontvangen uit de pot: €\xa0574.500,00. Al ontvangen als "
        "voorschot: €\xa0560.000,00. Ontvangt €\xa011.000,00 van Hulp aan Huis. Ontvangt "
        "€\xa01.000,00 van Palet (pot). Ontvangt €\xa02.500,00 van Wijkzorg Noord."
    )


def test_handen_ineen_above_the_pool_divided_by_value():
    s = settle(POOL, PARTNERS, handen_ineen_deliveries(capped=True), ADVANCES)
    assert s.total_value == D("1500000.00")
    assert s.capped
    # 1 200 000 / 1 500 000 = 0,8 of every partner's value.
    assert s.due == {
        "Hulp aan Huis": D("180000.00"),
        "Palet": D("120000.00"),
        "Thuiszorg West": D("600000.00"),
        "Wijkzorg Noord": D("300000.00"),
    }
    assert s.surplus == 0 and s.refunds == ()
    assert s.positions == {
        "Hulp aan Huis": D("10000.00"),
        "Palet": D("0.00"),
        "Thuiszorg West": D("40000.00"),
        "Wijkzorg Noord": D("0.00"),
        "pot": D("-50000.00"),
    }
    assert s.transfers == (
        Transfer("pot", "Hulp aan Huis", D("10000.00")),
        Transfer("pot", "Thuiszorg West", D("40000.00")),
    )
    palet = s.statement("Palet")
    assert palet.due_explanation.method == "pool_by_value"
    assert palet.due_explanation.exact == Fraction(120000)
    assert palet.summary().endswith("Er hoeft niets betaald of ontvangen te worden.")


def test_surplus_carried_over_stays_in_the_pool():
    s = settle(
        POOL, PARTNERS, handen_ineen_deliveries(), ADVANCES, surplus_rule=SURPLUS_CARRIED_OVER
    )
    assert s.surplus == D("44000.00")
    assert s.refunds == ()
    assert s.positions["pot"] == D("-6000.00")  # the same: the 44 000 stays in the pool


def test_rounding_of_due_amounts_adds_up():
    deliveries = [Delivery(p, D("0.333"), D("10.00")) for p in "abc"]  # 3,33 each
    s = settle([Contribution("f", "s", D("9.98"))], "abc", deliveries)
    assert s.capped  # 9,99 delivered
    assert s.due == {"a": D("3.33"), "b": D("3.33"), "c": D("3.32")}
    assert s.statement("a").due_explanation.adjustment_cents == 1


# --- fewest transfers -----------------------------------------------------------------------


def test_exact_search_beats_greedy_on_two_groups():
    # {+3, +6, -9} and {+12, -8, -4} settle in 2 + 2 = 4 transfers; largest-first pays f's 12
    # from b's 9 and then needs 4 more.
    positions = {"a": D(3), "b": D(-9), "c": D(-8), "d": D(-4), "e": D(6), "f": D(12)}
    exact, proven = fewest_transfers(positions)
    greedy, not_proven = fewest_transfers(positions, exact_limit=0)
    assert proven and not not_proven
    assert len(exact) == 4
    assert len(greedy) == 5
    for transfers in (exact, greedy):
        assert set(apply_transfers(positions, transfers).values()) == {D(0)}


def test_exact_pairs_first():
    positions = {"a": D(10), "b": D(-10), "c": D(3), "d": D(-3), "e": D(0)}
    transfers, proven = fewest_transfers(positions, exact_limit=0)
    assert transfers == (Transfer("b", "a", D("10.00")), Transfer("d", "c", D("3.00")))


def test_positions_must_add_up_to_zero():
    with pytest.raises(ContractRuleError, match="tellen op tot €\xa00,01 in plaats van 0"):
        fewest_transfers({"a": D("1.00"), "b": D("-0.99")})


def test_nothing_to_settle():
    assert fewest_transfers({"a": D(0)}) == ((), True)


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Delivery("a", D(-1), D("10.00")), "Een geleverde hoeveelheid kan niet negatief"),
        (lambda: Delivery("a", D(1), D("-10.00")), "Een tarief kan niet negatief zijn."),
        (lambda: Contribution("f", "s", D(-1)), "De bijdrage van f kan niet negatief zijn."),
        (
            lambda: settle(POOL, ["a"], [Delivery("b", D(1), D("1.00"))]),
            "Er is zorg geleverd door b, maar die is geen partner in deze pot.",
        ),
        (
            lambda: settle(POOL, ["a"], [], {"a": D("1200000.01")}),
            "De voorschotten (€\xa01.200.000,01) zijn samen meer dan de pot (€\xa01.200.000,00).",
        ),
        (
            lambda: settle(POOL, ["a"], [], {"b": D(1)}),
            "b heeft een voorschot, maar is geen partner in deze pot.",
        ),
        (lambda: settle(POOL, ["a", "a"], []), "Een partner staat twee keer in de pot."),
        (lambda: settle(POOL, [], []), "Er is geen partner om mee te verrekenen."),
        (lambda: settle([], ["a"], []), "Er is nog geen bijdrage in de pot."),
        (
            lambda: settle(POOL + POOL[:1], ["a"], []),
            "Een financier staat twee keer met dezelfde regeling in de pot.",
        ),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ContractRuleError) as exc:
        call()
    assert str(exc.value).startswith(message)


def test_pool_account_must_not_be_a_partner():
    with pytest.raises(ValueError):
        settle(POOL, ["pot"], [])


# --- properties -----------------------------------------------------------------------------


def max_zero_groups_brute_force(values):
    """The largest number of disjoint zero-sum groups, by trying every subset (small n)."""
    if not values:
        return 0
    first, rest = values[0], values[1:]
    best = 0
    for size in range(len(rest) + 1):
        for others in combinations(range(len(rest)), size):
            if first + sum(rest[i] for i in others) == 0:
                left = [v for i, v in enumerate(rest) if i not in others]
                best = max(best, 1 + max_zero_groups_brute_force(left))
    return best


@st.composite
def zero_sum_positions(draw, max_size=10, spread=60):
    n = draw(st.integers(1, max_size))
    # Small amounts make equal amounts and zero-sum subgroups likely.
    cents = draw(st.lists(st.integers(-spread, spread), min_size=n, max_size=n))
    cents.append(-sum(cents))
    names = draw(
        st.lists(
            st.text("pqrstuvw", min_size=1, max_size=3), min_size=n + 1, max_size=n + 1, unique=True
        )
    )
    return {k: D(c).scaleb(-2) for k, c in zip(names, cents, strict=True)}


def check_transfers(positions, transfers):
    assert set(apply_transfers(positions, transfers).values()) <= {D(0)}
    non_zero = sum(1 for v in positions.values() if v)
    assert len(transfers) <= max(non_zero - 1, 0)
    for t in transfers:
        assert t.amount > 0 and t.payer != t.payee
        assert positions[t.payer] < 0 < positions[t.payee]  # only debtors pay, creditors receive


@given(positions=zero_sum_positions(), data=st.data())
def test_fewest_transfers_properties(positions, data):
    exact, proven = fewest_transfers(positions)
    greedy, _ = fewest_transfers(positions, exact_limit=0)
    assert proven
    check_transfers(positions, exact)
    check_transfers(positions, greedy)
    assert len(exact) <= len(greedy)
    order = data.draw(st.permutations(list(positions)))
    assert fewest_transfers({k: positions[k] for k in order}) == (exact, True)


@settings(max_examples=60)
@given(positions=zero_sum_positions(max_size=7))
def test_exact_search_is_the_minimum(positions):
    exact, _ = fewest_transfers(positions)
    values = [int(v.scaleb(2)) for v in positions.values() if v]
    assert len(exact) == len(values) - max_zero_groups_brute_force(values)


@settings(max_examples=30)
@given(positions=zero_sum_positions(max_size=60, spread=10**6))
def test_greedy_above_the_limit_settles_in_at_most_n_minus_1(positions):
    greedy, _ = fewest_transfers(positions, exact_limit=0)
    check_transfers(positions, greedy)
    mixed, proven = fewest_transfers(positions)
    check_transfers(positions, mixed)
    assert len(mixed) <= len(greedy)
    if sum(1 for v in positions.values() if v) <= 16:
        assert proven


@st.composite
def districts(draw):
    partners = draw(st.lists(st.sampled_from("ABCDEFGHIJKL"), min_size=1, max_size=8, unique=True))
    funds = [
        Contribution(f"F{i}", "s", D(c).scaleb(-2))
        for i, c in enumerate(draw(st.lists(st.integers(0, 10**7), min_size=1, max_size=4)))
    ]
    deliveries = [
        Delivery(
            draw(st.sampled_from(partners)),
            D(draw(st.integers(0, 10_000))).scaleb(-2),
            D(draw(st.integers(0, 10_000))).scaleb(-2),
            draw(st.sampled_from(["uur", "dagdeel"])),
        )
        for _ in range(draw(st.integers(0, 30)))
    ]
    pool = sum(c.amount for c in funds)
    weights = {p: draw(st.integers(0, 10)) for p in partners}
    advanced = draw(st.integers(0, int(pool * 100))) if pool else 0
    advances = {}
    if sum(weights.values()):
        parts = split(D(advanced).scaleb(-2), list(weights.values()))
        advances = dict(zip(weights, parts, strict=True))
    return funds, partners, deliveries, advances


@given(district=districts(), rule=st.sampled_from(["funders", "carry_over"]), data=st.data())
def test_settlement_properties(district, rule, data):
    funds, partners, deliveries, advances = district
    s = settle(funds, partners, deliveries, advances, surplus_rule=rule)
    assert sum(s.due.values()) + s.surplus == s.pool
    assert all(v >= 0 for v in s.due.values())
    assert s.surplus >= 0
    assert sum(r.amount for r in s.refunds) == (s.surplus if rule == "funders" else 0)
    assert sum(s.positions.values()) == 0
    check_transfers(s.positions, s.transfers)
    for statement in s.statements:
        assert statement.position == statement.due - statement.received
        assert abs(Fraction(statement.due) - statement.due_explanation.exact) < Fraction(1, 100)
        if s.capped:
            assert statement.due <= statement.value + D("0.01")
        else:
            assert abs(statement.due - statement.value) < D("0.015")
        paid = sum(t.amount for t in statement.pays) - sum(t.amount for t in statement.receives)
        assert paid == -statement.position
    # The input order does not matter.
    again = settle(
        data.draw(st.permutations(funds)),
        data.draw(st.permutations(partners)),
        data.draw(st.permutations(deliveries)),
        dict(reversed(list(advances.items()))),
        surplus_rule=rule,
    )
    assert again == s
