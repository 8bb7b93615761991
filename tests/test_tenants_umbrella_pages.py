"""Umbrella pages end to end: invite, accept, aggregates, consent, news."""

from __future__ import annotations

from datetime import date

from koepel.platform.tenancy import acting_for
from koepel.tenants import members as member_ops

from conftest import csrf_from


def test_invite_accept_consent_and_news(app, db, client, make_org, make_user, login, csrf):
    koepel = make_org("umbrella", slug="up-koepel", name="Koepel Zuid")
    coop = make_org("cooperative", slug="up-coop", name="Zorgcoöperatie Dorp")
    staff, board = make_user(koepel, "staff"), make_user(coop, "board")
    with acting_for(coop.id):
        for n in range(4):
            member_ops.register(
                actor=None,
                org=coop,
                data=member_ops.MemberData(
                    first_name=f"Lid{n}", last_name="Dorpsbewoner", joined_on=date(2020, 1, 1)
                ),
            )

    login(staff)
    token = csrf("/up-koepel/cooperatives")
    r = client.post(
        "/up-koepel/cooperatives/invite",
        data={"csrf_token": token, "cooperative": "", "message": "Doe mee!"},
    )
    assert "Kies een coöperatie." in r.get_data(as_text=True) and "Doe mee!" in r.get_data(
        as_text=True
    )
    r = client.post(
        "/up-koepel/cooperatives/invite",
        data={"csrf_token": token, "cooperative": "up-coop", "message": "Doe mee!"},
    )
    assert r.status_code == 302

    other = app.test_client()
    page = other.get("/login")
    other.post(
        "/login",
        data={
            "email": board.email,
            "password": "correct horse battery",
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    html = other.get("/up-coop/umbrellas").get_data(as_text=True)
    assert "Koepel Zuid nodigt Zorgcoöperatie Dorp uit" in html and "Doe mee!" in html
    import re

    action = re.search(r'action="(/up-coop/umbrellas/invitations/\d+)"', html).group(1)
    token2 = csrf_from(html)
    assert other.post(action, data={"csrf_token": token2, "answer": "accept"}).status_code == 302

    dashboard = client.get("/up-koepel/cooperatives?sort=members&dir=desc").get_data(as_text=True)
    assert "Zorgcoöperatie Dorp" in dashboard and "geen toestemming" in dashboard
    assert 'aria-sort="descending"' in dashboard
    assert client.get("/up-koepel/cooperatives/up-coop/members").status_code == 404

    assert (
        other.post(
            "/up-coop/umbrellas/up-koepel/consent", data={"csrf_token": token2, "consent": "grant"}
        ).status_code
        == 302
    )
    members = client.get("/up-koepel/cooperatives/up-coop/members")
    assert members.status_code == 200 and "Lid0 Dorpsbewoner" in members.get_data(as_text=True)
    other.post(
        "/up-coop/umbrellas/up-koepel/consent", data={"csrf_token": token2, "consent": "revoke"}
    )
    assert client.get("/up-koepel/cooperatives/up-coop/members").status_code == 404

    r = client.post(
        "/up-koepel/news",
        data={"csrf_token": token, "title": "Bijeenkomst", "body": "Op 12 maart in Bladel."},
    )
    assert r.status_code == 302
    assert "Op 12 maart in Bladel." in other.get("/up-coop/umbrellas").get_data(as_text=True)


def test_umbrella_pages_count_queries_independent_of_cooperatives(
    client, db, make_org, make_user, login, count_queries
):
    from koepel.platform.models import Affiliation, AffiliationKind

    koepel = make_org("umbrella", slug="uq-koepel")
    login(make_user(koepel, "staff"))

    def add(n):
        for _ in range(n):
            coop = make_org("cooperative")
            db.session.add(
                Affiliation(
                    kind=AffiliationKind.UMBRELLA_MEMBER,
                    parent_id=koepel.id,
                    child_id=coop.id,
                    start_date=date(2020, 1, 1),
                )
            )
        db.session.flush()

    add(2)
    client.get("/uq-koepel/cooperatives")
    with count_queries() as small:
        client.get("/uq-koepel/cooperatives")
    add(12)
    with count_queries() as large:
        client.get("/uq-koepel/cooperatives")
    assert large.count == small.count, large.statements
