import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koepel.contracts.errors import ContractRuleError
from koepel.contracts.framework import (
    DECREASE,
    INCREASE,
    AdjustmentRule,
    CallOff,
    Catalogue,
    Conversion,
    Product,
    QualityIndicator,
    UnitReport,
    VolumeAgreement,
    accept_adjustment,
    build_catalogue,
    ceiling,
    check_report,
    innovation_supplement,
    period_figures,
    place_call_off,
    post_calculate,
    price,
    propose_adjustment,
)
from koepel.contracts.own_contribution import from_call_offs, per_client_period
from koepel.contracts.payments import four_week_periods

D = Decimal

# Goeree-Overflakkee (2015): 14 providers; three product groups × three levels plus two
# transport tariffs. Tariffs and volumes are illustrative (the case does not publish them).
CATALOGUE = build_catalogue(
    {
        ("ambulatory", "light"): D("45.00"),
        ("ambulatory", "medium"): D("55.00"),
        ("ambulatory", "heavy"): D("65.00"),
        ("group", "light"): D("18.00"),
        ("group", "medium"): D("24.00"),
        ("group", "heavy"): D("32.00"),
        ("day_activities", "light"): D("30.00"),
        ("day_activities", "medium"): D("40.00"),
        ("day_activities", "heavy"): D("55.00"),
    },
    {"ambulatory": "uur", "group": "uur", "day_activities": "dagdeel"},
    {"wheelchair": D("22.50"), "passenger": D("9.50")},
)

LAURENS = VolumeAgreement(
    "Laurens",
    {
        "ambulatory/light": D(2000),  # 90 000
        "ambulatory/medium": D(1500),  # 82 500
        "group/medium": D(1000),  # 24 000
        "transport/wheelchair": D(400),  # 9 000
    },
    clients=120,
)
LELIE = VolumeAgreement(
    "Leliezorggroep",
    {"ambulatory/heavy": D(800), "day_activities/medium": D(1200), "transport/passenger": D(1000)},
    clients=60,
)  # 52 000 + 48 000 + 9 500
CURAMARE = VolumeAgreement(
    "Curamare", {"ambulatory/medium": D(1000), "day_activities/heavy": D(600)}, clients=45
)  # 55 000 + 33 000
# Providers 4 to 14: 500·k hours ambulatory/medium and 100·k day parts day_activities/light,
# a ceiling of 30 500·k; k = 4..14 adds up to 99, so 3 019 500 together.
OTHERS = [
    VolumeAgreement(
        f"Aanbieder {k:02d}",
        {"ambulatory/medium": D(500 * k), "day_activities/light": D(100 * k)},
        clients=20 * k,
    )
    for k in range(4, 15)
]
AGREEMENTS = [LAURENS, LELIE, CURAMARE, *OTHERS]
P2015 = four_week_periods(2015)


def test_catalogue_three_groups_three_levels_two_transport_tariffs():
    assert len(CATALOGUE.products) == 11
    assert CATALOGUE.product("group/heavy").tariff == D("32.00")
    assert CATALOGUE.product("day_activities/light").unit == "dagdeel"
    wheelchair = CATALOGUE.product("transport/wheelchair")
    assert (wheelchair.unit, wheelchair.tariff, wheelchair.is_transport) == (
        "rit",
        D("22.50"),
        True,
    )


def test_goeree_overflakkee_14_providers_ceilings():
    assert len(AGREEMENTS) == 14
    ceilings = {a.provider: ceiling(a, CATALOGUE).ceiling for a in AGREEMENTS}
    assert ceilings["Laurens"] == D("205500.00")
    assert ceilings["Leliezorggroep"] == D("109500.00")
    assert ceilings["Curamare"] == D("88000.00")
    assert ceilings["Aanbieder 14"] == D("427000.00")
    assert sum(ceilings.values()) == D("3422500.00")
    lines = ceiling(LAURENS, CATALOGUE).lines
    assert lines[0] == ("ambulatory/light", D(2000), D("45.00"), D("90000.00"))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: build_catalogue({}, {"group": "uur"}, {}),
            "Het tarief van group/light ontbreekt.",
        ),
        (
            lambda: build_catalogue(
                {("group", lv): D(1) for lv in ("light", "medium", "heavy", "extra")},
                {"group": "uur"},
                {},
            ),
            "Er is een tarief voor een onbekend product: group/extra.",
        ),
        (
            lambda: Product("group", "light", "uur", D("-1.00")),
            "Het tarief van group/light kan niet negatief zijn.",
        ),
        (lambda: Product("group", "light", "", D("1.00")), "Geef de eenheid van group/light op."),
        (
            lambda: Catalogue((Product("g", "l", "uur", D(1)), Product("g", "l", "uur", D(2)))),
            "Een product staat twee keer in de catalogus.",
        ),
        (lambda: CATALOGUE.product("wmo/zwaar"), "Product wmo/zwaar staat niet in de catalogus."),
        (
            lambda: VolumeAgreement("x", {"group/light": D(-5)}, 1),
            "Het volume van group/light kan niet negatief zijn.",
        ),
    ],
)
def test_catalogue_and_volume_errors(call, message):
    with pytest.raises(ContractRuleError) as exc:
        call()
    assert str(exc.value) == message


