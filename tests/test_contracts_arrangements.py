from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koepel.contracts.arrangements import (
    Arrangement,
    Assignment,
    HistoricalCost,
    arrangement_tariffs,
    client_amounts,
    nine_arrangements,
    provider_budgets,
    tariff_table,
)
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.own_contribution import ARRANGEMENT, from_arrangements, per_client_period
from koepel.contracts.payments import four_week_periods, months

D = Decimal

# Westelijke Mijnstreek: nine arrangements by complexity × intensity; tariff = weighted
# average of earlier costs after the national cut. Costs, client counts and the 11 % cut
# are illustrative (the case does not publish them).
CUT = D(11)
HISTORY_TABLE = {
    # arrangement: ((Zuyderland cost per client, clients), (Aanbieder B cost, clients))
    ("low", "low"): ((2000, 30), (2300, 10)),  # average 2 075
    ("low", "medium"): ((3500, 20), (3800, 20)),  # 3 650
    ("low", "high"): ((5000, 12), (5600, 4)),  # 5 150
    ("medium", "low"): ((3000, 25), (3300, 15)),  # 3 112,50
    ("medium", "medium"): ((4500, 18), (4200, 12)),  # 4 380
    ("medium", "high"): ((6500, 10), (7100, 5)),  # 6 700
    ("high", "low"): ((4000, 8), (4400, 2)),  # 4 080
    ("high", "medium"): ((7000, 6), (7700, 3)),  # 7 233,333...
    ("high", "high"): ((12000, 3), (13500, 1)),  # 12 375
}
HISTORY = [
    HistoricalCost(Arrangement(*key), D(cost), clients, source)
    for key, rows in HISTORY_TABLE.items()
    for (cost, clients), source in zip(rows, ("Zuyderland", "Aanbieder B"), strict=True)
]
TARIFFS = arrangement_tariffs(nine_arrangements(), HISTORY, CUT)
ZUYD, B = "Zuyderland", "Aanbieder B"


def arr(code):
    return Arrangement(*code.split("/"))


def test_nine_tariffs_weighted_average_after_the_national_cut():
    assert len(TARIFFS) == 9
    assert tariff_table(TARIFFS) == [
        ["€\xa01.846,75", "€\xa03.248,50", "€\xa04.583,50"],
        ["€\xa02.770,13", "€\xa03.898,20", "€\xa05.963,00"],  # 2 770,125 rounds half up
        ["€\xa03.631,20", "€\xa06.437,67", "€\xa011.013,75"],  # 6 437,666...
    ]
    low = TARIFFS[arr("low/low")]
    assert low.clients == 40
    assert low.average == Fraction(2075)  # (2 000 × 30 + 2 300 × 10) / 40
    assert low.tariff == D("1846.75")  # 2 075 × 0,89
    high = TARIFFS[arr("high/medium")].explanation
    assert high.exact == Fraction(65100, 9) * Fraction(89, 100)
    assert high.adjustment_cents == 1
    assert high.rounding == "half_up"
    assert high.text() == (
        "Gewogen gemiddelde van de historische kosten €\xa07.233,33 per cliënt (9 cliënten), min "
        "de landelijke korting van 11%. Exact ≈ 6.437,666667, afgerond op hele centen."
    )


def test_reduced_to_three_arrangements():
    three = [arr("low/low"), arr("medium/medium"), arr("high/high")]
    history = [h for h in HISTORY if h.arrangement in three]
    tariffs = arrangement_tariffs(three, history, CUT)
    assert {a.code: t.tariff for a, t in tariffs.items()} == {
        "high/high": D("11013.75"),
        "low/low": D("1846.75"),
        "medium/medium": D("3898.20"),
    }
    assert tariff_table(tariffs)[0] == ["€\xa01.846,75", "", ""]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: arrangement_tariffs([arr("low/low")], HISTORY, CUT),
            "Er zijn kosten voor onbekend arrangement",
        ),
        (
            lambda: arrangement_tariffs(nine_arrangements(), HISTORY[2:], CUT),
            "Voor arrangement low/low zijn geen historische kosten met cliënten",
        ),
        (
            lambda: arrangement_tariffs(nine_arrangements(), HISTORY, D(101)),
            "De landelijke korting moet tussen 0% en 100% liggen.",
        ),
        (
            lambda: arrangement_tariffs([arr("low/low"), arr("low/low")], HISTORY[:2], CUT),
            "Een arrangement staat er twee keer in.",
        ),
        (
            lambda: HistoricalCost(arr("low/low"), D(-1), 3),
            "De historische kosten van low/low kan niet negatief zijn.",
        ),
        (
            lambda: HistoricalCost(arr("low/low"), D(1), -3),
            "Het aantal cliënten kan niet negatief zijn.",
        ),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ContractRuleError) as exc:
        call()
    assert str(exc.value).startswith(message)


