from decimal import Decimal
from fractions import Fraction

import pytest
from flask import Flask
from flask_babel import Babel
from hypothesis import given
from hypothesis import strategies as st

from koepel.contracts.allocation import (
    EQUAL,
    PERCENTAGES,
    PROPOSALS,
    VOLUME_TARIFF,
    Reserve,
    VolumeLine,
    allocate_equal,
    allocate_percentages,
    allocate_proposals,
    allocate_volume_tariff,
)
from koepel.contracts.errors import ContractRuleError, _

D = Decimal

# Alphen aan den Rijn ('Tom in de buurt'): € 8.500.000 a year, divided by the coalition
# itself. The proposal figures are illustrative (the case does not publish them).
ALPHEN_MAIN = {
    "Kwadraad": D("2150000.00"),
    "Gemiva-SVG Groep": D("1600000.00"),
    "Kwintes": D("1450000.00"),
    "Participe": D("1300000.00"),
}
ALPHEN_SUB = {
    "ActiVite": D("600000.00"),
    "De Binnenvest": D("500000.00"),
    "Ipse de Bruggen": D("500000.00"),
    "Wijdezorg": D("400000.00"),
}
ALPHEN = ALPHEN_MAIN | ALPHEN_SUB
ALPHEN_BUDGET = D("8500000.00")

# Brunssum 2016: one integral budget; the five contracted providers propose its division.
# Budget and proposals illustrative; MeanderGroep and Cicero Thuis are named in the case.
BRUNSSUM_BUDGET = D("7200000.00")
BRUNSSUM = {
    "MeanderGroep": D("2160000.00"),
    "Cicero Thuis": D("1440000.00"),
    "Aanbieder C": D("1296000.00"),
    "Aanbieder D": D("1224000.00"),
    "Aanbieder E": D("1080000.00"),
}


def check_adds_up(allocation):
    reserve = allocation.reserve.amount if allocation.reserve else 0
    assert sum(s.amount for s in allocation.shares) + reserve + allocation.unallocated == (
        allocation.total
    )
    if allocation.reserve:
        r = allocation.reserve
        assert sum(s.amount for s in r.shares) + r.unassigned == r.amount
    for share in (*allocation.shares, *(allocation.reserve.shares if allocation.reserve else ())):
        why = share.explanation
        assert why.amount == share.amount
        assert why.base + D(why.adjustment_cents).scaleb(-2) == share.amount
        assert share.amount.as_tuple().exponent == -2


# --- the cases ------------------------------------------------------------------------------


def test_alphen_coalition_proposals_add_up_to_8_5_million():
    allocation = allocate_proposals(ALPHEN_BUDGET, ALPHEN)
    assert allocation.method == PROPOSALS
    assert allocation.balanced
    assert allocation.amounts == ALPHEN
    assert sum(ALPHEN_MAIN.values()) == D("6500000.00")
    assert sum(ALPHEN_SUB.values()) == D("2000000.00")
    assert allocation.unallocated == 0
    assert allocation.notes() == []
    assert [s.partner for s in allocation.shares] == sorted(ALPHEN)  # order of the input ignored
    kwadraad = next(s for s in allocation.shares if s.partner == "Kwadraad")
    assert kwadraad.explanation.method == "proposal"
    assert kwadraad.explanation.exact == Fraction(2150000)
    assert kwadraad.explanation.adjustment_cents == 0
    assert kwadraad.explanation.text() == "Eigen voorstel: €\xa02.150.000,00."
    assert kwadraad.difference == 0 and kwadraad.suggested == D("2150000.00")
    check_adds_up(allocation)


def test_alphen_fixed_percentages_main_15_sub_10():
    percentages = {k: D(15) for k in ALPHEN_MAIN} | {k: D(10) for k in ALPHEN_SUB}
    allocation = allocate_percentages(ALPHEN_BUDGET, percentages)
    assert allocation.method == PERCENTAGES
    assert {allocation.amounts[k] for k in ALPHEN_MAIN} == {D("1275000.00")}
    assert {allocation.amounts[k] for k in ALPHEN_SUB} == {D("850000.00")}
    share = next(s for s in allocation.shares if s.partner == "Kwadraad")
    assert share.explanation.inputs == {"percentage": D(15), "distributable": ALPHEN_BUDGET}
    assert share.explanation.text() == "15% van €\xa08.500.000,00."
    check_adds_up(allocation)


