"""The tenants module's rules, tested without HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.platform.tenancy import acting_for
from koepel.tenants import members as ops
from koepel.tenants import validation
from koepel.tenants.models import Household, Member


@pytest.mark.parametrize("raw, expected", [("5423ab", "5423 AB"), (" 1234 AB ", "1234 AB")])
def test_postcode_is_normalised(raw, expected):
    assert validation.postcode(raw) == expected


@pytest.mark.parametrize("raw", ["0123 AB", "12345", "1234 SS", "1234", "", "ABCD 12"])
def test_bad_postcodes_are_refused(raw):
    with pytest.raises(ValueError, match="Nederlandse postcode"):
        validation.postcode(raw)


def test_kvk_and_phone():
    assert validation.kvk_number("12345678") == "12345678"
    for bad in ("1234567", "123456789", "1234567a"):
        with pytest.raises(ValueError):
            validation.kvk_number(bad)
    assert validation.phone("0492 123456") == "0492 123456"
    assert validation.phone("+31 6 12345678") == "+31 6 12345678"
    assert validation.phone("") == ""
    with pytest.raises(ValueError):
        validation.phone("12345")


def test_postcode_ranges():
    ranges = validation.postcode_ranges("5721-5725, 5730")
    assert ranges == [(5721, 5725), (5730, 5730)]
    assert validation.in_ranges("5723", ranges) and not validation.in_ranges("5726", ranges)
    for bad in ("5725-5721", "57xx", "1-2"):
        with pytest.raises(ValueError):
            validation.postcode_ranges(bad)


def _data(**kw):
    base = dict(
        first_name="Ria",
        last_name="van den Berg",
        joined_on=date(2020, 3, 1),
        street="Dorpsstraat",
        house_number="12",
        postcode="5424ab",
        city="Elsendorp",
        date_of_birth=date(1948, 5, 17),
        phone="0492 123456",
    )
    base.update(kw)
    return ops.MemberData(**base)


@pytest.fixture
def coop(db, make_org):
    org = make_org("cooperative", slug="rules-coop")
    with acting_for(org.id):
        yield org


def test_register_numbers_members_and_shares_households(db, coop):
    a = ops.register(actor=None, org=coop, data=_data())
    b = ops.register(actor=None, org=coop, data=_data(first_name="Jan"))
    assert (a.number, b.number) == (1, 2)
    assert a.household_id == b.household_id  # same postcode and house number
    assert a.household.postcode == "5424 AB" and a.postcode_digits == "5424"
    assert a.search_name == "ria van den berg"


def test_register_refuses_bad_input_with_the_field(db, coop):
    with pytest.raises(ops.MemberError) as err:
        ops.register(actor=None, org=coop, data=_data(postcode="99"))
    assert err.value.field == "postcode"
    with pytest.raises(ops.MemberError) as err:
        ops.register(actor=None, org=coop, data=_data(first_name="", last_name=" "))
    assert err.value.field == "last_name"
    with pytest.raises(ops.MemberError) as err:
        ops.register(actor=None, org=coop, data=_data(date_of_birth=date(2999, 1, 1)))
    assert err.value.field == "date_of_birth"


def test_end_membership_checks_dates(db, coop):
    member = ops.register(actor=None, org=coop, data=_data())
    with pytest.raises(ops.MemberError):
        ops.end_membership(actor=None, org=coop, member=member, on=date(2019, 1, 1))
    ops.end_membership(actor=None, org=coop, member=member, on=date(2024, 12, 31))
    assert not member.is_current
    with pytest.raises(ops.MemberError):
        ops.end_membership(actor=None, org=coop, member=member, on=date(2025, 1, 1))


def test_fees_are_money_and_one_per_year(db, coop):
    member = ops.register(actor=None, org=coop, data=_data())
    ops.set_fee(actor=None, org=coop, member=member, year=2025, amount="12.5", paid_on=None)
    fee = ops.set_fee(
        actor=None,
        org=coop,
        member=member,
        year=2025,
        amount=Decimal("15"),
        paid_on=date(2025, 2, 1),
    )
    assert fee.amount == Decimal("15.00") and fee.paid_on == date(2025, 2, 1)
    with pytest.raises(ops.MemberError):
        ops.set_fee(actor=None, org=coop, member=member, year=2026, amount="-1", paid_on=None)


def test_erasure_keeps_statistics_only(db, coop):
    member = ops.register(actor=None, org=coop, data=_data())
    ops.set_fee(actor=None, org=coop, member=member, year=2025, amount="15", paid_on=None)
    export = ops.personal_data(member)
    assert export["achternaam"] == "van den Berg" and export["contributie"][0]["bedrag"] == "15.00"
    ops.erase(actor=None, org=coop, member=member)
    db.session.expire_all()
    member = db.session.scalar(select(Member).where(Member.id == member.id))
    assert member.first_name == ops.ERASED and member.last_name == "" and member.phone == ""
    assert member.date_of_birth is None and member.household_id is None
    assert (member.birth_year, member.postcode_digits, member.number) == (1948, "5424", 1)
    assert member.left_on is not None and member.erased_at is not None
    household = db.session.scalars(select(Household)).one()
    assert household.street == "" and household.postcode == ""
    with pytest.raises(ops.MemberError):
        ops.update(actor=None, org=coop, member=member, data=_data())


def test_member_changes_are_audited_without_personal_data(db, coop):
    from koepel.platform.models import AuditEvent

    member = ops.register(actor=None, org=coop, data=_data())
    ops.erase(actor=None, org=coop, member=member)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "member")).all()
    assert [e.action for e in events] == ["member.registered", "member.erased"]
    assert "Berg" not in str([e.summary for e in events])
