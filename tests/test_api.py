"""The API base: tokens, /me, organisations, errors as problem+json, OpenAPI document."""

from __future__ import annotations

import json
import re

from conftest import PASSWORD

PROBLEM = "application/problem+json"


def _token(client, user, password=PASSWORD):
    r = client.post("/api/v1/auth/token", json={"email": user.email, "password": password})
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["token"]


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_token_round_trip(client, db, make_org, make_user):
    org = make_org(slug="api-coop", name="API Coöperatie")
    user = make_user(org, "coordinator")
    token = _token(client, user)
    me = client.get("/api/v1/me", headers=_auth(token))
    assert me.status_code == 200
    body = me.get_json()
    assert body["email"] == user.email
    assert body["organisations"] == [
        {
            "slug": "api-coop",
            "name": "API Coöperatie",
            "kind": "cooperative",
            "roles": ["coordinator"],
        }
    ]
    assert client.get("/api/v1/orgs/api-coop", headers=_auth(token)).status_code == 200
    # Revoke: the token stops working.
    assert client.delete("/api/v1/auth/token", headers=_auth(token)).status_code == 204
    r = client.get("/api/v1/me", headers=_auth(token))
    assert r.status_code == 401 and r.mimetype == PROBLEM
    # Only the hash is stored.
    from sqlalchemy import select

    from koepel.platform.models import ApiToken

    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and len(stored[0]) == 64
    # Anonymous: 401; revoking needs a token.
    assert client.delete("/api/v1/auth/token").status_code == 401


def test_wrong_password_is_401_problem(client, make_user):
    user = make_user()
    r = client.post("/api/v1/auth/token", json={"email": user.email, "password": "wrong!"})
    assert r.status_code == 401
    assert r.mimetype == PROBLEM
    assert r.get_json()["status"] == 401


def test_token_endpoint_is_throttled(client, make_user):
    user = make_user()
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"email": user.email, "password": "wrong!"})
    r = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 429 and r.mimetype == PROBLEM


def test_validation_errors_are_400_per_field(client):
    r = client.post("/api/v1/auth/token", json={"email": "not-an-email"})
    assert r.status_code == 400 and r.mimetype == PROBLEM
    errors = r.get_json()["errors"]
    assert set(errors) == {"email", "password"}


def test_malformed_json_is_400(client):
    r = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert r.status_code == 400 and r.mimetype == PROBLEM
    assert "Traceback" not in r.get_data(as_text=True)


def test_wrong_content_type_is_415(client):
    r = client.post(
        "/api/v1/auth/token", data="email=a", content_type="application/x-www-form-urlencoded"
    )
    assert r.status_code == 415 and r.mimetype == PROBLEM


def test_oversized_body_is_413(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    body = json.dumps({"email": "a@example.org", "password": "x" * 5000})
    r = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert r.status_code == 413 and r.mimetype == PROBLEM
    page = client.post("/login", data={"email": "x" * 5000})
    assert page.status_code == 413 and page.mimetype == "text/html"


def test_invalid_and_malformed_tokens_are_401(client):
    for header in ("Bearer nope", "Bearer ", "Basic abc", "Bearer kp_" + "a" * 43):
        r = client.get("/api/v1/me", headers={"Authorization": header})
        assert r.status_code == 401 and r.mimetype == PROBLEM, header
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_api_route_and_method_are_problems(client):
    r = client.get("/api/v1/nope")
    assert r.status_code == 404 and r.mimetype == PROBLEM
    r = client.put("/api/v1/me", json={})
    assert r.status_code == 405 and r.mimetype == PROBLEM


def test_foreign_org_is_404_like_a_missing_one(client, make_org, make_user):
    mine, _theirs = make_org(slug="api-mine"), make_org(slug="api-theirs")
    token = _token(client, make_user(mine))
    foreign = client.get("/api/v1/orgs/api-theirs", headers=_auth(token))
    missing = client.get("/api/v1/orgs/api-nope", headers=_auth(token))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json() == missing.get_json()


def test_session_cookie_does_not_authenticate_the_api(client, make_user, login):
    login(make_user())
    assert client.get("/api/v1/me").status_code == 401


def test_openapi_document_lists_every_api_route(app, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    documented = set(doc["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api-docs.openapi_json":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            assert path in documented, path
    token_post = doc["paths"]["/api/v1/auth/token"]["post"]
    assert "400" in token_post["responses"]
    schemas = doc["components"]["schemas"]
    assert {"TokenRequest", "Me"} <= set(schemas)


def test_every_error_status_is_a_problem_document(app):
    from werkzeug.exceptions import Conflict, Forbidden, UnprocessableEntity

    from koepel.platform.errors import handle_http_exception

    for error in (
        Conflict("Dit is al gewijzigd."),
        UnprocessableEntity("Regel geschonden."),
        Forbidden(),
    ):
        with app.test_request_context("/api/v1/orgs/x"):
            response = handle_http_exception(error)
        assert response.mimetype == PROBLEM
        body = response.get_json()
        assert body["status"] == error.code == response.status_code
        assert body["title"] == error.name