def test_alphen_proposals_off_by_100000_report_the_difference_per_partner():
    proposals = dict(ALPHEN, Kwadraad=D("2250000.00"))  # 100 000 more than there is
    allocation = allocate_proposals(ALPHEN_BUDGET, proposals)
    assert not allocation.balanced
    assert allocation.unallocated == D("-100000.00")
    by_id = {s.partner: s for s in allocation.shares}
    assert by_id["Kwadraad"].amount == D("2250000.00")  # as proposed, not changed silently
    # Each partner's part of the 100 000 is in proportion to its proposal (of 8 600 000).
    assert by_id["Kwadraad"].difference == D("-26162.79")  # 100000 * 2250000 / 8600000
    assert by_id["Wijdezorg"].difference == D("-4651.16")  # 100000 * 400000 / 8600000
    assert sum(s.difference for s in allocation.shares) == D("-100000.00")
    assert sum(s.suggested for s in allocation.shares) == ALPHEN_BUDGET
    assert allocation.notes() == [
        "De voorstellen zijn samen €\xa0100.000,00 te hoog. Pas ze aan voordat de verdeling "
        "wordt afgesproken."
    ]
    check_adds_up(allocation)
    # The lead party can adopt the suggestion: that allocation is balanced.
    fixed = allocate_proposals(ALPHEN_BUDGET, {s.partner: s.suggested for s in allocation.shares})
    assert fixed.balanced


def test_alphen_with_a_two_percent_reserve_for_citizen_initiatives():
    reserve = Reserve(percent=D(2), initiatives=["Buurtkamer Noord", "Repair Café", "Samen Eten"])
    proposals = dict(ALPHEN, Kwadraad=D("1980000.00"))  # 170 000 less, for the reserve
    allocation = allocate_proposals(ALPHEN_BUDGET, proposals, reserve=reserve)
    assert allocation.reserve.amount == D("170000.00")
    assert allocation.distributable == D("8330000.00")
    assert allocation.balanced
    # 170 000 / 3 = 56 666,666...: the two cents left over go to the first two ids.
    assert [(s.partner, s.amount) for s in allocation.reserve.shares] == [
        ("Buurtkamer Noord", D("56666.67")),
        ("Repair Café", D("56666.67")),
        ("Samen Eten", D("56666.66")),
    ]
    first = allocation.reserve.shares[0].explanation
    assert first.method == "initiative"
    assert first.exact == Fraction(170000, 3)
    assert first.base == D("56666.66") and first.adjustment_cents == 1
    assert allocation.reserve.explanation.text() == "Reserve: 2% van €\xa08.500.000,00."
    assert allocation.amounts["Samen Eten"] == D("56666.66")
    check_adds_up(allocation)


def test_brunssum_2016_five_providers_divide_one_integral_budget():
    allocation = allocate_proposals(BRUNSSUM_BUDGET, BRUNSSUM)
    assert allocation.balanced
    assert len(allocation.shares) == 5
    assert allocation.amounts["MeanderGroep"] == D("2160000.00")  # 30 %
    assert sum(allocation.amounts.values()) == BRUNSSUM_BUDGET
    check_adds_up(allocation)


def test_brunssum_lot_subscribed_for_a_percentage():
    # Providers subscribed to a lot for a percentage (illustrative lot budget and shares).
    allocation = allocate_percentages(
        D("1000000.01"), {"MeanderGroep": D("40"), "Cicero Thuis": D("35"), "Aanbieder C": D(25)}
    )
    assert allocation.amounts == {
        "Aanbieder C": D("250000.00"),
        "Cicero Thuis": D("350000.00"),
        "MeanderGroep": D("400000.01"),  # remainder .004 is the largest of the three
    }
    check_adds_up(allocation)


# --- the methods ----------------------------------------------------------------------------