# --- call-offs against the ceiling ----------------------------------------------------------


def call_off(
    id, provider, client, product, quantity, start=date(2015, 1, 5), end=date(2015, 12, 31)
):
    return CallOff(id, provider, client, product, D(quantity), start, end)


def test_call_off_priced_at_the_agreed_tariff():
    assert price(call_off("x", "Laurens", "GO-1", "ambulatory/light", "2.25"), CATALOGUE) == D(
        "101.25"
    )
    assert price(call_off("x", "Laurens", "GO-1", "group/light", "0.333"), CATALOGUE) == D(
        "5.99"
    )  # 5,994


def test_call_off_that_breaks_the_ceiling_is_refused_or_flagged():
    existing = [
        call_off("C-1", "Curamare", "GO-0101", "ambulatory/medium", 1000),  # 55 000
        call_off("C-2", "Curamare", "GO-0102", "day_activities/heavy", 500),  # 27 500
        call_off("L-1", "Laurens", "GO-0001", "ambulatory/medium", 3000),  # another provider
    ]
    fits = place_call_off(
        CURAMARE,
        CATALOGUE,
        existing,
        call_off("C-3", "Curamare", "GO-0103", "day_activities/heavy", 100),
    )
    assert (fits.price, fits.committed_before, fits.committed_after, fits.remaining) == (
        D("5500.00"),
        D("82500.00"),
        D("88000.00"),
        D("0.00"),
    )
    assert not fits.call_off.over_ceiling
    too_much = call_off("C-3", "Curamare", "GO-0103", "day_activities/heavy", 101)  # 5 555
    with pytest.raises(ContractRuleError) as exc:
        place_call_off(CURAMARE, CATALOGUE, existing, too_much)
    assert str(exc.value) == (
        "Deze afroep (€\xa05.555,00) past niet binnen het budgetplafond van Curamare "
        "(€\xa088.000,00): er is al €\xa082.500,00 afgeroepen, dus er is nog €\xa05.500,00 over."
    )
    allowed = place_call_off(CURAMARE, CATALOGUE, existing, too_much, allow_over_ceiling=True)
    assert allowed.call_off.over_ceiling
    assert allowed.remaining == D("-55.00")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: call_off("C-1", "Curamare", "GO-1", "ambulatory/medium", 1),
            "Afroep C-1 bestaat al.",
        ),
        (
            lambda: call_off("C-9", "Curamare", "GO-1", "wmo/x", 1),
            "Product wmo/x staat niet in de catalogus.",
        ),
        (
            lambda: call_off("C-9", "Curamare", "GO-1", "ambulatory/medium", 0),
            "De hoeveelheid van een afroep moet groter dan 0 zijn.",
        ),
        (
            lambda: call_off("C-9", "Curamare", "", "ambulatory/medium", 1),
            "Een afroep is altijd voor een cliënt.",
        ),
        (
            lambda: call_off(
                "C-9",
                "Curamare",
                "GO-1",
                "ambulatory/medium",
                1,
                date(2015, 2, 1),
                date(2015, 1, 1),
            ),
            "De afroep eindigt voordat hij begint.",
        ),
    ],
)
def test_bad_call_offs(make, message):
    existing = [call_off("C-1", "Curamare", "GO-0101", "ambulatory/medium", 10)]
    with pytest.raises(ContractRuleError) as exc:
        place_call_off(CURAMARE, CATALOGUE, existing, make())
    assert str(exc.value) == message


