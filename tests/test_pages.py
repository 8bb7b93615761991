"""Pages outside the account flows: errors, health, language, switcher, dev mail."""

from __future__ import annotations

from conftest import csrf_from


def test_unknown_route_is_a_plain_404_page(client):
    r = client.get("/nergens/te/vinden")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "Pagina niet gevonden" in html and "Traceback" not in html


def test_unexpected_error_is_a_plain_500_without_trace(app, client, monkeypatch):
    from koepel.platform.views import main

    def boom():
        raise RuntimeError("secret internals")

    monkeypatch.setitem(app.view_functions, "main.healthz", boom)
    r = client.get("/healthz")
    assert r.status_code == 500
    html = r.get_data(as_text=True)
    assert "secret internals" not in html and "Traceback" not in html
    assert main  # imported for the monkeypatch target's module


def test_healthz_reports_the_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok"}


def test_language_switch(client):
    page = client.get("/login")
    assert 'lang="nl"' in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    r = client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Log in" in html  # the English catalogue is compiled and used
    # An unknown language or an outside "next" changes nothing dangerous.
    r = client.post(
        "/language", data={"lang": "xx", "next": "https://evil.example/", "csrf_token": token}
    )
    assert r.status_code == 302 and "evil" not in r.headers["Location"]


def test_switcher_only_goes_to_own_orgs(client, make_org, make_user, login):
    a, b, _c = make_org(slug="sw-a"), make_org(slug="sw-b"), make_org(slug="sw-c")
    user = make_user(a)
    from koepel.platform.auth import operations as ops

    ops.grant_role(actor=None, user=user, org=b, role="coordinator")
    login(user)
    html = client.get("/sw-a/").get_data(as_text=True)
    assert 'value="sw-b"' in html and 'value="sw-c"' not in html
    r = client.get("/switch?org=sw-b")
    assert r.status_code == 302 and r.headers["Location"].endswith("/sw-b/")
    assert client.get("/switch?org=sw-c").status_code == 404
    assert client.get("/switch?org=").status_code == 404


def test_dev_mail_viewer(app, client, make_user, csrf, mailbox, run_jobs, monkeypatch):
    user = make_user()
    client.post("/password/forgot", data={"email": user.email, "csrf_token": csrf()})
    run_jobs()
    page = client.get("/dev/mail")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert user.email in html
    import re

    href = re.search(r'href="(/dev/mail/[^"]+)"', html).group(1)
    message = client.get(href)
    assert message.status_code == 200 and "/password/reset/" in message.get_data(as_text=True)
    assert client.get("/dev/mail/..%2Fsecret_key").status_code == 404
    assert client.get("/dev/mail/nope").status_code == 404
    monkeypatch.setitem(app.config, "DEV_PAGES", False)
    assert client.get("/dev/mail").status_code == 404
    assert client.get(href).status_code == 404


def test_org_home_shows_umbrella_members(client, db, make_org, make_user, login):
    from datetime import date

    from koepel.platform.models import Affiliation, AffiliationKind

    umbrella = make_org("umbrella", slug="um-1", name="Koepel Test")
    coop = make_org("cooperative", slug="co-1", name="Coöperatie Een")
    old = make_org("cooperative", slug="co-2", name="Vertrokken Coöperatie")
    db.session.add_all(
        [
            Affiliation(
                kind=AffiliationKind.UMBRELLA_MEMBER,
                parent_id=umbrella.id,
                child_id=coop.id,
                start_date=date(2020, 1, 1),
            ),
            Affiliation(
                kind=AffiliationKind.UMBRELLA_MEMBER,
                parent_id=umbrella.id,
                child_id=old.id,
                start_date=date(2018, 1, 1),
                end_date=date(2019, 1, 1),
            ),
        ]
    )
    login(make_user(umbrella, "staff"))
    html = client.get("/um-1/").get_data(as_text=True)
    assert "Coöperatie Een" in html and "Vertrokken" not in html


def test_home_page_query_count_does_not_grow_with_data(
    client, db, make_org, make_user, login, count_queries
):
    org = make_org("umbrella", slug="qc-1")
    login(make_user(org, "staff"))
    client.get("/qc-1/")
    with count_queries() as small:
        client.get("/qc-1/people")
    for _ in range(20):
        make_user(org, "staff")
    with count_queries() as large:
        client.get("/qc-1/people")
    assert large.count == small.count, large.statements


def test_home_shows_the_modules_pages_the_user_may_use(client, make_org, make_user, login):
    coop = make_org("cooperative", slug="nav-coop")
    login(make_user(coop, "coordinator"))
    html = client.get("/nav-coop/").get_data(as_text=True)
    assert 'href="/nav-coop/members"' in html and 'href="/nav-coop/help"' in html
    volunteer_client = client.application.test_client()
    from conftest import csrf_from

    volunteer = make_user(coop, "volunteer")
    token = csrf_from(volunteer_client.get("/login").get_data(as_text=True))
    volunteer_client.post(
        "/login",
        data={"email": volunteer.email, "password": "correct horse battery", "csrf_token": token},
    )
    html = volunteer_client.get("/nav-coop/").get_data(as_text=True)
    assert 'href="/nav-coop/help"' in html and 'href="/nav-coop/members"' not in html
