"""Service and volunteer pages: Dutch amounts, forms that keep what was typed, errors next
to their field, volunteers who see names but no contact data, and tenant walls."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import to_local, utcnow
from koepel.tenants import catalogue
from koepel.tenants import members as member_ops
from koepel.tenants import volunteers as volunteer_ops
from koepel.tenants.models import FundingSource, Service, ServiceKind, VolunteerProfile
from koepel.tenants.models.services import CATALOGUE
from koepel.tenants.models.volunteers import DAYPARTS, SKILLS
from koepel.tenants.views import service_forms

SLUG = "sv-coop"


@pytest.fixture
def coop(db, make_org):
    return make_org("cooperative", slug=SLUG, name="Zorgcoöperatie Diensten")


@pytest.fixture
def coordinator(coop, make_user, login):
    user = make_user(coop, "coordinator")
    login(user)
    return user


def _member(coop, first, last, n=1):
    with acting_for(coop.id):
        member = member_ops.register(
            actor=None,
            org=coop,
            data=member_ops.MemberData(
                first_name=first,
                last_name=last,
                joined_on=date(2021, 1, 1),
                street="Kerkstraat",
                house_number=str(n),
                postcode="5424 AB",
                city="Elsendorp",
                phone=f"0492 12{n:04d}",
                email=f"{first.lower()}.{n}@example.org",
            ),
        )
        return member.id


def _volunteer(coop, member_id, skills=("transport",), availability=("mon-morning",)):
    from koepel.platform.extensions import db
    from koepel.tenants.models import Member

    with acting_for(coop.id):
        member = db.session.get(Member, member_id)
        volunteer_ops.save(
            actor=None,
            org=coop,
            member=member,
            skills=list(skills),
            availability=list(availability),
            vog_date=to_local(utcnow()).date() - timedelta(days=30),
        )


def _service(coop, name="Vervoer", **kw):
    with acting_for(coop.id):
        data = dict(
            code="transport",
            name=name,
            kind=ServiceKind.INFORMAL,
            funding=FundingSource.MEMBER_CONTRIBUTION,
            member_price=Decimal("2.50"),
            price_unit="per rit",
        )
        data.update(kw)
        return catalogue.create(actor=None, org=coop, data=catalogue.ServiceData(**data)).id


def _service_form(token, **overrides):
    data = {
        "csrf_token": token,
        "code": "transport",
        "name": "Vervoer naar het ziekenhuis",
        "description": "Met de auto van een vrijwilliger.",
        "kind": "informal",
        "funding": "member_contribution",
        "member_price": "2,50",
        "price_unit": "per rit",
        "partner": "",
        "active": "y",
    }
    data.update(overrides)
    return data


def _error_of(html: str, field_id: str) -> str:
    """The text of the error message block of one field ('' when there is none)."""
    match = re.search(rf'id="{field_id}-error">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def _checked(html: str, input_id: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{input_id}"[^>]*>', html)
    assert tag, input_id
    return " checked" in tag.group(0)


def test_labels_cover_every_code():
    assert set(service_forms.CATALOGUE_LABELS) == set(CATALOGUE)
    assert set(service_forms.FUNDING_LABELS) == set(FundingSource)
    assert set(service_forms.SKILL_LABELS) == set(SKILLS)
    assert set(service_forms.DAYPART_LABELS) == set(DAYPARTS)


# -- services -------------------------------------------------------------------------


def test_create_service_with_dutch_amount(client, db, coop, coordinator, csrf):
    listing = client.get(f"/{SLUG}/services").get_data(as_text=True)
    assert "Nieuwe dienst" in listing and "nog geen diensten" in listing
    token = csrf(f"/{SLUG}/services/new")
    r = client.post(f"/{SLUG}/services/new", data=_service_form(token))
    assert r.status_code == 302, r.get_data(as_text=True)
    with acting_for(coop.id):
        service = db.session.scalar(select(Service))
        assert service.name == "Vervoer naar het ziekenhuis"
        assert service.member_price == Decimal("2.50")
        assert service.kind == ServiceKind.INFORMAL and service.partner_id is None
        service_id = service.id
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "is toegevoegd" in page
    assert "€\xa02,50 per rit" in page
    assert "Eigen bijdrage leden" in page and "informeel" in page
    # The edit form shows the amount the Dutch way again.
    edit = client.get(f"/{SLUG}/services/{service_id}/edit").get_data(as_text=True)
    assert 'value="2,50"' in edit
    r = client.post(
        f"/{SLUG}/services/{service_id}/edit",
        data=_service_form(token, member_price="1.012,5", funding="wmo_general"),
    )
    assert r.status_code == 302
    with acting_for(coop.id):
        service = db.session.get(Service, service_id)
        db.session.refresh(service)
        assert service.member_price == Decimal("1012.50")
        assert service.funding == FundingSource.WMO_GENERAL


def test_bad_amount_keeps_typed_values(client, db, coop, coordinator, csrf):
    token = csrf(f"/{SLUG}/services/new")
    r = client.post(
        f"/{SLUG}/services/new",
        data=_service_form(token, code="gardening", name="Tuinhulp", member_price="2,5x"),
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Dit is geen geldig bedrag" in _error_of(html, "member_price")
    assert 'value="2,5x"' in html and 'value="Tuinhulp"' in html and 'value="per rit"' in html
    assert re.search(r'<option selected value="gardening">', html)
    assert "Met de auto van een vrijwilliger." in html
    with acting_for(coop.id):
        assert db.session.scalar(select(Service)) is None


def test_duplicate_name_error_next_to_name(client, db, coop, coordinator, csrf):
    _service(coop, name="Vervoer naar het ziekenhuis")
    token = csrf(f"/{SLUG}/services/new")
    r = client.post(f"/{SLUG}/services/new", data=_service_form(token, member_price="3"))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Er is al een dienst met deze naam." in _error_of(html, "name")
    assert 'value="3"' in html


def test_partner_only_for_formal_care(client, db, coop, coordinator, csrf, make_org):
    provider = make_org("provider", name="Thuiszorg De Peel")
    token = csrf(f"/{SLUG}/services/new")
    page = client.get(f"/{SLUG}/services/new").get_data(as_text=True)
    assert "Thuiszorg De Peel" in page and ">Geen</option>" in page
    r = client.post(f"/{SLUG}/services/new", data=_service_form(token, partner=str(provider.id)))
    assert "Alleen formele zorg" in _error_of(r.get_data(as_text=True), "partner")
    r = client.post(
        f"/{SLUG}/services/new",
        data=_service_form(
            token,
            code="personal_care",
            name="Persoonlijke verzorging",
            kind="formal",
            funding="zvw",
            member_price="0",
            partner=str(provider.id),
            requires_vog="y",
        ),
    )
    assert r.status_code == 302
    listing = client.get(f"/{SLUG}/services").get_data(as_text=True)
    assert "Thuiszorg De Peel" in listing and "Zvw" in listing and "formeel" in listing


def test_volunteer_sees_services_but_cannot_manage(client, coop, make_user, login):
    _service(coop)
    login(make_user(coop, "volunteer"))
    page = client.get(f"/{SLUG}/services").get_data(as_text=True)
    assert "Vervoer" in page and "Nieuwe dienst" not in page
    assert client.get(f"/{SLUG}/services/new").status_code == 403


def test_other_cooperatives_service_answers_404(client, coop, coordinator, make_org):
    other = make_org("cooperative", slug="sv-elders")
    foreign_id = _service(other, name="Hun vervoer")
    assert client.get(f"/{SLUG}/services/{foreign_id}/edit").status_code == 404


# -- volunteers -----------------------------------------------------------------------


def test_volunteer_sees_names_but_no_contact_data(client, coop, make_user, login, csrf):
    ids = [_member(coop, "Toos", "Dijkmans", 1), _member(coop, "Henk", "Manders", 2)]
    _member(coop, "Riet", "Geen-vrijwilliger", 3)
    for member_id in ids:
        _volunteer(coop, member_id, skills=("transport", "visits"))
    login(make_user(coop, "volunteer"))
    r = client.get(f"/{SLUG}/volunteers")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Toos Dijkmans" in html and "Henk Manders" in html
    assert "Vervoer, Huisbezoek" in html and "maandag: ochtend" in html
    assert "Geen-vrijwilliger" not in html
    for secret in ("Kerkstraat", "5424", "Elsendorp", "0492", "12000", "@example.org"):
        assert secret not in html, secret
    # No links to member pages or the volunteer form either.
    assert "/members/" not in html
    form_url = f"/{SLUG}/members/{ids[0]}/volunteer"
    assert client.get(form_url).status_code == 403
    token = csrf(f"/{SLUG}/volunteers")
    r = client.post(form_url, data={"csrf_token": token, "skills": ["admin"], "active": "y"})
    assert r.status_code == 403


def test_make_member_a_volunteer(client, db, coop, coordinator, csrf):
    member_id = _member(coop, "Toos", "Dijkmans")
    url = f"/{SLUG}/members/{member_id}/volunteer"
    page = client.get(url).get_data(as_text=True)
    assert "Toos Dijkmans vrijwilliger maken" in page
    token = csrf(url)
    vog = to_local(utcnow()).date() - timedelta(days=100)
    future = to_local(utcnow()).date() + timedelta(days=10)
    form = {
        "csrf_token": token,
        "skills": ["transport", "visits"],
        "availability": ["mon-morning", "wed-evening"],
        "vog_date": future.isoformat(),
        "active": "y",
    }
    r = client.post(url, data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "toekomst" in _error_of(html, "vog_date")
    # What was ticked stays ticked.
    assert _checked(html, "skills-0") and _checked(html, "skills-3")  # transport, visits
    assert not _checked(html, "skills-1")
    assert _checked(html, "availability-0") and _checked(html, "availability-8")
    assert not _checked(html, "availability-1")
    r = client.post(url, data={**form, "vog_date": vog.isoformat()})
    assert r.status_code == 302
    with acting_for(coop.id):
        profile = db.session.scalar(
            select(VolunteerProfile).where(VolunteerProfile.member_id == member_id)
        )
        assert profile.skills == ["transport", "visits"]
        assert profile.availability == ["mon-morning", "wed-evening"]
        assert profile.vog_date == vog and profile.active
    listing = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "is nu vrijwilliger" in listing
    row = re.search(r">Toos Dijkmans</a>.*?</tr>", listing, re.S).group(0)
    assert "Vervoer, Huisbezoek" in row and "maandag: ochtend; woensdag: avond" in row
    assert ">ja<" in row  # a VOG of 100 days old is valid
    again = client.get(url).get_data(as_text=True)
    assert "Toos Dijkmans als vrijwilliger" in again and f'value="{vog.isoformat()}"' in again


def test_other_cooperatives_member_answers_404(client, coop, coordinator, csrf, make_org):
    other = make_org("cooperative", slug="sv-elders")
    foreign_id = _member(other, "Ander", "Lid")
    url = f"/{SLUG}/members/{foreign_id}/volunteer"
    assert client.get(url).status_code == 404
    token = csrf(f"/{SLUG}/services")  # any page of one's own with a form
    r = client.post(url, data={"csrf_token": token, "skills": ["transport"], "active": "y"})
    assert r.status_code == 404


def test_volunteer_list_queries_do_not_grow(client, coop, coordinator, count_queries):
    for n in range(3):
        _volunteer(coop, _member(coop, f"Vrijwilliger{n:02d}", "Test", n))
    with count_queries() as few:
        assert client.get(f"/{SLUG}/volunteers").status_code == 200
    for n in range(3, 20):
        _volunteer(coop, _member(coop, f"Vrijwilliger{n:02d}", "Test", n))
    with count_queries() as many:
        html = client.get(f"/{SLUG}/volunteers").get_data(as_text=True)
    assert "20 actieve vrijwilligers" in html
    assert many.count == few.count, many.statements
