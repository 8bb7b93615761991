from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import StatementError
from sqlalchemy.schema import CreateTable

from koepel.platform.timeutil import (
    AMSTERDAM,
    UTC,
    UTCDateTime,
    format_date_local,
    format_datetime_local,
    local_today,
    parse_local,
    to_local,
    utcnow,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_amsterdam_zone():
    assert AMSTERDAM.key == "Europe/Amsterdam"


def test_utcnow_is_aware_utc():
    now = utcnow()
    assert now.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - now) < timedelta(seconds=5)


# --- to_local -----------------------------------------------------------------------------


def test_to_local_summer_and_winter():
    assert to_local(utc(2026, 7, 1, 10, 0)).isoformat() == "2026-07-01T12:00:00+02:00"
    assert to_local(utc(2026, 12, 1, 10, 0)).isoformat() == "2026-12-01T11:00:00+01:00"
    assert to_local(utc(2026, 7, 1, 10, 0)).tzinfo is AMSTERDAM


def test_to_local_treats_naive_as_utc():
    assert to_local(datetime(2026, 7, 1, 10, 0)) == utc(2026, 7, 1, 10, 0)
    assert to_local(datetime(2026, 7, 1, 10, 0)).hour == 12


def test_to_local_converts_other_zones():
    new_york = timezone(timedelta(hours=-5))
    assert to_local(datetime(2026, 12, 1, 4, 0, tzinfo=new_york)).hour == 10


# --- parse_local --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "time", "expected"),
    [
        ("2026-12-01", "10:00", utc(2026, 12, 1, 9, 0)),  # winter, CET (+01:00)
        ("2026-07-01", "10:00", utc(2026, 7, 1, 8, 0)),  # summer, CEST (+02:00)
        ("2026-01-01", "00:30", utc(2025, 12, 31, 23, 30)),  # crosses the date line in UTC
        ("2026-03-29", "01:59", utc(2026, 3, 29, 0, 59)),  # just before the spring gap
        ("2026-03-29", "03:00", utc(2026, 3, 29, 1, 0)),  # just after it
        ("2026-10-25", "02:30", utc(2026, 10, 25, 0, 30)),  # ambiguous: first occurrence (CEST)
        ("2026-10-25", "02:00", utc(2026, 10, 25, 0, 0)),
        ("2026-10-25", "03:00", utc(2026, 10, 25, 2, 0)),  # after the fold, CET again
        ("2026-12-01", "10:00:15", utc(2026, 12, 1, 9, 0, 15)),  # browsers may send seconds
        (" 2026-12-01 ", " 10:00 ", utc(2026, 12, 1, 9, 0)),
    ],
)
def test_parse_local(day, time, expected):
    result = parse_local(day, time)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize("time", ["02:00", "02:30", "02:59"])
def test_parse_local_rejects_spring_gap_in_dutch(time):
    with pytest.raises(ValueError) as exc:
        parse_local("2026-03-29", time)
    assert str(exc.value) == (
        f"Het tijdstip {time} op 29-03-2026 bestaat niet: die nacht gaat de klok "
        "van 02:00 naar 03:00 (zomertijd). Kies een ander tijdstip."
    )


@pytest.mark.parametrize(
    ("day", "time", "message"),
    [
        ("29-03-2026", "10:00", "Vul een geldige datum in, bijvoorbeeld 2026-03-29."),
        ("2026-3-29", "10:00", "Vul een geldige datum in, bijvoorbeeld 2026-03-29."),
        ("20260329", "10:00", "Vul een geldige datum in, bijvoorbeeld 2026-03-29."),
        ("", "10:00", "Vul een geldige datum in, bijvoorbeeld 2026-03-29."),
        ("2026-02-30", "10:00", "De datum 2026-02-30 bestaat niet."),
        ("2026-03-29", "9:30", "Vul een geldige tijd in, bijvoorbeeld 09:30."),
        ("2026-03-29", "", "Vul een geldige tijd in, bijvoorbeeld 09:30."),
        ("2026-03-29", "10.00", "Vul een geldige tijd in, bijvoorbeeld 09:30."),
        ("2026-03-29", "24:00", "De tijd 24:00 bestaat niet."),
        ("2026-03-29", "10:60", "De tijd 10:60 bestaat niet."),
    ],
)
def test_parse_local_rejects_bad_input_in_dutch(day, time, message):
    with pytest.raises(ValueError) as exc:
        parse_local(day, time)
    assert str(exc.value) == message


