"""Services, volunteers, help requests, matching, hours and reciprocity — without HTTP."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import local_today, utcnow
from koepel.tenants import catalogue, help, volunteers
from koepel.tenants import members as member_ops
from koepel.tenants.models import FundingSource, HelpStatus, HourEntry, Recurrence, ServiceKind


@pytest.fixture
def coop(db, make_org):
    org = make_org("cooperative", slug="help-coop")
    with acting_for(org.id):
        yield org


def _member(coop, first, postcode="5424 AB"):
    return member_ops.register(
        actor=None,
        org=coop,
        data=member_ops.MemberData(
            first_name=first, last_name="Test", joined_on=date(2020, 1, 1), postcode=postcode
        ),
    )


def _service(coop, code="transport", name="Vervoer", vog=False, kind=ServiceKind.INFORMAL):
    return catalogue.create(
        actor=None,
        org=coop,
        data=catalogue.ServiceData(
            code=code,
            name=name,
            kind=kind,
            funding=FundingSource.MEMBER_CONTRIBUTION,
            member_price=Decimal("2.50"),
            price_unit="per rit",
            requires_vog=vog,
        ),
    )


def _next_monday():
    today = utcnow().date()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def test_service_rules(db, coop, make_org):
    service = _service(coop)
    assert service.member_price == Decimal("2.50") and service.skill == "transport"
    with pytest.raises(catalogue.ServiceError) as err:
        _service(coop)  # same name
    assert err.value.field == "name"
    with pytest.raises(catalogue.ServiceError):
        _service(coop, code="astrology", name="Sterren")
    provider = make_org("provider", slug="help-provider")
    with pytest.raises(catalogue.ServiceError) as err:
        catalogue.create(
            actor=None,
            org=coop,
            data=catalogue.ServiceData(
                code="odd_jobs",
                name="Klussen",
                kind=ServiceKind.INFORMAL,
                funding=FundingSource.MEMBER_CONTRIBUTION,
                member_price=Decimal(0),
                partner_id=provider.id,
            ),
        )
    assert err.value.field == "partner_id"
    care = catalogue.create(
        actor=None,
        org=coop,
        data=catalogue.ServiceData(
            code="personal_care",
            name="Persoonlijke verzorging",
            kind=ServiceKind.FORMAL,
            funding=FundingSource.ZVW,
            member_price=Decimal(0),
            partner_id=provider.id,
        ),
    )
    assert care.partner_id == provider.id and care.skill is None


def test_matching_ranks_available_nearby_and_least_busy(db, coop):
    client = _member(coop, "Klant", "5424 AB")
    near = volunteers.save(
        actor=None,
        org=coop,
        member=_member(coop, "Dichtbij", "5424 CD"),
        skills=["transport"],
        availability=["mon-morning"],
        vog_date=None,
    )
    far = volunteers.save(
        actor=None,
        org=coop,
        member=_member(coop, "Ver", "5700 AA"),
        skills=["transport"],
        availability=["mon-morning"],
        vog_date=None,
    )
    busy_near = volunteers.save(
        actor=None,
        org=coop,
        member=_member(coop, "Druk", "5424 EF"),
        skills=["transport"],
        availability=["mon-morning"],
        vog_date=None,
    )
    volunteers.save(
        actor=None,
        org=coop,
        member=_member(coop, "Tuin", "5424 AB"),
        skills=["gardening"],
        availability=["mon-morning"],
        vog_date=None,
    )
    unavailable = volunteers.save(
        actor=None,
        org=coop,
        member=_member(coop, "Nooit", "5424 AB"),
        skills=["transport"],
        availability=["sun-evening"],
        vog_date=None,
    )
    monday = _next_monday()
    # Two hours already given in the request's month (set up directly: that day may still
    # lie ahead, which log_hours rightly refuses).
    db.session.add(
        HourEntry(
            tenant_id=coop.id,
            volunteer_id=busy_near.id,
            worked_on=monday.replace(day=1),
            minutes=120,
        )
    )
    request = help.ask(
        actor=None,
        org=coop,
        member=client,
        service=_service(coop),
        wanted_on=monday,
        daypart="morning",
    )
    ranked = [c.volunteer.id for c in help.candidates(request)]
    assert ranked[:3] == [near.id, busy_near.id, far.id]
    assert ranked[-1] == unavailable.id and len(ranked) == 4  # the gardener is not offered


def test_vog_is_required_where_the_service_needs_it(db, coop):
    client = _member(coop, "Klant")
    old_vog = volunteers.save(
        actor=None,
        org=coop,
        member=_member(coop, "Oud"),
        skills=["visits"],
        availability=[],
        vog_date=date(2015, 1, 1),
    )
    fresh = volunteers.save(
        actor=None,
        org=coop,
        member=_member(coop, "Vers"),
        skills=["visits"],
        availability=[],
        vog_date=utcnow().date() - timedelta(days=30),
    )
    visits = _service(coop, code="home_visits", name="Huisbezoek", vog=True)
    request = help.ask(
        actor=None, org=coop, member=client, service=visits, wanted_on=_next_monday()
    )
    assert [c.volunteer.id for c in help.candidates(request)] == [fresh.id]
    with pytest.raises(help.HelpError):
        help.assign(actor=None, org=coop, request=request, volunteer=old_vog)


def test_states_and_weekly_repeat(db, coop):
    client = _member(coop, "Klant")
    driver = volunteers.save(
        actor=None,
        org=coop,
        member=_member(coop, "Chauffeur"),
        skills=["transport"],
        availability=[],
        vog_date=None,
    )
    request = help.ask(
        actor=None,
        org=coop,
        member=client,
        service=_service(coop),
        wanted_on=_next_monday(),
        recurrence=Recurrence.WEEKLY,
    )
    with pytest.raises(help.HelpError):
        help.complete(actor=None, org=coop, request=request)  # nobody matched yet
    help.assign(actor=None, org=coop, request=request, volunteer=driver)
    assert request.status == HelpStatus.MATCHED
    following = help.complete(actor=None, org=coop, request=request, minutes=90)
    assert request.status == HelpStatus.DONE
    assert following.wanted_on == request.wanted_on + timedelta(weeks=1)
    assert following.status == HelpStatus.MATCHED and following.series_id == request.id
    with pytest.raises(help.HelpError):
        help.complete(actor=None, org=coop, request=request)
    assert help.cancel(actor=None, org=coop, request=following, stop_series=True) is None
    assert following.status == HelpStatus.CANCELLED


def test_hours_and_reciprocity(db, coop):
    volunteer = volunteers.save(
        actor=None,
        org=coop,
        member=_member(coop, "Buur"),
        skills=["odd_jobs"],
        availability=[],
        vog_date=None,
    )
    today = utcnow().date()
    help.log_hours(actor=None, org=coop, volunteer=volunteer, worked_on=today, minutes=150)
    with pytest.raises(help.HelpError):
        help.log_hours(actor=None, org=coop, volunteer=volunteer, worked_on=today, minutes=0)
    with pytest.raises(help.HelpError):
        help.log_hours(
            actor=None,
            org=coop,
            volunteer=volunteer,
            worked_on=today + timedelta(days=5),
            minutes=60,
        )
    balance = help.reciprocity_balance(volunteer=volunteer, hours_per_month=10, month=today)
    assert (balance.required_minutes, balance.given_minutes, balance.short_minutes) == (
        600,
        150,
        450,
    )


def test_volunteer_rules(db, coop):
    member = _member(coop, "Vrijwilliger")
    with pytest.raises(volunteers.VolunteerError):
        volunteers.save(
            actor=None, org=coop, member=member, skills=["juggling"], availability=[], vog_date=None
        )
    profile = volunteers.save(
        actor=None,
        org=coop,
        member=member,
        skills=["meals", "visits"],
        availability=["tue-evening", "mon-morning"],
        vog_date=None,
    )
    assert profile.availability == ["mon-morning", "tue-evening"]
    assert not volunteers.vog_valid(profile, local_today())
    member_ops.end_membership(actor=None, org=coop, member=member, on=local_today())
    assert profile.active is False