# --- unit reports and the 4-weekly figures --------------------------------------------------

LAURENS_CALL_OFFS = [
    call_off(
        "L1", "Laurens", "GO-0001", "ambulatory/light", 120, date(2015, 1, 5), date(2015, 6, 28)
    ),
    call_off("L2", "Laurens", "GO-0002", "group/medium", 200),
    call_off("L3", "Laurens", "GO-0003", "transport/wheelchair", 80, date(2015, 2, 2)),
    call_off("C1", "Curamare", "GO-0101", "day_activities/heavy", 40),
]
LAURENS_REPORTS = [
    UnitReport("L1", 1, D(20)),
    UnitReport("L1", 2, D(20)),
    UnitReport("L1", 3, D("18.5")),
    UnitReport("L2", 1, D(16)),
    UnitReport("L2", 2, D(16)),
    UnitReport("L2", 3, D(16)),
    UnitReport("L3", 2, D(8)),
    UnitReport("L3", 3, D(8)),
    UnitReport("C1", 3, D(4)),
]


def test_four_week_periods_of_2015():
    assert len(P2015) == 13
    assert (P2015[0].start, P2015[0].end) == (date(2014, 12, 29), date(2015, 1, 25))
    assert (P2015[2].start, P2015[2].end) == (date(2015, 2, 23), date(2015, 3, 22))
    assert P2015[12].days == 35  # 2015 has 53 ISO weeks
    assert four_week_periods(2016)[12].days == 28


def test_four_weekly_figures_per_provider_side_by_side():
    figures = period_figures(
        [LAURENS, CURAMARE], CATALOGUE, LAURENS_CALL_OFFS, LAURENS_REPORTS, P2015[2]
    )
    assert [f.provider for f in figures] == ["Curamare", "Laurens"]
    laurens = figures[1]
    # Up to period 3: 58,5 h × 45 + 48 h × 24 + 16 rides × 22,50 = 2 632,50 + 1 152 + 360.
    assert laurens.used == D("4144.50")
    # In period 3: 18,5 × 45 + 16 × 24 + 8 × 22,50 = 832,50 + 384 + 180.
    assert laurens.used_in_period == D("1396.50")
    assert laurens.ceiling == D("205500.00")
    assert laurens.remaining == D("201355.50")
    assert laurens.used_percent == D("2.0")
    assert laurens.committed == D("12000.00")  # 5 400 + 4 800 + 1 800
    assert (laurens.clients, laurens.contracted_clients) == (3, 120)
    assert laurens.units == {
        "ambulatory/light": D("18.5"),
        "group/medium": D(16),
        "transport/wheelchair": D(8),
    }
    assert figures[0].used == D("220.00") and figures[0].clients == 1
    first = period_figures([LAURENS], CATALOGUE, LAURENS_CALL_OFFS, LAURENS_REPORTS, P2015[0])[0]
    assert first.clients == 2  # GO-0003's transport starts in February
    assert first.used == first.used_in_period == D("1284.00")  # 900 + 384


def test_reports_are_checked():
    orders = {c.id: c for c in LAURENS_CALL_OFFS}
    check_report(UnitReport("L1", 4, D(20)), orders, LAURENS_REPORTS, P2015, closed_through=3)
    cases = [
        (
            UnitReport("L1", 3, D(1)),
            "Periode 3 is afgesloten. Meld een correctie bij de opdrachtgever.",
        ),
        (UnitReport("L1", 8, D(1)), "Afroep L1 loopt niet in periode 8."),
        (
            UnitReport("L1", 4, D("61.6")),
            "Dit is meer dan er is afgeroepen: 120, waarvan al 58,5 gemeld.",
        ),
        (UnitReport("X9", 4, D(1)), "Afroep X9 bestaat niet."),
        (UnitReport("L1", 14, D(1)), "Periode 14 bestaat niet."),
    ]
    for report, message in cases:
        with pytest.raises(ContractRuleError) as exc:
            check_report(report, orders, LAURENS_REPORTS, P2015, closed_through=3)
        assert str(exc.value) == message
    with pytest.raises(ContractRuleError, match="al een aantal gemeld"):
        check_report(UnitReport("L1", 3, D(1)), orders, LAURENS_REPORTS, P2015)
    with pytest.raises(ContractRuleError, match="niet negatief"):
        UnitReport("L1", 4, D(-1))


