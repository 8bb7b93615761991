from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koepel.contracts.errors import ContractRuleError
from koepel.contracts.payments import (
    DAYS,
    FOUR_WEEKS,
    MONTHS,
    MULTI_YEAR,
    TRANSITIONAL,
    Contract,
    Supplement,
    advance_schedule,
    check_contracts,
    contract_advances,
    contract_year_settlement,
    contracts_in_year,
    final_settlement,
    four_week_periods,
    months,
    periods,
    transition_plan,
    year_total,
)

D = Decimal


def test_months():
    schedule = months(2016)
    assert len(schedule) == 12
    assert (schedule[1].start, schedule[1].end, schedule[1].days) == (
        date(2016, 2, 1),
        date(2016, 2, 29),
        29,
    )
    assert schedule[11].end == date(2016, 12, 31)
    assert sum(p.days for p in schedule) == 366


def test_four_week_periods_follow_iso_weeks():
    schedule = four_week_periods(2016)
    assert schedule[0].start == date(2016, 1, 4)  # Monday of ISO week 1
    assert schedule[12].end == date(2017, 1, 1)
    assert all(p.days == 28 for p in schedule)
    assert schedule[0].reference == date(2016, 1, 7)  # its first Thursday
    with pytest.raises(ValueError):
        periods(2016, "weeks")


def test_monthly_advances_of_100000():
    advances = advance_schedule(D("100000.00"), months(2015))
    assert [a.amount for a in advances] == [D("8333.34")] * 4 + [D("8333.33")] * 8
    assert year_total(advances) == D("100000.00")
    first = advances[0].explanation
    assert (first.method, first.exact, first.adjustment_cents) == (
        "advance",
        Fraction(100000, 12),
        1,
    )


def test_four_weekly_advances_and_by_days():
    advances = advance_schedule(D("130000.00"), four_week_periods(2015))
    assert {a.amount for a in advances} == {D("10000.00")}
    # By days: 2015's period 13 has 35 of the 371 days.
    by_days = advance_schedule(D("130000.00"), four_week_periods(2015), weights=DAYS)
    # 130 000 × 35/371 = 12 264,1509... and × 28/371 = 9 811,3207...: one cent is left over
    # after flooring, and period 13 lost most (0,09 against 0,07 cent).
    assert by_days[12].amount == D("12264.16")
    assert by_days[0].amount == D("9811.32")
    assert year_total(by_days) == D("130000.00")


def test_final_settlement_delivered_minus_advances_minus_supplements():
    advances = [a.amount for a in advance_schedule(D("204000.00"), months(2015))]
    supplements = [
        Supplement(D("3000.00"), "aanvullend voorschot (meer cliënten)"),
        Supplement(D("9300.00"), "innovatietoeslag", settled=False),
    ]
    result = final_settlement(D("205000.00"), advances, supplements)
    assert result.advances == D("204000.00")
    assert result.settled_supplements == D("3000.00")
    assert result.kept_supplements == D("9300.00")
    assert result.balance == D("-2000.00")  # 205 000 - 204 000 - 3 000
    assert result.paid == D("216300.00")
    assert result.summary() == (
        "Geleverd €\xa0205.000,00, min voorschotten €\xa0204.000,00, min toeslagen op de "
        "levering €\xa03.000,00. De aanbieder betaalt €\xa02.000,00 terug."
    )
    assert (
        final_settlement(D(10), [D(4)])
        .summary()
        .endswith("De opdrachtgever betaalt nog €\xa06,00.")
    )
    assert (
        final_settlement(D(10), [D(10)])
        .summary()
        .endswith("Er hoeft niets meer betaald te worden.")
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: final_settlement(D(-1), []), "De geleverde waarde kan niet negatief zijn."),
        (lambda: final_settlement(D(1), [D(-1)]), "Een voorschot kan niet negatief zijn."),
        (lambda: Supplement(D("-1.00"), "x"), "Een toeslag kan niet negatief zijn."),
        (
            lambda: advance_schedule(D("0.001"), months(2015)),
            "Het jaarbedrag heeft meer dan twee cijfers",
        ),
        (
            lambda: Contract("K1", "p", TRANSITIONAL, date(2015, 2, 1), date(2015, 1, 1), D(1)),
            "Contract K1 eindigt voordat het begint.",
        ),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ContractRuleError) as exc:
        call()
    assert str(exc.value).startswith(message)


# --- the transition: one year for everybody, then multi-year contracts ------------------------

EXISTING = {  # yearly amounts in the transitional year (illustrative)
    "MeanderGroep": D("1800000.00"),
    "Cicero Thuis": D("1200000.00"),
    "Aanbieder C": D("600000.00"),
    "Aanbieder D": D("450000.00"),
    "Aanbieder E": D("150000.00"),
}
MULTI = {  # contracted from 2016 for three years; one new provider
    "MeanderGroep": D("1700000.00"),
    "Cicero Thuis": D("1250000.00"),
    "Aanbieder C": D("650000.00"),
    "Nieuwe Coöperatie": D("400000.00"),
}


