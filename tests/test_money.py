import math
import warnings
from decimal import Decimal
from fractions import Fraction

import pytest
from babel.numbers import NumberFormatError, parse_decimal
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, func, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import StatementError
from sqlalchemy.schema import CreateTable

from koepel.platform.money import (
    CENT,
    MAX_MONEY,
    MoneyParseError,
    MoneyType,
    format_money,
    parse_money,
    split,
    to_money,
    validate_weights_sum_100,
)

D = Decimal


# --- to_money ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("12.345"), "12.35"),  # ROUND_HALF_UP, not banker's rounding
        (D("12.344"), "12.34"),
        (D("-12.345"), "-12.35"),  # half away from zero
        (D("0.125"), "0.13"),
        (5, "5.00"),
        (-3, "-3.00"),
        ("12.5", "12.50"),
        (" 7 ", "7.00"),
        ("-0", "0.00"),  # no negative zero
        (D("-0.004"), "0.00"),
    ],
)
def test_to_money(value, expected):
    result = to_money(value)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize("value", [1.5, 0.0, True, False, None, [1], Fraction(1, 2)])
def test_to_money_rejects_non_money_types(value):
    with pytest.raises(TypeError):
        to_money(value)


@pytest.mark.parametrize(
    "value", ["NaN", D("NaN"), D("Infinity"), "-Infinity", "abc", "1,5", "", "1e40"]
)
def test_to_money_rejects_non_finite_and_garbage(value):
    with pytest.raises(ValueError):
        to_money(value)


def test_cent():
    assert D("0.01") == CENT


# --- parse_money --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1234,56", "1234.56"),
        ("€ 1.234,56", "1234.56"),
        ("€1234", "1234.00"),
        ("-12,50", "-12.50"),
        (" 12 ", "12.00"),
        ("1.234", "1234.00"),  # in nl a dot only groups thousands
        ("1.234.567,8", "1234567.80"),
        ("0,5", "0.50"),
        ("€\xa0-12,50", "-12.50"),  # babel's own nl output
        ("-€ 12,50", "-12.50"),
        ("\u221212,50", "-12.50"),  # typographic minus sign
        ("12,50 €", "12.50"),
        ("12,-", "12.00"),  # Dutch shorthand for whole euros
        ("€ 12,--", "12.00"),
        ("-0", "0.00"),
        ("999.999.999.999,99", "999999999999.99"),
    ],
)
def test_parse_money_nl(text, expected):
    result = parse_money(text)
    assert str(result) == expected
    assert parse_money(text, "nl_NL") == result
    assert parse_money(text, "nl-NL") == result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("€1,234.56", "1234.56"),
        ("1234.5", "1234.50"),
        ("-€12.50", "-12.50"),
        ("1,234", "1234.00"),
    ],
)
def test_parse_money_en(text, expected):
    assert str(parse_money(text, "en")) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Vul een bedrag in, bijvoorbeeld 1.234,56."),
        ("   ", "Vul een bedrag in, bijvoorbeeld 1.234,56."),
        (None, "Vul een bedrag in, bijvoorbeeld 1.234,56."),
        (
            "12,345",
            "Een bedrag heeft hoogstens twee cijfers achter de komma, bijvoorbeeld 1.234,56.",
        ),
        ("1.23", "Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als 1.234,56."),
        ("1234.56", "Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als 1.234,56."),
        ("12.34.567", "Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als 1.234,56."),
        ("1,234,56", "Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als 1.234,56."),
        ("twaalf", "Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als 1.234,56."),
        ("12a", "Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als 1.234,56."),
        ("€", "Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als 1.234,56."),
        ("€ 12 €", "Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als 1.234,56."),
        ("--12", "Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als 1.234,56."),
        ("1 234,56", "Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als 1.234,56."),
        ("+12", "Dit is geen geldig bedrag. Schrijf het bijvoorbeeld als 1.234,56."),
        (
            "1.000.000.000.000",
            "Dit bedrag is te groot. Het hoogste bedrag is €\xa0999.999.999.999,99.",
        ),
    ],
)
def test_parse_money_nl_errors_are_plain_dutch(text, message):
    with pytest.raises(MoneyParseError) as exc:
        parse_money(text)
    assert str(exc.value) == message


