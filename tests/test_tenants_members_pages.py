"""Member pages: search, pages, forms that keep what was typed, export and erasure."""

from __future__ import annotations

from datetime import date

import pytest

from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import local_today
from koepel.tenants import members as ops


@pytest.fixture
def coop(db, make_org):
    return make_org("cooperative", slug="mp-coop", name="Zorgcoöperatie Test")


@pytest.fixture
def coordinator(coop, make_user, login):
    user = make_user(coop, "coordinator")
    login(user)
    return user


def _add(coop, n, **kw):
    with acting_for(coop.id):
        for i in range(n):
            data = dict(
                first_name=f"Voornaam{i:03d}",
                last_name=f"Achternaam{i:03d}",
                joined_on=date(2021, 1, 1),
                postcode="5424 AB",
                house_number=str(i),
            )
            data.update(kw)
            ops.register(actor=None, org=coop, data=ops.MemberData(**data))


def test_register_keeps_typed_values_on_error(client, coop, coordinator, csrf):
    token = csrf("/mp-coop/members/new")
    r = client.post(
        "/mp-coop/members/new",
        data={
            "csrf_token": token,
            "first_name": "Henk",
            "last_name": "Manders",
            "postcode": "99",
            "street": "Kerkstraat",
            "joined_on": "2024-01-01",
            "phone": "0492 123456",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Vul een Nederlandse postcode in" in html
    assert 'value="Henk"' in html and 'value="Kerkstraat"' in html and 'value="99"' in html
    r = client.post(
        "/mp-coop/members/new",
        data={
            "csrf_token": token,
            "first_name": "Henk",
            "last_name": "Manders",
            "postcode": "5424ab",
            "street": "Kerkstraat",
            "house_number": "3",
            "city": "Elsendorp",
            "joined_on": "2024-01-01",
        },
    )
    assert r.status_code == 302
    detail = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Henk Manders" in detail and "5424 AB" in detail


def test_list_searches_and_pages_with_constant_queries(client, coop, coordinator, count_queries):
    _add(coop, 30)
    first = client.get("/mp-coop/members").get_data(as_text=True)
    assert "30 leden gevonden" in first and "Pagina 1 van 2" in first
    found = client.get("/mp-coop/members?q=achternaam007").get_data(as_text=True)
    assert "1 lid gevonden" in found and "Voornaam007" in found
    with count_queries() as small:
        client.get("/mp-coop/members?page=2")
    _add(coop, 40)
    with count_queries() as large:
        client.get("/mp-coop/members?page=2")
    assert large.count == small.count


def test_volunteer_sees_no_member_data(client, coop, make_user, login):
    _add(coop, 1)
    login(make_user(coop, "volunteer"))
    assert client.get("/mp-coop/members").status_code == 403


def test_export_and_erase(client, db, coop, make_user, login, csrf):
    with acting_for(coop.id):
        member = ops.register(
            actor=None,
            org=coop,
            data=ops.MemberData(
                first_name="Toos",
                last_name="Dijkmans",
                joined_on=date(2019, 5, 1),
                phone="0497 123456",
            ),
        )
        member_id = member.id
    login(make_user(coop, "board"))
    export = client.get(f"/mp-coop/members/{member_id}/export")
    assert export.status_code == 200
    assert export.get_json()["achternaam"] == "Dijkmans"
    assert "attachment" in export.headers["Content-Disposition"]
    token = csrf(f"/mp-coop/members/{member_id}")
    r = client.post(
        f"/mp-coop/members/{member_id}/erase", data={"csrf_token": token, "confirm": "nee"}
    )
    assert r.status_code == 400
    r = client.post(
        f"/mp-coop/members/{member_id}/erase", data={"csrf_token": token, "confirm": "wissen"}
    )
    assert r.status_code == 302
    page = client.get(f"/mp-coop/members/{member_id}").get_data(as_text=True)
    assert "Dijkmans" not in page and "(gewist)" in page


def test_fee_with_dutch_amount(client, coop, coordinator, csrf):
    _add(coop, 1)
    with acting_for(coop.id):
        from sqlalchemy import select

        from koepel.platform.extensions import db
        from koepel.tenants.models import Member

        member_id = db.session.scalar(select(Member.id))
    url = f"/mp-coop/members/{member_id}"
    token = csrf(url)
    r = client.post(
        f"{url}/fees", data={"fee-csrf_token": token, "fee-year": "2025", "fee-amount": "12,5x"}
    )
    assert "Dit is geen geldig bedrag" in r.get_data(
        as_text=True
    ) and 'value="12,5x"' in r.get_data(as_text=True)
    r = client.post(
        f"{url}/fees",
        data={
            "fee-csrf_token": token,
            "fee-year": "2025",
            "fee-amount": "1.012,50",
            "fee-paid": "y",
        },
    )
    assert r.status_code == 302
    assert "€\xa01.012,50" in client.get(url).get_data(as_text=True)


def test_detail_links_to_volunteer_form_and_shows_reciprocity(client, db, coop, coordinator):
    from koepel.tenants import help, volunteers
    from koepel.tenants.models import CooperativeProfile, LegalForm
    from koepel.tenants.models import Member as MemberModel

    _add(coop, 1)
    with acting_for(coop.id):
        member = db.session.scalar(__import__("sqlalchemy").select(MemberModel))
        db.session.add(
            CooperativeProfile(
                tenant_id=coop.id, legal_form=LegalForm.COOPERATIVE, reciprocity_hours_per_month=10
            )
        )
        profile = volunteers.save(
            actor=None, org=coop, member=member, skills=["odd_jobs"], availability=[], vog_date=None
        )
        help.log_hours(
            actor=None, org=coop, volunteer=profile, worked_on=local_today(), minutes=150
        )
        member_id = member.id
    html = client.get(f"/mp-coop/members/{member_id}").get_data(as_text=True)
    assert f'href="/mp-coop/members/{member_id}/volunteer"' in html
    assert "2,5 van 10 uur gegeven" in html