def test_own_contribution_figures_come_from_call_offs_and_reports():
    lines = from_call_offs(LAURENS_CALL_OFFS, LAURENS_REPORTS, CATALOGUE)
    first = [line for line in lines if line.client == "GO-0001"]
    assert [
        (line.period, line.provider, line.item, line.unit, line.quantity, line.cost)
        for line in first
    ] == [
        (1, "Laurens", "ambulatory/light", "uur", D(20), D("900.00")),
        (2, "Laurens", "ambulatory/light", "uur", D(20), D("900.00")),
        (3, "Laurens", "ambulatory/light", "uur", D("18.5"), D("832.50")),
    ]
    totals = {(t.client, t.period): t for t in per_client_period(lines)}
    assert totals["GO-0003", 2].hours == 0  # rides are no hours
    assert totals["GO-0003", 2].cost == D("180.00")
    assert totals["GO-0002", 3].hours == D(16)
    assert totals["GO-0101", 3].hours == 0 and totals["GO-0101", 3].cost == D("220.00")  # day parts
    assert sum(t.cost for t in totals.values()) == D("4364.50")  # 4 144,50 + 220
    with pytest.raises(ContractRuleError, match="Afroep X bestaat niet."):
        from_call_offs(LAURENS_CALL_OFFS, [UnitReport("X", 1, D(1))], CATALOGUE)


# --- the adjustment rule --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "kind", "amount"),
    [
        (127, INCREASE, D("11987.50")),  # +5,83 %: 7 × 1 712,50 (205 500 / 120)
        (126, None, D("0.00")),  # +5 % exactly: not more than 5 %
        (120, None, D("0.00")),
        (108, None, D("0.00")),  # -10 % exactly: not more than 10 % fewer
        (107, DECREASE, D("-22262.50")),  # -10,83 %: -13 × 1 712,50
    ],
)
def test_adjustment_rule_5_percent_up_10_percent_down(actual, kind, amount):
    proposal = propose_adjustment(LAURENS, CATALOGUE, actual)
    assert (proposal.kind, proposal.amount) == (kind, amount)
    assert proposal.new_ceiling == D("205500.00") + amount
    assert proposal.explanation.inputs["per_client"] == D("1712.50")


def test_adjustment_texts_and_configurable_thresholds():
    up = propose_adjustment(LAURENS, CATALOGUE, 127)
    assert up.text() == (
        "Laurens heeft 127 cliënten, ≈ 5,833333% meer dan de 120 afgesproken. Voorstel: het "
        "budget €\xa011.987,50 verhogen (€\xa01.712,50 per cliënt)."
    )
    assert up.explanation.text() == (
        "(127 - 120 cliënten) × €\xa01.712,50 per cliënt (plafond €\xa0205.500,00 / 120 cliënten)."
    )
    down = propose_adjustment(LAURENS, CATALOGUE, 107)
    assert (
        "minder dan de 120 afgesproken. Voorstel: het budget €\xa022.262,50 verlagen" in down.text()
    )
    assert "binnen de afspraak" in propose_adjustment(LAURENS, CATALOGUE, 124).text()
    strict = AdjustmentRule(increase_above=D(3), decrease_below=D(3))
    assert propose_adjustment(LAURENS, CATALOGUE, 124, strict).amount == D("6850.00")
    assert propose_adjustment(LAURENS, CATALOGUE, 116, strict).amount == D("-6850.00")
    with pytest.raises(ContractRuleError, match="tussen 0% en 100%"):
        AdjustmentRule(increase_above=D(-1))


def test_accepted_adjustment_raises_the_ceiling_and_the_client_count():
    adjusted = accept_adjustment(LAURENS, propose_adjustment(LAURENS, CATALOGUE, 127))
    assert adjusted.clients == 127
    assert ceiling(adjusted, CATALOGUE).ceiling == D("217487.50")
    # From the new count the budget per client is about the same, so 127 proposes nothing.
    assert propose_adjustment(adjusted, CATALOGUE, 127).kind is None
    with pytest.raises(ValueError):
        accept_adjustment(LAURENS, propose_adjustment(LAURENS, CATALOGUE, 120))


def test_adjustment_needs_contracted_clients():
    with pytest.raises(ContractRuleError, match="geen aantal cliënten afgesproken"):
        propose_adjustment(VolumeAgreement("x", {}, 0), CATALOGUE, 5)