def test_unknown_arrangement_level():
    with pytest.raises(ValueError):
        Arrangement("low", "extreme")


# --- the budget follows the client ----------------------------------------------------------

ASSIGNMENTS = [
    Assignment("WM-001", arr("low/low"), ZUYD, date(2016, 1, 1), date(2016, 12, 31)),
    Assignment("WM-002", arr("medium/medium"), B, date(2015, 6, 1), date(2017, 5, 31)),
    # WM-003 moves from Zuyderland to Aanbieder B on 1 July (2016 has 366 days).
    Assignment("WM-003", arr("high/high"), ZUYD, date(2016, 1, 1), date(2016, 6, 30)),
    Assignment("WM-003", arr("high/high"), B, date(2016, 7, 1), date(2016, 12, 31)),
    Assignment("WM-004", arr("low/high"), B, date(2016, 10, 1), date(2016, 12, 31)),
    Assignment("WM-005", arr("low/high"), B, date(2017, 1, 1), date(2017, 12, 31)),  # not in 2016
]


def test_client_amounts_follow_the_client():
    lines = {
        (a.assignment.client, a.assignment.provider): a
        for a in client_amounts(ASSIGNMENTS, TARIFFS, 2016)
    }
    assert lines["WM-001", ZUYD].amount == D("1846.75")  # a full year is exactly the tariff
    assert lines["WM-002", B].amount == D("3898.20")
    # 11 013,75 × 182/366 = 5 476,78278... and × 184/366 = 5 536,96721...: the cent left
    # over goes to the larger remainder, so the two add up to the tariff.
    assert lines["WM-003", ZUYD].amount == D("5476.78")
    assert lines["WM-003", B].amount == D("5536.97")
    assert lines["WM-003", B].days == 184
    assert lines["WM-003", B].explanation.adjustment_cents == 1
    assert lines["WM-003", B].explanation.rounding == "largest_remainder"
    assert lines["WM-004", B].amount == D("1152.14")  # 4 583,50 × 92/366 = 1 152,1366...
    assert ("WM-005", B) not in lines
    assert lines["WM-004", B].explanation.text() == (
        "Tarief €\xa04.583,50 × 92 van de 366 dagen van het jaar. Exact ≈ 1.152,136612, "
        "afgerond op hele centen."
    )


def test_provider_budgets():
    budgets = provider_budgets(ASSIGNMENTS, TARIFFS, 2016)
    assert budgets[ZUYD].budget == D("7323.53")  # 1 846,75 + 5 476,78
    assert budgets[B].budget == D("10587.31")  # 3 898,20 + 5 536,97 + 1 152,14
    assert budgets[B].clients == 3
    assert budgets[B].per_arrangement == {
        arr("high/high"): D("5536.97"),
        arr("low/high"): D("1152.14"),
        arr("medium/medium"): D("3898.20"),
    }
    # 2017: WM-002 until 31 May (3 898,20 × 151/365 = 1 612,68) and WM-005's full year.
    assert provider_budgets(ASSIGNMENTS, TARIFFS, 2017)[B].budget == D("1612.68") + D("4583.50")


def test_assignment_errors():
    overlapping = [
        Assignment("WM-9", arr("low/low"), ZUYD, date(2016, 1, 1), date(2016, 6, 30)),
        Assignment("WM-9", arr("low/medium"), B, date(2016, 6, 30), date(2016, 12, 31)),
    ]
    with pytest.raises(ContractRuleError, match="Cliënt WM-9 heeft twee arrangementen tegelijk."):
        client_amounts(overlapping, TARIFFS, 2016)
    three = arrangement_tariffs([arr("low/low")], HISTORY[:2], CUT)
    with pytest.raises(ContractRuleError, match="Arrangement low/medium heeft nog geen tarief."):
        client_amounts(overlapping[1:], three, 2016)
    with pytest.raises(ContractRuleError, match="eindigt voordat ze begint"):
        Assignment("WM-9", arr("low/low"), ZUYD, date(2016, 2, 1), date(2016, 1, 1))