def test_equal_shares_with_explanation_of_the_extra_cent():
    allocation = allocate_equal(D("100.00"), ["c", "a", "b"])
    assert allocation.method == EQUAL
    assert [(s.partner, s.amount) for s in allocation.shares] == [
        ("a", D("33.34")),
        ("b", D("33.33")),
        ("c", D("33.33")),
    ]
    why = allocation.shares[0].explanation
    assert (why.exact, why.base, why.adjustment_cents) == (Fraction(100, 3), D("33.33"), 1)
    assert why.text() == (
        "€\xa0100,00 gedeeld door 3 partners. Exact ≈ 33,333333; 1 cent erbij zodat de delen "
        "samen precies het totaal zijn."
    )
    assert allocation.shares[1].explanation.adjustment_cents == 0


def test_volume_tariff_below_the_budget_leaves_the_rest_unallocated():
    volumes = {
        "Zorgkracht": VolumeLine(D(1200), D("58.40")),  # 70 080,00
        "Buurtzorg": [VolumeLine(D(800), D("61.25")), VolumeLine(D("10.5"), D("40.00"))],
    }
    allocation = allocate_volume_tariff(D("150000.00"), volumes)
    assert allocation.method == VOLUME_TARIFF
    assert allocation.amounts == {"Buurtzorg": D("49420.00"), "Zorgkracht": D("70080.00")}
    assert allocation.unallocated == D("30500.00")
    assert allocation.scale is None
    assert allocation.notes() == [
        "Volume × tarief is minder dan het budget. €\xa030.500,00 blijft over en is niet verdeeld."
    ]
    check_adds_up(allocation)


def test_volume_tariff_above_the_budget_scales_every_share_down():
    volumes = {"A": VolumeLine(D(1000), D("60.00")), "B": VolumeLine(D(500), D("80.00"))}
    allocation = allocate_volume_tariff(D("90000.00"), volumes)  # values 60 000 + 40 000
    assert allocation.scale == Fraction(9, 10)
    assert allocation.amounts == {"A": D("54000.00"), "B": D("36000.00")}
    assert allocation.unallocated == 0
    assert allocation.total_value == D("100000.00")
    assert "naar verhouding verlaagd" in allocation.notes()[0]
    assert allocation.shares[0].explanation.inputs["scale_total"] == D("100000.00")
    assert allocation.shares[0].lines == (volumes["A"],)
    check_adds_up(allocation)


def test_volume_tariff_sub_cent_values_never_exceed_the_budget():
    # 3 × 0,005 = 0,015 exactly, at a budget of 0,01: scaled down to the cent.
    volumes = {k: VolumeLine(D("0.5"), D("0.01")) for k in "abc"}
    allocation = allocate_volume_tariff(D("0.01"), volumes)
    assert sum(allocation.amounts.values()) == D("0.01")
    # At a budget of 1,00: the whole (0,015) is rounded once to 0,02 and split.
    allocation = allocate_volume_tariff(D("1.00"), volumes)
    assert allocation.amounts == {"a": D("0.01"), "b": D("0.01"), "c": D("0.00")}
    assert allocation.unallocated == D("0.98")


def test_volume_tariff_nothing_delivered():
    allocation = allocate_volume_tariff(D("10.00"), {"a": VolumeLine(0, D("5.00"))})
    assert allocation.amounts == {"a": D("0.00")}
    assert allocation.unallocated == D("10.00")


def test_reserve_as_amount_with_weights_and_unassigned_reserve():
    weighted = Reserve(amount=D("1000.00"), initiatives={"x": D(3), "y": D(1)})
    allocation = allocate_equal(D("5000.00"), ["a", "b"], reserve=weighted)
    assert allocation.amounts == {
        "a": D("2000.00"),
        "b": D("2000.00"),
        "x": D("750.00"),
        "y": D("250.00"),
    }
    assert allocation.reserve.explanation.text() == "Reserve: vast bedrag van €\xa01.000,00."
    check_adds_up(allocation)
    pending = allocate_equal(D("5000.00"), ["a", "b"], reserve=Reserve(amount=D("1000.00")))
    assert pending.reserve.unassigned == D("1000.00")
    assert pending.reserve.shares == ()
    assert pending.notes() == [
        "€\xa01.000,00 van de reserve is nog niet aan initiatieven toegekend."
    ]
    check_adds_up(pending)