# --- formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dt", "locale", "format", "expected"),
    [
        (utc(2026, 3, 29, 9, 5), "nl", "medium", "29 mrt 2026, 11:05:00"),
        (utc(2026, 3, 29, 9, 5), "nl", "short", "29-03-2026, 11:05"),
        (utc(2026, 3, 29, 9, 5), "nl", "long", "29 maart 2026, 11:05:00 CEST"),
        (utc(2026, 12, 1, 9, 0), "nl", "medium", "1 dec 2026, 10:00:00"),
        (datetime(2026, 12, 1, 9, 0), "nl", "medium", "1 dec 2026, 10:00:00"),  # naive = UTC
        (utc(2026, 3, 29, 9, 5), "en", "medium", "Mar 29, 2026, 11:05:00\u202fAM"),
    ],
)
def test_format_datetime_local(dt, locale, format, expected):
    assert format_datetime_local(dt, locale, format) == expected


def test_format_datetime_local_defaults_to_dutch_medium():
    assert format_datetime_local(utc(2026, 7, 1, 8, 0)) == "1 jul 2026, 10:00:00"


def test_format_date_local_uses_the_amsterdam_date():
    # 23:30 UTC on New Year's Eve is already New Year's Day in Amsterdam.
    assert format_date_local(utc(2026, 12, 31, 23, 30)) == "1 jan 2027"
    assert format_date_local(utc(2026, 12, 31, 23, 30), "nl", "short") == "01-01-2027"
    assert format_date_local(date(2026, 12, 31)) == "31 dec 2026"
    assert format_date_local(date(2026, 12, 31), "en", "long") == "December 31, 2026"


# --- UTCDateTime --------------------------------------------------------------------------


@pytest.fixture
def events_table():
    engine = create_engine("sqlite://")
    table = Table(
        "events",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
    )
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        yield conn, table


def test_utc_datetime_sqlite_round_trip(events_table):
    conn, table = events_table
    summer_local = datetime(2026, 7, 1, 10, 0, 0, 123456, tzinfo=AMSTERDAM)
    values = [summer_local, utc(2026, 12, 1, 9, 0), parse_local("2026-10-25", "02:30"), None]
    conn.execute(insert(table), [{"at": v} for v in values])
    rows = conn.execute(select(table.c.at).order_by(table.c.id)).scalars().all()
    assert rows == values
    assert rows[0] == utc(2026, 7, 1, 8, 0, 0, 123456)  # same instant, microseconds kept
    assert all(r.tzinfo is UTC for r in rows[:-1])


def test_utc_datetime_sqlite_compares_instants(events_table):
    conn, table = events_table
    conn.execute(insert(table), [{"at": utc(2026, 7, 1, 8, 0)}, {"at": utc(2026, 7, 1, 9, 0)}])
    # 10:30 Amsterdam (summer) is 08:30 UTC: only the second row is later.
    cutoff = datetime(2026, 7, 1, 10, 30, tzinfo=AMSTERDAM)
    assert conn.execute(select(table.c.id).where(table.c.at > cutoff)).scalars().all() == [2]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (datetime(2026, 7, 1, 10, 0), ValueError),
        (date(2026, 7, 1), TypeError),
        ("2026-07-01", TypeError),
    ],
)
def test_utc_datetime_refuses_naive_and_non_datetimes(events_table, value, error):
    conn, table = events_table
    with pytest.raises(StatementError) as exc:
        conn.execute(insert(table), {"at": value})
    assert isinstance(exc.value.orig, error)


def test_utc_datetime_postgresql_dialect():
    dialect = postgresql.dialect()
    column_type = UTCDateTime()
    bound = column_type.process_bind_param(datetime(2026, 7, 1, 10, 0, tzinfo=AMSTERDAM), dialect)
    assert bound == utc(2026, 7, 1, 8, 0)
    assert bound.tzinfo is UTC  # stays aware for timestamptz
    from_db = datetime(2026, 7, 1, 10, 0, tzinfo=AMSTERDAM)  # psycopg uses the session zone
    loaded = column_type.process_result_value(from_db, dialect)
    assert loaded.tzinfo is UTC and loaded.hour == 8
    table = Table("t", MetaData(), Column("at", UTCDateTime()))
    ddl = str(CreateTable(table).compile(dialect=dialect))
    assert "TIMESTAMP WITH TIME ZONE" in ddl


def test_local_today_is_amsterdams_date_not_the_servers():
    # 23:30 UTC on 23 November is already 24 November in Amsterdam (UTC+1 in winter).
    assert local_today(utc(2026, 11, 23, 23, 30)) == date(2026, 11, 24)
    assert local_today(utc(2026, 7, 1, 21, 59)) == date(2026, 7, 1)
    assert local_today(utc(2026, 7, 1, 22, 0)) == date(2026, 7, 2)