def test_parse_money_too_large_message():
    with pytest.raises(MoneyParseError, match="te groot") as exc:
        parse_money("-1.000.000.000.000,00")
    assert "999.999.999.999,99" in str(exc.value)
    with pytest.raises(MoneyParseError, match="te groot"):
        parse_money("9" * 100)  # more digits than the decimal context holds
    with pytest.raises(MoneyParseError, match=r"too large. The maximum is €999,999,999,999.99."):
        parse_money("1,000,000,000,000", "en")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter an amount, for example 1,234.56."),
        ("12.345", "An amount has at most two decimal places, for example 1,234.56."),
        ("1,23", "This is not a valid amount. Write it like 1,234.56."),
        ("1.234,56", "This is not a valid amount. Write it like 1,234.56."),
    ],
)
def test_parse_money_en_errors_are_english(text, message):
    with pytest.raises(MoneyParseError) as exc:
        parse_money(text, "en")
    assert str(exc.value) == message


def test_money_parse_error_is_a_value_error():
    assert issubclass(MoneyParseError, ValueError)


def test_parse_money_rejects_non_text():
    with pytest.raises(TypeError):
        parse_money(12)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("1.234,56", "nl"),
        ("1234,5", "nl"),
        ("1.234", "nl"),
        ("-12,50", "nl"),
        ("1,234.56", "en"),
        ("7", "en"),
    ],
)
def test_parse_money_agrees_with_babel_strict_on_valid_input(text, locale):
    assert parse_money(text, locale) == to_money(parse_decimal(text, locale=locale, strict=True))


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("1e5", "nl"),
        ("NaN", "nl"),
        ("12,", "nl"),
        (",5", "nl"),
        ("\u0661\u0662", "nl"),  # Arabic-Indic digits
        ("12,345", "nl"),
    ],
)
def test_parse_money_is_stricter_than_babel(text, locale):
    # Babel's strict mode accepts all of these; a money field should not.
    parse_decimal(text, locale=locale, strict=True)
    with pytest.raises(MoneyParseError):
        parse_money(text, locale)


@pytest.mark.parametrize(("text", "locale"), [("1.23", "nl"), ("1,23", "en"), ("12.34.567", "nl")])
def test_parse_money_and_babel_both_reject_bad_grouping(text, locale):
    with pytest.raises(NumberFormatError):
        parse_decimal(text, locale=locale, strict=True)
    with pytest.raises(MoneyParseError):
        parse_money(text, locale)


money_cents = st.integers(min_value=-int(MAX_MONEY * 100), max_value=int(MAX_MONEY * 100))


@given(cents=money_cents, locale=st.sampled_from(["nl", "en"]))
def test_format_then_parse_round_trips(cents, locale):
    amount = D(cents).scaleb(-2)
    assert parse_money(format_money(amount, locale), locale) == amount


# --- format_money -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "locale", "expected"),
    [
        # Babel puts a no-break space (U+00A0) between "€" and the amount in nl.
        (D("1234.56"), "nl", "€\xa01.234,56"),
        (D("-12.50"), "nl", "€\xa0-12,50"),  # nl: sign after the euro sign
        (0, "nl", "€\xa00,00"),
        (D("-0.001"), "nl", "€\xa00,00"),  # rounds to zero, no "-0,00"
        ("0.005", "nl", "€\xa00,01"),  # half up
        (MAX_MONEY, "nl", "€\xa0999.999.999.999,99"),
        (D("1234.56"), "nl_NL", "€\xa01.234,56"),
        (D("1234.56"), "en", "€1,234.56"),
        (D("-12.50"), "en", "-€12.50"),  # en: sign before the euro sign
        (0, "en", "€0.00"),
    ],
)
def test_format_money(amount, locale, expected):
    assert format_money(amount, locale) == expected


def test_format_money_rejects_float():
    with pytest.raises(TypeError):
        format_money(12.5)  # type: ignore[arg-type]


# --- split --------------------------------------------------------------------------------


def test_split_three_ways_gives_the_extra_cent_to_the_first():
    assert split(D("100.00"), [1, 1, 1]) == [D("33.34"), D("33.33"), D("33.33")]