# --- bad input: clear Dutch messages --------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: allocate_percentages(D(100), {"a": D(50), "b": D("49.5")}),
            "De percentages tellen op tot 99,5%, maar moeten samen precies 100% zijn.",
        ),
        (
            lambda: allocate_percentages(D(100), {"a": D(110), "b": D(-10)}),
            "Het percentage van a moet tussen 0% en 100% liggen.",
        ),
        (
            lambda: allocate_proposals(D(100), {"a": D(-1), "b": D(101)}),
            "Het voorstel van a kan niet negatief zijn.",
        ),
        (
            lambda: allocate_proposals(D(100), {"a": D("0.001")}),
            "Het voorstel van a heeft meer dan twee cijfers achter de komma.",
        ),
        (
            lambda: allocate_volume_tariff(D(100), {"a": VolumeLine(D(1), D("-60.00"))}),
            "Een tarief kan niet negatief zijn.",
        ),
        (
            lambda: allocate_volume_tariff(D(100), {"a": VolumeLine(D(-1), D("60.00"))}),
            "Een volume kan niet negatief zijn.",
        ),
        (lambda: allocate_equal(D(-100), ["a"]), "Het budget kan niet negatief zijn."),
        (lambda: allocate_equal(D(100), []), "Er is geen partner om het budget over te verdelen."),
        (
            lambda: allocate_equal(D(100), ["a", "a"]),
            "Een partner staat twee keer in de verdeling.",
        ),
        (
            lambda: allocate_equal(D(100), ["a"], reserve=Reserve(amount=D(1), percent=D(1))),
            "Geef de reserve op als bedrag of als percentage, niet allebei.",
        ),
        (
            lambda: allocate_equal(D(100), ["a"], reserve=Reserve(amount=D(101))),
            "De reserve (€\xa0101,00) is groter dan het budget (€\xa0100,00).",
        ),
        (
            lambda: allocate_equal(D(100), ["a"], reserve=Reserve(percent=D(120))),
            "Het percentage van de reserve moet tussen 0% en 100% liggen.",
        ),
        (
            lambda: allocate_equal(D(100), ["a"], reserve=Reserve(amount=D(1), initiatives=["a"])),
            "Een initiatief kan niet ook partner in dezelfde verdeling zijn.",
        ),
        (
            lambda: allocate_equal(
                D(100), ["a"], reserve=Reserve(amount=D(1), initiatives={"x": D(0)})
            ),
            "De gewichten van de initiatieven zijn samen 0.",
        ),
    ],
)
def test_bad_input_is_refused_in_plain_dutch(call, message):
    with pytest.raises(ContractRuleError) as exc:
        call()
    assert str(exc.value) == message


def test_contract_rule_error_is_a_value_error_with_a_field():
    with pytest.raises(ValueError) as exc:
        allocate_percentages(D(100), {"a": D(60), "b": D(30)})
    assert exc.value.field == "percentages"


