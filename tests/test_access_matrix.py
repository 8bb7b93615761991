"""Route × role × tenant: every registered route is in the matrix, and each answers as
the matrix says for anonymous visitors, every role of every kind of organisation, and
outsiders from another organisation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from koepel.platform import policy
from koepel.platform.models import OrgKind

from access_matrix import MATRIX, Covered, LoggedIn, Open, Org

ROOT = Path(__file__).resolve().parents[1]


def _endpoints(app) -> dict[str, object]:
    return {rule.endpoint: rule for rule in app.url_map.iter_rules()}


def test_every_route_is_in_the_matrix(app):
    missing = sorted(set(_endpoints(app)) - set(MATRIX))
    assert missing == [], f"routes without an access-matrix entry: {missing}"
    stale = sorted(set(MATRIX) - set(_endpoints(app)))
    assert stale == [], f"matrix entries for routes that no longer exist: {stale}"


@pytest.mark.parametrize("endpoint", sorted(e for e, s in MATRIX.items() if isinstance(s, Covered)))
def test_covered_routes_name_a_real_test(endpoint):
    path, _, name = MATRIX[endpoint].test.partition("::")
    source = (ROOT / path).read_text()
    assert re.search(rf"^def {re.escape(name)}\(", source, re.M), MATRIX[endpoint].test


@pytest.fixture
def world(db, make_org, make_user):
    """One organisation of every kind with a user per role, plus outsiders."""
    from koepel.platform.auth import operations as ops

    orgs, users, tokens = {}, {}, {}
    for kind in OrgKind:
        org = make_org(kind, slug=f"m-{kind.value}")
        orgs[kind] = org
        for role in policy.roles_for_kind(kind):
            user = make_user(org, role, email=f"{role}.{kind.value}@matrix.example")
            users[(kind, role)] = user
            tokens[(kind, role)] = ops.issue_api_token(user=user)[1]
    outsider_org = make_org(OrgKind.COOPERATIVE, slug="m-elders")
    outsider = make_user(outsider_org, "board", email="outsider@matrix.example")
    tokens["outsider"] = ops.issue_api_token(user=outsider)[1]
    db.session.flush()
    return {
        "orgs": orgs,
        "users": users,
        "tokens": tokens,
        "outsider": outsider,
        "outsider_org": outsider_org,
    }


def _url(app, endpoint, **params):
    from flask import url_for

    with app.test_request_context():
        return url_for(endpoint, **params).replace("http://koepel.test", "")


def _is_api(endpoint: str) -> bool:
    return endpoint.startswith("api")


def _request(client, method, url, api_token=None):
    headers = {"Authorization": f"Bearer {api_token}"} if api_token else {}
    if method == "GET":
        return client.get(url, headers=headers)
    if api_token is not None or url.startswith("/api/"):
        # An empty JSON object: where access is granted, validation answers (400).
        return client.open(url, method=method, json={}, headers=headers)
    return client.open(url, method=method, data={}, headers=headers)


def _logged_in_client(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def no_csrf(app, monkeypatch):
    # The matrix is about access; CSRF has its own tests. A POST with no data is
    # answered with the form's errors (200) where the POST is allowed at all.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def test_open_and_logged_in_routes(app, db, world):
    anon = app.test_client()
    user = world["users"][(OrgKind.COOPERATIVE, "volunteer")]
    member = _logged_in_client(app, user)
    token = world["tokens"][(OrgKind.COOPERATIVE, "volunteer")]
    for endpoint, spec in MATRIX.items():
        if endpoint == "static":
            url = _url(app, "static", filename="css/koepel.css")
        elif isinstance(spec, Open | LoggedIn):
            url = _url(app, endpoint)
        else:
            continue
        if isinstance(spec, Open):
            assert anon.get(url).status_code == spec.status, endpoint
            expected = spec.logged_in_status or spec.status
            assert member.get(url).status_code == expected, endpoint
        elif _is_api(endpoint):
            assert anon.get(url).status_code == 401, endpoint
            assert anon.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        else:
            assert anon.get(url).status_code == 302, endpoint
            assert member.get(url).status_code == 200, endpoint


ORG_ENDPOINTS = sorted(e for e, s in MATRIX.items() if isinstance(s, Org))


@pytest.mark.parametrize("endpoint", ORG_ENDPOINTS)
def test_org_routes_by_role_and_tenant(app, db, world, no_csrf, endpoint):
    spec: Org = MATRIX[endpoint]
    api = _is_api(endpoint)
    outsider_client = _logged_in_client(app, world["outsider"])

    def url_for_new_object(org, kind_exists=True):
        # A fresh object per request: a POST may change it (end a membership, ...).
        extra = spec.obj(db, org) if spec.obj and kind_exists else {}
        if not kind_exists:
            extra = _dummy_params(app, endpoint)
        return _url(app, endpoint, org_slug=org.slug, **extra), extra

    def call(method, url, who):
        if api:
            token = world["tokens"][who] if who else None
            return _request(app.test_client(), method, url, token)
        if who is None:
            return _request(app.test_client(), method, url)
        client = (
            outsider_client if who == "outsider" else _logged_in_client(app, world["users"][who])
        )
        return _request(client, method, url)

    for kind, org in world["orgs"].items():
        if spec.kinds is not None and kind.value not in spec.kinds:
            # The page does not exist for this kind of organisation: 404 for its own people.
            url, _ = url_for_new_object(org, kind_exists=False)
            for role in policy.roles_for_kind(kind):
                got = call(spec.methods[0], url, (kind, role)).status_code
                assert got == 404, (endpoint, "wrong kind", kind.value, role, got)
            continue
        for method in spec.methods:
            action = spec.post_action if method == "POST" and spec.post_action else spec.action
            action = dict(spec.action_by_kind).get(kind.value, action)
            url, _ = url_for_new_object(org)
            got = call(method, url, None).status_code
            assert got == (401 if api else 302), (endpoint, method, "anonymous", got)
            for role in policy.roles_for_kind(kind):
                url, _ = url_for_new_object(org)
                expected = spec.ok if policy.can({role}, action) else 403
                got = call(method, url, (kind, role)).status_code
                assert got == expected, (endpoint, method, kind.value, role, got)
            url, extra = url_for_new_object(org)
            got = call(method, url, "outsider").status_code
            assert got == 404, (endpoint, method, "outsider", kind.value, got)
            if spec.obj:
                # A foreign object reached through the outsider's own organisation: 404 too.
                foreign = _url(app, endpoint, org_slug=world["outsider_org"].slug, **extra)
                got = call(method, foreign, "outsider").status_code
                assert got == 404, (endpoint, method, "foreign object", kind.value, got)


def _dummy_params(app, endpoint) -> dict[str, object]:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    return {name: 1 for name in rule.arguments if name != "org_slug"}


def test_unknown_org_and_foreign_org_look_the_same(app, db, world):
    client = _logged_in_client(app, world["outsider"])
    slug = world["orgs"][OrgKind.MUNICIPALITY].slug
    foreign = client.get(f"/{slug}/")
    unknown = client.get("/bestaat-niet/")
    assert foreign.status_code == unknown.status_code == 404
    # The same page, but for the path it echoes (the language form's "next" field).
    assert foreign.get_data(as_text=True).replace(slug, "bestaat-niet") == unknown.get_data(
        as_text=True
    )