def test_split_alphen_coalition():
    # 4 main contractors at 15% and 4 subcontractors at 10% of € 8.500.000,00.
    parts = split(D("8500000.00"), [15, 15, 15, 15, 10, 10, 10, 10])
    assert parts == [D("1275000.00")] * 4 + [D("850000.00")] * 4
    assert sum(parts) == D("8500000.00")


def test_split_alphen_with_awkward_weights():
    weights = [D("14.3")] * 4 + [D("10.7")] * 4
    parts = split("8500000.01", weights)
    assert sum(parts) == D("8500000.01")
    assert parts == [D("1215500.01")] + [D("1215500.00")] * 3 + [D("909500.00")] * 4


def test_split_prefers_largest_remainder_over_index():
    # Exact shares 0.333.. and 0.666..: the second lost more in flooring.
    assert split(D("1.00"), [1, 2]) == [D("0.33"), D("0.67")]


def test_split_ties_go_to_lower_index():
    assert split(D("0.02"), [1, 1, 1]) == [D("0.01"), D("0.01"), D("0.00")]


def test_split_negative_total_mirrors_positive():
    assert split(D("-100.00"), [1, 1, 1]) == [D("-33.34"), D("-33.33"), D("-33.33")]


def test_split_zero_weights_get_zero():
    assert split(D("10.00"), [0, 1, 1, 0]) == [D("0.00"), D("5.00"), D("5.00"), D("0.00")]
    assert split(D("0.01"), [0, 1]) == [D("0.00"), D("0.01")]


def test_split_zero_total():
    assert split(0, [1, 2]) == [D("0.00"), D("0.00")]


def test_split_decimal_weights_and_money_total():
    assert split("10", [D("0.5"), D("0.25"), D("0.25")]) == [D("5.00"), D("2.50"), D("2.50")]
    assert split(D("10.005"), [1]) == [D("10.01")]  # total is rounded to cents first


def test_split_results_have_two_decimals():
    assert [str(p) for p in split(7, [1, 1])] == ["3.50", "3.50"]


@pytest.mark.parametrize("weights", [[], [0], [0, 0, 0], [1, -1, 1], [D("-0.5"), 1], [D("NaN")]])
def test_split_rejects_bad_weights(weights):
    with pytest.raises(ValueError):
        split(D("10.00"), weights)


@pytest.mark.parametrize("weights", [[1.0, 1], [True, 1], ["1", 1], [None]])
def test_split_rejects_non_decimal_weights(weights):
    with pytest.raises(TypeError):
        split(D("10.00"), weights)


def test_split_rejects_float_total():
    with pytest.raises(TypeError):
        split(10.0, [1])  # type: ignore[arg-type]


weight = st.one_of(
    st.integers(min_value=0, max_value=10_000),
    st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
)
weight_lists = st.lists(weight, min_size=1, max_size=50).filter(lambda ws: sum(ws) > 0)
totals = st.integers(min_value=-(10**9), max_value=10**9).map(lambda c: D(c).scaleb(-2))


def exact_shares(total: Decimal, weights: list) -> list[Fraction]:
    weight_sum = sum(Fraction(w) for w in weights)
    return [Fraction(total) * Fraction(w) / weight_sum for w in weights]