# --- innovation supplement ------------------------------------------------------------------


def test_innovation_supplement_keeps_the_tariff_difference():
    conversion = Conversion(
        "Laurens", "ambulatory/medium", "group/medium", D(300), equal_quality=True
    )
    supplement = innovation_supplement(CATALOGUE, conversion)
    assert supplement.amount == D("9300.00")  # 300 × (55 - 24)
    assert supplement.explanation.exact == Fraction(9300)
    assert supplement.explanation.text() == (
        "300 eenheden × (individueel tarief €\xa055,00 - groepstarief €\xa024,00)."
    )


@pytest.mark.parametrize(
    ("conversion", "message"),
    [
        (
            Conversion("L", "ambulatory/medium", "group/medium", D(1), False),
            "alleen als de groepsbegeleiding even goed is",
        ),
        (
            Conversion("L", "ambulatory/medium", "day_activities/light", D(1), True),
            "van individuele naar groepsondersteuning",
        ),
        (
            Conversion("L", "day_activities/heavy", "group/heavy", D(1), True),
            "andere eenheid (dagdeel en uur)",
        ),
        (Conversion("L", "ambulatory/light", "group/heavy", D(1), True), None),  # 45 > 32: fine
        (Conversion("L", "ambulatory/medium", "group/medium", D(-1), True), "kan niet negatief"),
    ],
)
def test_innovation_supplement_conditions(conversion, message):
    if message is None:
        assert innovation_supplement(CATALOGUE, conversion).amount == D("13.00")
        return
    with pytest.raises(ContractRuleError, match=re.escape(message)):
        innovation_supplement(CATALOGUE, conversion)


def test_innovation_supplement_needs_a_lower_group_tariff():
    catalogue = Catalogue(
        (Product("ambulatory", "light", "uur", D(20)), Product("group", "light", "uur", D(20)))
    )
    with pytest.raises(ContractRuleError, match="niet lager"):
        innovation_supplement(
            catalogue, Conversion("L", "ambulatory/light", "group/light", D(1), True)
        )


# --- post-calculation -----------------------------------------------------------------------

YEAR_CALL_OFFS = [
    call_off("Y1", "Laurens", "GO-0001", "ambulatory/light", 2100),
    call_off("Y2", "Laurens", "GO-0002", "ambulatory/medium", 1500),
    call_off("Y3", "Laurens", "GO-0003", "group/medium", 1000),
    call_off("Y4", "Laurens", "GO-0004", "transport/wheelchair", 400),
    call_off("Z1", "Curamare", "GO-0101", "ambulatory/medium", 100),
]
YEAR_REPORTS = [
    UnitReport("Y1", 13, D(2100)),  # 94 500
    UnitReport("Y2", 13, D(1450)),  # 79 750
    UnitReport("Y3", 13, D(1000)),  # 24 000
    UnitReport("Y4", 13, D(380)),  # 8 550
    UnitReport("Z1", 13, D(100)),  # another provider's
]
INDICATORS = [
    QualityIndicator("cliënttevredenheid", bonus=D(2)),
    QualityIndicator("zelfredzaamheid", bonus=D(1)),
    QualityIndicator("wachttijd", malus=D("1.5")),
]
RESULTS = {"cliënttevredenheid": True, "zelfredzaamheid": True, "wachttijd": False}


def test_post_calculation_with_more_clients_quality_and_innovation_supplement():
    result = post_calculate(
        LAURENS,
        CATALOGUE,
        YEAR_CALL_OFFS,
        YEAR_REPORTS,
        actual_clients=127,
        indicators=INDICATORS,
        results=RESULTS,
        advances=D("205500.00"),  # 12 × 17 125
        supplements=[D("9300.00")],
    )
    assert result.delivered == D("206800.00")
    assert result.adjustment.amount == D("11987.50")
    assert result.funded_ceiling == D("217487.50")
    assert result.funded == D("206800.00")  # below the raised ceiling: all of it
    assert result.quality_percent == D("1.5")  # +2 +1 -1,5
    assert result.quality == D("3102.00")
    assert result.quality_explanation.text() == "Kwaliteit: 1,5% van €\xa0206.800,00."
    assert result.quality_explanation.exact == Fraction(3102)
    assert result.final == D("219202.00")  # 206 800 + 3 102 + 9 300
    assert result.balance == D("13702.00")
    assert result.met == ("cliënttevredenheid", "zelfredzaamheid")
    assert result.missed == ("wachttijd",)
    assert result.steps()[-1] == (
        "Eindbedrag €\xa0219.202,00 (met €\xa09.300,00 toeslagen), min €\xa0205.500,00 "
        "voorschotten: €\xa013.702,00."
    )


