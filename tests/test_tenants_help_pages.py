"""Help request pages and the cooperative dashboard."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import local_today
from koepel.tenants import catalogue, help, volunteers
from koepel.tenants import members as member_ops
from koepel.tenants.models import FundingSource, HelpRequest, HelpStatus, ServiceKind


@pytest.fixture
def setup(db, make_org, make_user, login):
    coop = make_org("cooperative", slug="hp-coop")
    with acting_for(coop.id):
        client_member = member_ops.register(
            actor=None,
            org=coop,
            data=member_ops.MemberData(
                first_name="Marie",
                last_name="Klant",
                joined_on=date(2020, 1, 1),
                street="Kerkstraat",
                house_number="7",
                postcode="5424 AB",
                city="Elsendorp",
                phone="0492 111111",
            ),
        )
        driver = volunteers.save(
            actor=None,
            org=coop,
            member=member_ops.register(
                actor=None,
                org=coop,
                data=member_ops.MemberData(
                    first_name="Henk",
                    last_name="Rijder",
                    joined_on=date(2020, 1, 1),
                    postcode="5424 CD",
                ),
            ),
            skills=["transport"],
            availability=[],
            vog_date=None,
        )
        service = catalogue.create(
            actor=None,
            org=coop,
            data=catalogue.ServiceData(
                code="transport",
                name="Vervoer",
                kind=ServiceKind.INFORMAL,
                funding=FundingSource.MEMBER_CONTRIBUTION,
                member_price=Decimal("2.50"),
            ),
        )
    return {"coop": coop, "member": client_member, "driver": driver, "service": service}


def test_coordinator_asks_matches_and_completes(client, db, setup, make_user, login, csrf):
    login(make_user(setup["coop"], "coordinator"))
    token = csrf("/hp-coop/help/new")
    wanted = (local_today() + timedelta(days=2)).isoformat()
    r = client.post(
        "/hp-coop/help/new",
        data={
            "csrf_token": token,
            "member_number": "999",
            "service_id": setup["service"].id,
            "wanted_on": wanted,
            "recurrence": "weekly",
            "description": "Naar de huisarts",
        },
    )
    html = r.get_data(as_text=True)
    assert "Er is geen lid met dit nummer." in html and "Naar de huisarts" in html
    r = client.post(
        "/hp-coop/help/new",
        data={
            "csrf_token": token,
            "member_number": setup["member"].number,
            "service_id": setup["service"].id,
            "wanted_on": wanted,
            "recurrence": "weekly",
            "description": "Naar de huisarts",
        },
    )
    assert r.status_code == 302
    detail_url = r.headers["Location"]
    page = client.get(detail_url).get_data(as_text=True)
    assert "Henk Rijder" in page and "Kerkstraat 7" in page
    request_id = int(detail_url.rstrip("/").split("/")[-1])
    r = client.post(
        f"/hp-coop/help/{request_id}/assign",
        data={"csrf_token": token, "volunteer_id": setup["driver"].id},
    )
    assert r.status_code == 302
    r = client.post(
        f"/hp-coop/help/{request_id}/complete",
        data={"done-csrf_token": token, "done-hours": "anderhalf"},
    )
    assert "Schrijf de tijd als 1,5 of 1:30." in r.get_data(as_text=True)
    r = client.post(
        f"/hp-coop/help/{request_id}/complete", data={"done-csrf_token": token, "done-hours": "1,5"}
    )
    assert r.status_code == 302
    with acting_for(setup["coop"].id):
        rows = db.session.scalars(select(HelpRequest).order_by(HelpRequest.id)).all()
        assert [r.status for r in rows] == [
            HelpStatus.DONE,
            HelpStatus.MATCHED,
        ]  # next week is ready
    dashboard = client.get("/hp-coop/dashboard").get_data(as_text=True)
    assert "<svg" in dashboard and "Uren vrijwilligerswerk per maand" in dashboard


def test_volunteer_sees_requests_without_addresses(client, setup, make_user, login):
    with acting_for(setup["coop"].id):
        help.ask(
            actor=None,
            org=setup["coop"],
            member=setup["member"],
            service=setup["service"],
            wanted_on=local_today() + timedelta(days=1),
        )
    login(make_user(setup["coop"], "volunteer"))
    html = client.get("/hp-coop/help").get_data(as_text=True)
    assert "Marie" in html and "Vervoer" in html
    assert "Kerkstraat" not in html and "0492" not in html and "Klant" not in html
    assert client.get("/hp-coop/help/new").status_code == 403
    assert client.get("/hp-coop/dashboard").status_code == 403


def test_other_cooperatives_request_is_404(client, setup, make_org, make_user, login):
    with acting_for(setup["coop"].id):
        req = help.ask(
            actor=None,
            org=setup["coop"],
            member=setup["member"],
            service=setup["service"],
            wanted_on=local_today() + timedelta(days=1),
        )
    other = make_org("cooperative", slug="hp-other")
    login(make_user(other, "coordinator"))
    assert client.get(f"/hp-other/help/{req.id}").status_code == 404
    assert client.get(f"/hp-coop/help/{req.id}").status_code == 404


def test_dashboard_queries_do_not_grow(client, setup, make_user, login, count_queries):
    login(make_user(setup["coop"], "board"))
    client.get("/hp-coop/dashboard")
    with count_queries() as small:
        client.get("/hp-coop/dashboard")
    with acting_for(setup["coop"].id):
        for i in range(15):
            req = help.ask(
                actor=None,
                org=setup["coop"],
                member=setup["member"],
                service=setup["service"],
                wanted_on=local_today(),
            )
            help.assign(actor=None, org=setup["coop"], request=req, volunteer=setup["driver"])
            help.complete(actor=None, org=setup["coop"], request=req, minutes=30 + i)
    with count_queries() as large:
        html = client.get("/hp-coop/dashboard").get_data(as_text=True)
    assert large.count == small.count
    assert ">15<" in html  # fifteen deliveries of Vervoer this year