@given(total=totals, weights=weight_lists)
def test_split_properties(total, weights):
    parts = split(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total  # exact to the cent
    assert all(p.as_tuple().exponent == -2 for p in parts)
    if total >= 0:
        assert all(p >= 0 for p in parts)
    else:
        assert all(p <= 0 for p in parts)
    for part, share in zip(parts, exact_shares(total, weights), strict=True):
        assert abs(Fraction(part) - share) < Fraction(1, 100)
    for part, w in zip(parts, weights, strict=True):
        if w == 0:
            assert part == 0
    assert split(total, weights) == parts  # deterministic
    assert split(-total, weights) == [-p for p in parts]


@given(total=totals, weights=weight_lists, data=st.data())
def test_split_permuting_weights_permutes_parts_unless_tied(total, weights, data):
    order = data.draw(st.permutations(range(len(weights))))
    parts = split(total, weights)
    permuted = split(total, [weights[i] for i in order])
    assert sum(permuted) == total

    # Only a tie in remainders exactly at the cut-off makes the index tie-break matter.
    cent_shares = [s * 100 for s in exact_shares(abs(total), weights)]
    remainders = sorted((s - math.floor(s) for s in cent_shares), reverse=True)
    leftover = int(abs(total) * 100) - sum(math.floor(s) for s in cent_shares)
    cut_off_tie = 0 < leftover < len(remainders) and (
        remainders[leftover - 1] == remainders[leftover]
    )
    if not cut_off_tie:
        assert permuted == [parts[i] for i in order]
    else:
        for new, i in enumerate(order):
            assert abs(permuted[new] - parts[i]) <= CENT


# --- validate_weights_sum_100 -------------------------------------------------------------


@pytest.mark.parametrize(
    "weights",
    [
        [100],
        [D("33.33"), D("33.33"), D("33.34")],
        [15, 15, 15, 15, 10, 10, 10, 10],
        [D("100.000"), 0],
    ],
)
def test_validate_weights_sum_100_accepts(weights):
    validate_weights_sum_100(weights)


@pytest.mark.parametrize(
    ("weights", "shown"),
    [([50, D("49.5")], "99,5%"), ([], "0%"), ([D("33.33")] * 3, "99,99%"), ([60, 60], "120%")],
)
def test_validate_weights_sum_100_rejects_in_dutch(weights, shown):
    with pytest.raises(ValueError) as exc:
        validate_weights_sum_100(weights)
    assert str(exc.value) == (
        f"De percentages tellen op tot {shown}, maar moeten samen precies 100% zijn."
    )


def test_validate_weights_sum_100_rejects_negative_in_dutch():
    with pytest.raises(ValueError, match="kan niet negatief zijn"):
        validate_weights_sum_100([110, -10])


def test_validate_weights_sum_100_rejects_floats():
    with pytest.raises(TypeError):
        validate_weights_sum_100([50.0, 50])


# --- MoneyType ----------------------------------------------------------------------------


@pytest.fixture
def money_table():
    engine = create_engine("sqlite://")
    table = Table(
        "ledger",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("amount", MoneyType()),
    )
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        yield conn, table


ROUND_TRIP = [
    D("123456789012.34"),
    D("0.10"),
    D("0.20"),
    MAX_MONEY,
    -MAX_MONEY,
    D("0.01"),
    D("12"),
    D("-7.5"),
    D("1.005"),
]


def test_money_type_sqlite_round_trip_is_exact(money_table):
    conn, table = money_table
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # some SQLAlchemy versions warn about Decimal on SQLite
        conn.execute(insert(table), [{"amount": a} for a in ROUND_TRIP] + [{"amount": None}])
        rows = conn.execute(select(table.c.amount).order_by(table.c.id)).scalars().all()
    expected = [to_money(a) for a in ROUND_TRIP] + [None]
    assert rows == expected
    assert [str(r) for r in rows[:-1]] == [str(e) for e in expected[:-1]]
    assert all(isinstance(r, Decimal) for r in rows[:-1])


def test_money_type_sqlite_query_and_sum(money_table):
    conn, table = money_table
    conn.execute(insert(table), [{"amount": D("0.10")}, {"amount": D("0.20")}])
    assert conn.execute(select(func.sum(table.c.amount))).scalar_one() == D("0.30")
    assert conn.execute(select(table.c.id).where(table.c.amount == D("0.10"))).scalar_one() == 1


@pytest.mark.parametrize(
    ("value", "error"), [(0.1, TypeError), (True, TypeError), (D("1e12"), ValueError)]
)
def test_money_type_rejects_on_bind(money_table, value, error):
    conn, table = money_table
    with pytest.raises(StatementError) as exc:
        conn.execute(insert(table), {"amount": value})
    assert isinstance(exc.value.orig, error)


def test_money_type_postgresql_dialect():
    dialect = postgresql.dialect()
    money = MoneyType()
    assert money.process_bind_param(D("1.005"), dialect) == D("1.01")
    result = money.process_result_value(D("2.5"), dialect)
    assert str(result) == "2.50"
    table = Table("t", MetaData(), Column("amount", MoneyType()))
    ddl = str(CreateTable(table).compile(dialect=dialect))
    assert "NUMERIC(14, 2)" in ddl