def test_floats_are_refused():
    with pytest.raises(TypeError):
        allocate_equal(100.0, ["a"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        allocate_percentages(D(100), {"a": 100.0})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        VolumeLine(1.5, D(1))  # type: ignore[arg-type]


def test_messages_go_through_flask_babel_inside_an_app():
    assert _("%(n)s partners", n=3) == "3 partners"
    assert _("100% klaar") == "100% klaar"  # no variables: no %-formatting, as in flask_babel
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "en")
    with app.test_request_context():
        assert _("%(n)s partners", n=3) == "3 partners"  # no catalogue here: the source text
        with pytest.raises(ContractRuleError) as exc:
            allocate_equal(D(100), [])
        assert str(exc.value) == "Er is geen partner om het budget over te verdelen."
        # Amounts follow the reader's language.
        allocation = allocate_equal(D("1000.00"), ["a", "b"])
        assert allocation.shares[0].explanation.text() == ("€1,000.00 gedeeld door 2 partners.")


# --- properties -----------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**11)
totals = cents.map(lambda c: D(c).scaleb(-2))
ids = st.lists(
    st.text(alphabet="abcdefghij", min_size=1, max_size=3), min_size=1, max_size=12, unique=True
)
weights = st.integers(min_value=0, max_value=10**6)


def permuted(mapping, order):
    keys = list(mapping)
    return {keys[i]: mapping[keys[i]] for i in order}


def near_exact(allocation):
    for share in allocation.shares:
        assert abs(Fraction(share.amount) - share.explanation.exact) < Fraction(1, 100)


@st.composite
def percentage_sets(draw):
    names = draw(ids)
    # Hundredths of a percent that add up to exactly 100.
    cuts = sorted(
        draw(st.lists(st.integers(0, 10_000), min_size=len(names) - 1, max_size=len(names) - 1))
    )
    bounds = [0, *cuts, 10_000]
    return {n: D(b - a).scaleb(-2) for n, a, b in zip(names, bounds, bounds[1:], strict=False)}


reserves = st.one_of(
    st.none(),
    st.builds(
        Reserve,
        percent=st.integers(0, 100).map(D),
        initiatives=st.lists(st.sampled_from(["X1", "X2", "X3"]), unique=True),
    ),
)


@given(total=totals, percentages=percentage_sets(), reserve=reserves, data=st.data())
def test_percentages_properties(total, percentages, reserve, data):
    allocation = allocate_percentages(total, percentages, reserve=reserve)
    check_adds_up(allocation)
    assert allocation.unallocated == 0
    assert all(s.amount >= 0 for s in allocation.shares)
    near_exact(allocation)
    order = data.draw(st.permutations(range(len(percentages))))
    assert allocate_percentages(total, permuted(percentages, order), reserve=reserve) == allocation


@given(total=totals, names=ids, reserve=reserves, data=st.data())
def test_equal_properties(total, names, reserve, data):
    allocation = allocate_equal(total, names, reserve=reserve)
    check_adds_up(allocation)
    amounts = [s.amount for s in allocation.shares]
    assert max(amounts) - min(amounts) <= D("0.01")
    assert allocate_equal(total, data.draw(st.permutations(names)), reserve=reserve) == allocation


@given(total=totals, names=ids, data=st.data())
def test_proposals_properties(total, names, data):
    proposals = {n: D(data.draw(cents)).scaleb(-2) for n in names}
    allocation = allocate_proposals(total, proposals)
    check_adds_up(allocation)
    assert allocation.balanced == (sum(proposals.values()) == total)
    assert sum(s.difference for s in allocation.shares) == allocation.unallocated
    assert sum(s.suggested for s in allocation.shares) == total
    assert all(s.suggested >= 0 for s in allocation.shares)
    order = data.draw(st.permutations(range(len(proposals))))
    assert allocate_proposals(total, permuted(proposals, order)) == allocation


@given(total=totals, names=ids, reserve=reserves, data=st.data())
def test_volume_tariff_properties(total, names, reserve, data):
    volumes = {
        n: VolumeLine(
            D(data.draw(st.integers(0, 10**6))).scaleb(-data.draw(st.integers(0, 2))),
            D(data.draw(st.integers(0, 10**6))).scaleb(-2),
        )
        for n in names
    }
    allocation = allocate_volume_tariff(total, volumes, reserve=reserve)
    check_adds_up(allocation)
    assert allocation.unallocated >= 0
    assert all(s.amount >= 0 for s in allocation.shares)
    near_exact(allocation)
    for share in allocation.shares:
        value = volumes[share.partner].value
        if allocation.scale is None:  # the value, give or take rounding
            assert abs(share.amount - value) < D("0.015")
        else:  # scaled down: never more than the value (but for the rounding cent)
            assert share.amount <= value + D("0.01")
            assert allocation.unallocated == 0
    order = data.draw(st.permutations(range(len(volumes))))
    assert allocate_volume_tariff(total, permuted(volumes, order), reserve=reserve) == allocation