# --- own contribution from arrangements (2016 on) -------------------------------------------


def test_own_contribution_from_the_arrangement_cost_per_month():
    lines = from_arrangements(ASSIGNMENTS, TARIFFS, 2016, months(2016))
    wm1 = [line for line in lines if line.client == "WM-001"]
    assert len(wm1) == 12
    assert all(line.unit == ARRANGEMENT and line.quantity is None for line in wm1)
    assert wm1[0].cost == D("156.42")  # 1 846,75 × 31/366 = 156,4187...
    assert sum(line.cost for line in wm1) == D("1846.75")
    wm3 = [line for line in lines if line.client == "WM-003"]
    assert [(line.period, line.provider) for line in wm3][5:7] == [(6, ZUYD), (7, B)]
    assert sum(line.cost for line in wm3) == D("11013.75")
    wm4 = [line for line in lines if line.client == "WM-004"]
    assert [line.period for line in wm4] == [10, 11, 12]
    totals = per_client_period(lines)
    assert all(t.hours == 0 for t in totals)
    assert sum(t.cost for t in totals) == D("17910.84")  # both providers' budgets


def test_own_contribution_in_four_week_periods():
    lines = from_arrangements(ASSIGNMENTS[:1], TARIFFS, 2016, four_week_periods(2016))
    # 2016's first 4-week period starts on 4 January: 1-3 January fall in 2015's period 13
    # and weigh nothing here; the year's amount is split over the days that do fall in.
    assert len(lines) == 13
    assert sum(line.cost for line in lines) == D("1846.75")


# --- properties -----------------------------------------------------------------------------


@given(
    rows=st.lists(
        st.tuples(st.integers(0, 2_000_000).map(lambda c: D(c).scaleb(-2)), st.integers(0, 500)),
        min_size=1,
        max_size=8,
    ).filter(lambda rows: sum(n for _c, n in rows) > 0),
    cut=st.integers(0, 10_000).map(lambda c: D(c).scaleb(-2)),
    data=st.data(),
)
def test_tariff_properties(rows, cut, data):
    a = arr("medium/high")
    history = [HistoricalCost(a, cost, n) for cost, n in rows]
    tariff = arrangement_tariffs([a], history, cut)[a]
    exact = (
        sum(Fraction(c) * n for c, n in rows) / sum(n for _c, n in rows) * (1 - Fraction(cut) / 100)
    )
    assert abs(Fraction(tariff.tariff) - exact) <= Fraction(1, 200)
    assert tariff.tariff >= 0
    shuffled = data.draw(st.permutations(history))
    assert arrangement_tariffs([a], shuffled, cut)[a] == tariff


@given(
    cuts=st.lists(st.integers(1, 364), max_size=4, unique=True),
    providers=st.lists(st.sampled_from([ZUYD, B, "C"]), min_size=5, max_size=5),
    codes=st.lists(st.sampled_from([a.code for a in nine_arrangements()]), min_size=5, max_size=5),
    data=st.data(),
)
def test_a_full_year_in_pieces_costs_the_sum_of_its_tariffs(cuts, providers, codes, data):
    # One client's year cut into consecutive assignments.
    bounds = [date(2016, 1, 1) + timedelta(days=c) for c in sorted(cuts)]
    starts = [date(2016, 1, 1), *bounds]
    ends = [b - timedelta(days=1) for b in bounds] + [date(2016, 12, 31)]
    pieces = [
        Assignment("X", arr(codes[i]), providers[i], s, e)
        for i, (s, e) in enumerate(zip(starts, ends, strict=True))
    ]
    lines = client_amounts(data.draw(st.permutations(pieces)), TARIFFS, 2016)
    assert lines == client_amounts(pieces, TARIFFS, 2016)
    exact = sum(
        Fraction(TARIFFS[p.arrangement].tariff) * ((p.end - p.start).days + 1) / 366 for p in pieces
    )
    total = sum(line.amount for line in lines)
    assert abs(Fraction(total) - exact) <= Fraction(1, 200)
    if len({p.arrangement for p in pieces}) == 1:
        assert total == TARIFFS[pieces[0].arrangement].tariff
    cak = from_arrangements(pieces, TARIFFS, 2016, months(2016))
    assert sum(line.cost for line in cak) == total
    budgets = provider_budgets(pieces, TARIFFS, 2016)
    assert sum(b.budget for b in budgets.values()) == total
