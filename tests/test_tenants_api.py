"""The tenants API: members, services, help requests, umbrella aggregates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from koepel.platform.auth import operations as ops
from koepel.platform.timeutil import local_today

PROBLEM = "application/problem+json"


@pytest.fixture
def api(db, make_org, make_user):
    coop = make_org("cooperative", slug="api-coop")
    user = make_user(coop, "coordinator")
    token = ops.issue_api_token(user=user)[1]
    return coop, {"Authorization": f"Bearer {token}"}


def test_members_create_list_update(client, api):
    _coop, auth = api
    bad = client.post(
        "/api/v1/orgs/api-coop/members",
        headers=auth,
        json={"last_name": "Verhoeven", "joined_on": "2024-01-01", "postcode": "12"},
    )
    assert bad.status_code == 422 and bad.mimetype == PROBLEM
    assert "postcode" in bad.get_json()["errors"]
    missing = client.post("/api/v1/orgs/api-coop/members", headers=auth, json={"first_name": "X"})
    assert missing.status_code == 400 and set(missing.get_json()["errors"]) == {
        "last_name",
        "joined_on",
    }
    for i in range(3):
        r = client.post(
            "/api/v1/orgs/api-coop/members",
            headers=auth,
            json={
                "first_name": f"Marij{i}",
                "last_name": "Verhoeven",
                "joined_on": "2024-01-01",
                "postcode": "5424ab",
                "street": "Dorpsstraat",
                "house_number": str(i),
            },
        )
        assert r.status_code == 201, r.get_json()
    listing = client.get("/api/v1/orgs/api-coop/members?per_page=2&page=2", headers=auth).get_json()
    assert listing["total"] == 3 and listing["page"] == 2 and len(listing["items"]) == 1
    member = dict(listing["items"][0])
    member_id = member["id"]
    assert member["postcode"] == "5424 AB"
    member.update(first_name="Marij", phone="0492 999999")
    for key in ("id", "number", "left_on"):
        member.pop(key)
    r = client.put(f"/api/v1/orgs/api-coop/members/{member_id}", headers=auth, json=member)
    assert r.status_code == 200 and r.get_json()["phone"] == "0492 999999"
    assert (
        client.get("/api/v1/orgs/api-coop/members?q=marij", headers=auth).get_json()["total"] == 3
    )


def test_service_and_help_request_flow(client, db, api):
    coop, auth = api
    service = client.post(
        "/api/v1/orgs/api-coop/services",
        headers=auth,
        json={
            "code": "transport",
            "name": "Vervoer",
            "kind": "informal",
            "funding": "member_contribution",
            "member_price": "2.50",
        },
    ).get_json()
    assert service["member_price"] == "2.50"
    duplicate = client.post(
        "/api/v1/orgs/api-coop/services",
        headers=auth,
        json={
            "code": "transport",
            "name": "Vervoer",
            "kind": "informal",
            "funding": "member_contribution",
            "member_price": "2.50",
        },
    )
    assert duplicate.status_code == 422 and "name" in duplicate.get_json()["errors"]
    member = client.post(
        "/api/v1/orgs/api-coop/members",
        headers=auth,
        json={"first_name": "Piet", "last_name": "Klant", "joined_on": "2020-01-01"},
    ).get_json()
    wanted = (local_today() + timedelta(days=2)).isoformat()
    created = client.post(
        "/api/v1/orgs/api-coop/help-requests",
        headers=auth,
        json={"member_number": member["number"], "service_id": service["id"], "wanted_on": wanted},
    )
    assert created.status_code == 201
    request_id = created.get_json()["id"]
    r = client.patch(
        f"/api/v1/orgs/api-coop/help-requests/{request_id}",
        headers=auth,
        json={"action": "complete"},
    )
    assert r.status_code == 422 and r.mimetype == PROBLEM  # nobody matched yet
    r = client.patch(
        f"/api/v1/orgs/api-coop/help-requests/{request_id}", headers=auth, json={"action": "cancel"}
    )
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    listing = client.get(
        "/api/v1/orgs/api-coop/help-requests?status=cancelled", headers=auth
    ).get_json()
    assert [i["id"] for i in listing["items"]] == [request_id]
    assert "street" not in listing["items"][0] and "phone" not in listing["items"][0]


def test_umbrella_member_cooperatives(client, db, make_org, make_user):
    from koepel.platform.models import Affiliation, AffiliationKind

    koepel = make_org("umbrella", slug="api-koepel")
    for i in range(2):
        coop = make_org("cooperative", slug=f"api-lid-{i}")
        db.session.add(
            Affiliation(
                kind=AffiliationKind.UMBRELLA_MEMBER,
                parent_id=koepel.id,
                child_id=coop.id,
                start_date=date(2020, 1, 1),
            )
        )
    token = ops.issue_api_token(user=make_user(koepel, "staff"))[1]
    body = client.get(
        "/api/v1/orgs/api-koepel/member-cooperatives", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert [i["slug"] for i in body["items"]] == ["api-lid-0", "api-lid-1"]
    assert body["totals"]["members"] == 0