def test_post_calculation_caps_at_the_ceiling_when_clients_did_not_grow():
    result = post_calculate(
        LAURENS,
        CATALOGUE,
        YEAR_CALL_OFFS,
        YEAR_REPORTS,
        actual_clients=120,
        indicators=INDICATORS,
        results=RESULTS,
        advances=D("205500.00"),
    )
    assert result.funded == D("205500.00")
    assert result.quality == D("3082.50")
    assert result.final == D("208582.50")
    assert result.balance == D("3082.50")
    assert "daarboven wordt niet betaald" in " ".join(result.steps())


def test_post_calculation_refuses_missing_or_unknown_indicator_results():
    kwargs = dict(actual_clients=120, indicators=INDICATORS, advances=D(0))
    with pytest.raises(ContractRuleError, match="nog geen uitkomst voor wachttijd"):
        post_calculate(
            LAURENS,
            CATALOGUE,
            [],
            [],
            results={"cliënttevredenheid": True, "zelfredzaamheid": True},
            **kwargs,
        )
    with pytest.raises(ContractRuleError, match="Onbekende kwaliteitsindicator: x"):
        post_calculate(LAURENS, CATALOGUE, [], [], results=RESULTS | {"x": True}, **kwargs)


# --- properties -----------------------------------------------------------------------------


@given(
    quantities=st.lists(
        st.tuples(st.integers(1, 13), st.integers(0, 4000).map(lambda q: D(q).scaleb(-2))),
        max_size=40,
    )
)
def test_period_figures_add_up_to_the_year(quantities):
    orders = [
        call_off(
            f"Q{i}",
            "Laurens",
            f"GO-{i % 5}",
            "group/light",
            10**6,
            date(2014, 12, 29),
            date(2016, 1, 3),
        )
        for i in range(len(quantities))
    ]
    reports = [UnitReport(f"Q{i}", period, q) for i, (period, q) in enumerate(quantities)]
    figures = [period_figures([LAURENS], CATALOGUE, orders, reports, p)[0] for p in P2015]
    assert sum(f.used_in_period for f in figures) == figures[-1].used
    exact = sum(Fraction(q) * 18 for _p, q in quantities)
    assert abs(Fraction(figures[-1].used) - exact) <= Fraction(1, 200)


@given(
    contracted=st.integers(1, 500),
    actual=st.integers(0, 1000),
    up=st.integers(0, 20).map(D),
    down=st.integers(0, 20).map(D),
)
def test_adjustment_properties(contracted, actual, up, down):
    agreement = VolumeAgreement("p", {"group/light": D(1000)}, contracted)  # ceiling 18 000
    proposal = propose_adjustment(agreement, CATALOGUE, actual, AdjustmentRule(up, down))
    change = Fraction(actual - contracted, contracted) * 100
    assert (proposal.kind == INCREASE) == (change > up)
    assert (proposal.kind == DECREASE) == (change < -down)
    if proposal.kind is None:
        assert proposal.amount == 0
    else:
        exact = Fraction(18000, contracted) * (actual - contracted)
        assert abs(Fraction(proposal.amount) - exact) <= Fraction(1, 200)
        assert (proposal.amount > 0) == (proposal.kind == INCREASE)


@given(quantities=st.lists(st.integers(1, 3000), min_size=1, max_size=20), allow=st.booleans())
def test_committed_never_exceeds_the_ceiling_unless_flagged(quantities, allow):
    placed = []
    for i, q in enumerate(quantities):
        new = call_off(f"C{i}", "Curamare", f"GO-{i}", "ambulatory/medium", q)
        try:
            check = place_call_off(CURAMARE, CATALOGUE, placed, new, allow_over_ceiling=allow)
        except ContractRuleError:
            assert not allow
            continue
        assert check.call_off.over_ceiling == (check.committed_after > check.ceiling)
        placed.append(check.call_off)
    total = sum(price(c, CATALOGUE) for c in placed)
    if not allow:
        assert total <= D("88000.00")
