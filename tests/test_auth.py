"""Login, throttling, logout, password reset, invitations, profile, and the headers
and cookies that protect a session."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import PASSWORD


def test_login_and_logout(client, make_org, make_user, login, csrf):
    org = make_org(slug="elsendorp-t")
    user = make_user(org, "coordinator")
    response = login(user)
    assert response.headers["Location"].endswith("/elsendorp-t/")
    page = client.get("/elsendorp-t/")
    assert page.status_code == 200
    assert "elsendorp-t" in page.get_data(as_text=True)
    token = csrf("/elsendorp-t/")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/elsendorp-t/").status_code == 302  # back to the login page


def test_email_is_case_insensitive(client, make_user, login):
    user = make_user(email="Ria@Example.org")
    assert user.email == "ria@example.org"
    login(type("U", (), {"email": "RIA@example.ORG"})())


def test_wrong_password_keeps_the_email_and_says_so(client, make_user, csrf):
    user = make_user()
    response = client.post(
        "/login", data={"email": user.email, "password": "wrong password!", "csrf_token": csrf()}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Het e-mailadres of het wachtwoord klopt niet." in html
    assert f'value="{user.email}"' in html


def test_login_is_throttled_after_five_failures(client, make_user, csrf):
    user = make_user()
    token = csrf()
    for _ in range(5):
        r = client.post(
            "/login", data={"email": user.email, "password": "nope-nope-nope", "csrf_token": token}
        )
        assert r.status_code == 200
    r = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429
    assert "Probeer het over 15 minuten opnieuw" in r.get_data(as_text=True)


def test_throttle_waits_for_the_window(db, make_user):
    from koepel.platform.auth import throttle
    from koepel.platform.timeutil import utcnow

    now = utcnow()
    for i in range(5):
        db.session.add(
            throttle.LoginAttempt(
                email="x@example.org", address="10.0.0.1", at=now - timedelta(minutes=14 - i)
            )
        )
    db.session.flush()
    kwargs = {"limit": 5, "window": timedelta(minutes=15)}
    wait = throttle.wait_time(db.session, "x@example.org", "other", now=now, **kwargs)
    assert timedelta(0) < wait <= timedelta(minutes=1)
    # By address too, for any account.
    assert throttle.wait_time(db.session, "y@example.org", "10.0.0.1", now=now, **kwargs)
    later = now + timedelta(minutes=2)
    assert throttle.wait_time(db.session, "x@example.org", "other", now=later, **kwargs) is None


def test_csrf_is_required_on_login(client, make_user):
    user = make_user()
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 400
    assert "Traceback" not in r.get_data(as_text=True)


def test_open_redirect_is_refused(client, make_user, csrf):
    user = make_user()
    r = client.post(
        "/login?next=//evil.example/x",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf()},
    )
    assert r.status_code == 302
    assert "evil.example" not in r.headers["Location"]


def _link(mail) -> str:
    body = mail.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+", body).group(0)


def test_password_reset_round_trip(client, make_user, csrf, mailbox, run_jobs, login):
    user = make_user()
    r = client.post("/password/forgot", data={"email": user.email, "csrf_token": csrf()})
    assert r.status_code == 302
    run_jobs()
    (mail,) = mailbox()
    assert mail["To"] == user.email
    path = _link(mail).split("koepel.test", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    token = csrf(path)
    r = client.post(
        path,
        data={"password": "a new password 1", "confirm": "a new password 1", "csrf_token": token},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    login(user, "a new password 1")
    # The link works once.
    again = client.get(path)
    assert again.status_code == 302 and "/password/forgot" in again.headers["Location"]


def test_reset_for_unknown_address_looks_the_same(client, csrf, mailbox, run_jobs):
    r = client.post("/password/forgot", data={"email": "nobody@example.org", "csrf_token": csrf()})
    assert r.status_code == 302
    run_jobs()
    assert mailbox() == []


def test_reset_link_expires(app, client, make_user, monkeypatch):
    import time

    from koepel.platform.auth import reset

    user = make_user()
    with app.test_request_context():
        token = reset.make_token(user)
        real_time = time.time
        monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - 3 * 3600)
        old = reset.make_token(user)
        monkeypatch.undo()
    r = client.get(f"/password/reset/{old}", follow_redirects=True)
    assert "Deze link is verlopen" in r.get_data(as_text=True)
    r = client.get("/password/reset/garbage", follow_redirects=True)
    assert "Deze link werkt niet (meer)" in r.get_data(as_text=True)
    assert client.get(f"/password/reset/{token}").status_code == 200


def test_invitation_for_a_new_person(
    client, db, make_org, make_user, login, csrf, mailbox, run_jobs
):
    org = make_org(slug="hoogeloon-t")
    board = make_user(org, "board")
    login(board)
    token = csrf("/hoogeloon-t/people")
    r = client.post(
        "/hoogeloon-t/people",
        data={"email": "Nieuw@Example.org", "role": "volunteer", "csrf_token": token},
    )
    assert r.status_code == 302
    run_jobs()
    (mail,) = mailbox()
    assert mail["To"] == "nieuw@example.org"
    path = _link(mail).split("koepel.test", 1)[1]

    newcomer = client.application.test_client()
    page = newcomer.get(path)
    assert page.status_code == 200
    from conftest import csrf_from

    token = csrf_from(page.get_data(as_text=True))
    r = newcomer.post(
        path,
        data={
            "display_name": "Nieuwe Vrijwilliger",
            "password": "short",
            "confirm": "short",
            "csrf_token": token,
        },
    )
    html = r.get_data(as_text=True)
    assert "minstens 10 tekens" in html
    assert 'value="Nieuwe Vrijwilliger"' in html  # what was typed is kept
    r = newcomer.post(
        path,
        data={
            "display_name": "Nieuwe Vrijwilliger",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": token,
        },
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/hoogeloon-t/")
    assert newcomer.get("/hoogeloon-t/").status_code == 200
    # Used once.
    r = newcomer.post(
        path,
        data={"display_name": "X", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token},
    )
    assert "al gebruikt" in r.get_data(as_text=True)


def test_invitation_for_an_existing_account_needs_that_login(
    client, make_org, make_user, login, csrf, mailbox, run_jobs
):
    org = make_org(slug="laarbeek-t")
    board = make_user(org, "board")
    existing = make_user(email="bestaand@example.org")
    login(board)
    client.post(
        "/laarbeek-t/people",
        data={
            "email": existing.email,
            "role": "coordinator",
            "csrf_token": csrf("/laarbeek-t/people"),
        },
    )
    run_jobs()
    path = _link(mailbox()[0]).split("koepel.test", 1)[1]
    other = client.application.test_client()
    from conftest import csrf_from

    token = csrf_from(other.get(path).get_data(as_text=True))
    r = other.post(path, data={"csrf_token": token})
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert other.get("/laarbeek-t/").status_code == 302  # not in yet


def test_unknown_invitation_is_404(client):
    assert client.get("/invitation/not-a-token").status_code == 404


def test_password_change_ends_other_sessions(app, client, make_user, login, csrf):
    user = make_user()
    login(user)
    other = app.test_client()
    from conftest import csrf_from

    token = csrf_from(other.get("/login").get_data(as_text=True))
    other.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert other.get("/profile").status_code == 200
    token = csrf("/profile")
    r = client.post(
        "/profile",
        data={
            "pw-current": PASSWORD,
            "pw-password": "another password",
            "pw-confirm": "another password",
            "pw-csrf_token": token,
            "csrf_token": token,
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert client.get("/profile").status_code == 200  # this session stays
    assert other.get("/profile").status_code == 302  # the other one ends


def test_session_cookie_flags_and_security_headers(client, make_user, login):
    user = make_user()
    r = login(user)
    cookie = r.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/login")
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_production_cookies_are_secure(tmp_path, monkeypatch):
    from koepel.platform import config

    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    with pytest.raises(config.ConfigError):  # sealed bids need their own key
        config.load(tmp_path, {"KOEPEL_ENV": "production"})
    monkeypatch.setenv("SEALING_KEY", "k" * 43)
    cfg = config.load(tmp_path, {"KOEPEL_ENV": "production"})
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["REMEMBER_COOKIE_SECURE"]
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(config.ConfigError):
        config.load(tmp_path, {"KOEPEL_ENV": "production"})


def test_audit_events_for_account_changes(db, make_org, make_user):
    from koepel.platform.models import AuditEvent
    from koepel.platform.tenancy import cross_tenant

    org = make_org()
    user = make_user(org, "board")
    with cross_tenant("test"):
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.object_id == str(user.id))
            )
        )
    assert {"user.created", "role.granted"} <= actions


def test_empty_login_says_what_to_fix(client, csrf):
    r = client.post("/login", data={"email": "", "password": "", "csrf_token": csrf()})
    html = r.get_data(as_text=True)
    # Next to each field and in the summary at the top (lazy translated messages too).
    assert html.count("Vul uw e-mailadres in.") == 2
    assert html.count("Vul uw wachtwoord in.") == 2
    assert 'aria-invalid="true"' in html