def test_one_year_transitional_contract_then_multi_year_contracts():
    contracts = transition_plan(EXISTING, 2015, MULTI, 3)
    in_2015 = contracts_in_year(contracts, 2015)
    assert [c.provider for c in in_2015] == sorted(EXISTING)
    assert {(c.kind, c.start, c.end) for c in in_2015} == {
        (TRANSITIONAL, date(2015, 1, 1), date(2015, 12, 31))
    }
    for year in (2016, 2017, 2018):
        running = contracts_in_year(contracts, year)
        assert [c.provider for c in running] == sorted(MULTI)
        assert {c.kind for c in running} == {MULTI_YEAR}
    assert contracts_in_year(contracts, 2019) == []
    # Aanbieder D and E stop after the transitional year; the new cooperative starts in 2016.
    assert {c.provider for c in contracts if c.kind == TRANSITIONAL} - set(MULTI) == {
        "Aanbieder D",
        "Aanbieder E",
    }

    meander = {c.kind: c for c in contracts if c.provider == "MeanderGroep"}
    advances_2015 = contract_advances(meander[TRANSITIONAL], 2015)
    assert len(advances_2015) == 12 and year_total(advances_2015) == D("1800000.00")
    assert contract_advances(meander[TRANSITIONAL], 2016) == ()
    advances_2017 = contract_advances(meander[MULTI_YEAR], 2017)
    assert {a.amount for a in advances_2017} == {D("141666.67"), D("141666.66")}
    assert year_total(advances_2017) == D("1700000.00")

    # The final settlement of each year is against that year's advances.
    result = contract_year_settlement(meander[MULTI_YEAR], 2017, D("1712345.67"))
    assert result.balance == D("12345.67")
    transitional = contract_year_settlement(meander[TRANSITIONAL], 2015, D("1750000.00"))
    assert transitional.balance == D("-50000.00")


def test_transition_refuses_overlap_and_empty_plans():
    with pytest.raises(ContractRuleError, match="voor alle bestaande aanbieders"):
        transition_plan({}, 2015, MULTI, 3)
    with pytest.raises(ContractRuleError, match="minstens een jaar"):
        transition_plan(EXISTING, 2015, MULTI, 0)
    transitional = Contract(
        "T", "MeanderGroep", TRANSITIONAL, date(2015, 1, 1), date(2015, 12, 31), D(1)
    )
    early = Contract("M", "MeanderGroep", MULTI_YEAR, date(2015, 7, 1), date(2018, 12, 31), D(1))
    with pytest.raises(
        ContractRuleError, match="MeanderGroep heeft twee contracten tegelijk: T en M."
    ):
        check_contracts([transitional, early])
    with pytest.raises(ContractRuleError, match="Contractnummer T komt twee keer voor."):
        check_contracts([transitional, transitional])


def test_a_contract_from_april_gets_the_advances_from_april():
    contract = Contract("K", "p", MULTI_YEAR, date(2016, 4, 1), date(2018, 3, 31), D("120000.05"))
    advances = contract_advances(contract, 2016)
    # The year's 12 parts are 10 000,01 for January to May and 10 000,00 after.
    assert [a.period.index for a in advances] == list(range(4, 13))
    assert [a.amount for a in advances[:3]] == [D("10000.01"), D("10000.01"), D("10000.00")]
    assert year_total(advances) == D("90000.02")
    assert [a.period.index for a in contract_advances(contract, 2018)] == [1, 2, 3]


def test_four_weekly_contract_for_calendar_2015_gets_all_13_periods():
    contract = Contract(
        "K", "p", TRANSITIONAL, date(2015, 1, 1), date(2015, 12, 31), D("130000.00"), FOUR_WEEKS
    )
    advances = contract_advances(contract, 2015)
    # Period 1 starts on 29 December 2014, but its Thursday is 1 January 2015.
    assert len(advances) == 13 and year_total(advances) == D("130000.00")
    assert contract_advances(contract, 2016) == ()
    assert (
        Contract("K", "p", TRANSITIONAL, date(2015, 1, 1), date(2015, 1, 31), D(1)).frequency
        == MONTHS
    )


# --- properties -----------------------------------------------------------------------------


@given(
    cents=st.integers(0, 10**11),
    year=st.integers(2000, 2040),
    frequency=st.sampled_from([MONTHS, FOUR_WEEKS]),
    weights=st.sampled_from(["equal", DAYS]),
    data=st.data(),
)
def test_advances_add_up_to_the_yearly_amount(cents, year, frequency, weights, data):
    amount = D(cents).scaleb(-2)
    schedule = periods(year, frequency)
    advances = advance_schedule(amount, schedule, weights=weights)
    assert year_total(advances) == amount
    assert [a.period for a in advances] == sorted(schedule)
    assert all(a.amount >= 0 for a in advances)
    for a in advances:
        assert abs(Fraction(a.amount) - a.explanation.exact) < Fraction(1, 100)
    if weights == "equal":
        assert max(a.amount for a in advances) - min(a.amount for a in advances) <= D("0.01")
    shuffled = data.draw(st.permutations(schedule))
    assert advance_schedule(amount, shuffled, weights=weights) == advances


@given(
    delivered=st.integers(0, 10**9),
    advances=st.lists(st.integers(0, 10**8), max_size=13),
    supplements=st.lists(st.tuples(st.integers(0, 10**7), st.booleans()), max_size=4),
)
def test_final_settlement_identity(delivered, advances, supplements):
    money = [D(a).scaleb(-2) for a in advances]
    extras = [Supplement(D(c).scaleb(-2), "x", settled) for c, settled in supplements]
    result = final_settlement(D(delivered).scaleb(-2), money, extras)
    assert result.delivered - result.balance == result.advances + result.settled_supplements
    assert result.paid - result.kept_supplements - result.settled_supplements == sum(money, D(0))
