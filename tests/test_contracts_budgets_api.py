"""The budgets API: budgets with funding and partners, allocation versions, settlements;
problem+json for bad input, 404 for a budget one is no party to, 409 for a state that
refuses, and each party seeing what the pages show it."""

from __future__ import annotations

from datetime import date

import pytest

from koepel.contracts import budgeting, districts
from koepel.platform.auth import operations as ops
from koepel.platform.models import OrgKind
from koepel.platform.tenancy import acting_for

PROBLEM = "application/problem+json"
API = "/api/v1/orgs"


def auth(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {ops.issue_api_token(user=user)[1]}"}


@pytest.fixture
def parties(db, make_org, make_user):
    orgs = {
        "gemeente": make_org(OrgKind.MUNICIPALITY, slug="alphen-a", name="Gemeente Alphen"),
        "kwadraad": make_org(OrgKind.PROVIDER, slug="kwadraad-a", name="Kwadraad"),
        "kwintes": make_org(OrgKind.PROVIDER, slug="kwintes-a", name="Kwintes"),
        "wijdezorg": make_org(OrgKind.PROVIDER, slug="wijdezorg-a", name="Wijdezorg"),
        "elders": make_org(OrgKind.PROVIDER, slug="elders-a", name="Elders"),
    }
    roles = {"gemeente": "procurement_officer"}
    headers = {k: auth(make_user(org, roles.get(k, "contact"))) for k, org in orgs.items()}
    return orgs, headers


def create_alphen(client, headers):
    return client.post(
        f"{API}/kwadraad-a/budgets",
        headers=headers["kwadraad"],
        json={
            "title": "Tom in de buurt",
            "kind": "allocation",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "approver": "alphen-a",
            "funding": [{"funder": "alphen-a", "scheme": "Wmo", "amount": "8500000.00"}],
            "partners": [
                {"organisation": "kwadraad-a"},
                {"organisation": "kwintes-a"},
                {"organisation": "wijdezorg-a", "role": "sub"},
            ],
        },
    )


def test_a_budget_with_versions_through_the_api(client, parties):
    orgs, headers = parties
    r = create_alphen(client, headers)
    assert r.status_code == 201, r.get_json()
    budget = r.get_json()
    assert budget["total"] == "8500000.00"
    assert [p["organisation"]["slug"] for p in budget["partners"]] == [
        "kwadraad-a",
        "kwintes-a",
        "wijdezorg-a",
    ]
    assert budget["relation"]["owner"] and budget["relation"]["partner"]
    budget_id = budget["id"]
    url = f"{API}/kwadraad-a/budgets/{budget_id}/allocations"

    # Percentages that do not sum to 100: 422 with the reason, nothing stored.
    shares = [
        {"partner": "kwadraad-a", "percentage": "50"},
        {"partner": "kwintes-a", "percentage": "30"},
        {"partner": "wijdezorg-a", "percentage": "10"},
    ]
    r = client.post(
        url, headers=headers["kwadraad"], json={"method": "percentages", "shares": shares}
    )
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert "tellen op tot 90%" in r.get_json()["detail"]
    # Not a string, a negative amount: 400 per field.
    r = client.post(
        url,
        headers=headers["kwadraad"],
        json={"method": "proposals", "shares": [{"partner": "kwadraad-a", "proposed": -5}]},
    )
    assert r.status_code == 400 and "shares" in r.get_json()["errors"]
    assert client.get(url, headers=headers["kwadraad"]).get_json() == {"items": []}

    shares[2]["percentage"] = "20"
    r = client.post(
        url,
        headers=headers["kwadraad"],
        json={
            "method": "percentages",
            "shares": shares,
            "reserve": {"amount": "100000.00", "initiatives": [{"name": "Buurtbus"}]},
        },
    )
    assert r.status_code == 201, r.get_json()
    version = r.get_json()
    assert [s["amount"] for s in version["shares"]] == ["4200000.00", "2520000.00", "1680000.00"]
    assert version["reserve"] == "100000.00" and version["initiatives"][0]["amount"] == "100000.00"
    assert version["shares"][0]["explanation"] == "50% van €\xa08.400.000,00."
    assert version["partners_total"] == "8400000.00"

    # A second version supersedes the first (kept).
    r = client.post(url, headers=headers["kwadraad"], json={"method": "equal"})
    assert r.status_code == 201
    items = client.get(url, headers=headers["kwadraad"]).get_json()["items"]
    assert [(v["number"], v["status"]) for v in items] == [(2, "proposed"), (1, "superseded")]
    newest = items[0]["id"]
    amounts = [s["amount"] for s in r.get_json()["shares"]]
    assert sorted(amounts) == ["2833333.33", "2833333.33", "2833333.34"]

    # Parties read it through their own organisation; the subcontractor its own share.
    sub = client.get(f"{API}/wijdezorg-a/allocations/{newest}", headers=headers["wijdezorg"])
    assert sub.status_code == 200
    assert [s["partner"]["slug"] for s in sub.get_json()["shares"]] == ["wijdezorg-a"]
    assert sub.get_json()["partners_total"] is None and sub.get_json()["total"] == "8500000.00"
    funder = client.get(f"{API}/alphen-a/allocations/{newest}", headers=headers["gemeente"])
    assert len(funder.get_json()["shares"]) == 3
    listing = client.get(f"{API}/alphen-a/budgets", headers=headers["gemeente"]).get_json()
    assert listing["items"][0]["relation"] == {
        "owner": False,
        "partner": False,
        "subcontractor": False,
        "funder": True,
        "approver": True,
    }
    # Only the owner proposes.
    r = client.post(
        f"{API}/kwintes-a/budgets/{budget_id}/allocations",
        headers=headers["kwintes"],
        json={"method": "equal"},
    )
    assert r.status_code == 409 and "beheert deze pot" in r.get_json()["detail"]

    # Someone with no part in it: 404, through its own organisation or the owner's.
    for path in (
        f"{API}/elders-a/budgets/{budget_id}",
        f"{API}/elders-a/allocations/{newest}",
        f"{API}/elders-a/budgets/{budget_id}/settlements",
        f"{API}/kwadraad-a/budgets/{budget_id}",
    ):
        r = client.get(path, headers=headers["elders"])
        assert r.status_code == 404 and r.mimetype == PROBLEM, path


def test_create_budget_refuses_unknown_organisations_and_bad_periods(client, parties):
    _orgs, headers = parties
    body = {
        "title": "Pot",
        "kind": "allocation",
        "period_start": "2026-12-31",
        "period_end": "2026-01-01",
        "approver": "alphen-a",
    }
    r = client.post(f"{API}/kwadraad-a/budgets", headers=headers["kwadraad"], json=body)
    assert r.status_code == 422 and "period_end" in r.get_json()["errors"]
    body.update(period_start="2026-01-01", period_end="2026-12-31", approver="kwintes-a")
    r = client.post(f"{API}/kwadraad-a/budgets", headers=headers["kwadraad"], json=body)
    assert r.status_code == 422 and "approver" in r.get_json()["errors"]  # no funder
    body.update(approver="alphen-a", partners=[{"organisation": "bestaat-niet"}])
    r = client.post(f"{API}/kwadraad-a/budgets", headers=headers["kwadraad"], json=body)
    assert r.status_code == 422 and r.get_json()["errors"] == {
        "partners": ["Onbekende organisatie: bestaat-niet."]
    }
    assert client.get(f"{API}/kwadraad-a/budgets", headers=headers["kwadraad"]).get_json() == {
        "items": []
    }


def test_a_pooled_budget_settled_through_the_api(client, db, parties):
    orgs, headers = parties
    r = client.post(
        f"{API}/kwadraad-a/budgets",
        headers=headers["kwadraad"],
        json={
            "title": "Wijkpot 2015",
            "kind": "district",
            "period_start": "2015-01-01",
            "period_end": "2015-12-31",
            "approver": "alphen-a",
            "funding": [{"funder": "alphen-a", "scheme": "begeleiding", "amount": "10000.00"}],
            "partners": [
                {"organisation": "kwadraad-a", "advance": "2000.00"},
                {"organisation": "kwintes-a", "advance": "6000.00"},
            ],
        },
    )
    assert r.status_code == 201, r.get_json()
    budget_id = r.get_json()["id"]
    for org, hours in (("kwadraad", 100), ("kwintes", 40)):
        with acting_for(orgs[org].id):
            districts.record(
                actor=None,
                view=budgeting.budget_for(orgs[org], budget_id),
                data=districts.DeliveryData(date(2015, 6, 1), "begeleiding", hours, 50),
            )
    url = f"{API}/kwadraad-a/budgets/{budget_id}/settlements"
    assert client.get(url, headers=headers["kwadraad"]).get_json() == {"items": []}
    r = client.post(f"{API}/kwintes-a/budgets/{budget_id}/settlements", headers=headers["kwintes"])
    assert r.status_code == 409  # only the owner settles
    r = client.post(url, headers=headers["kwadraad"])
    assert r.status_code == 201, r.get_json()
    settlement = r.get_json()
    # Delivered 5 000 and 2 000 of a pot of 10 000: 3 000 back to the funder. Advanced
    # 2 000 and 6 000, so the pot holds 2 000 and must end with 3 000: Kwintes pays back.
    assert (settlement["pool"], settlement["total_due"], settlement["surplus"]) == (
        "10000.00",
        "7000.00",
        "3000.00",
    )
    assert sorted(settlement["transfers"], key=lambda t: t["amount"]) == [
        {"payer": "Kwintes", "payee": "Kwadraad (pot)", "amount": "1000.00"},
        {"payer": "Kwintes", "payee": "Kwadraad", "amount": "3000.00"},
    ]
    assert client.post(url, headers=headers["kwadraad"]).status_code == 409  # settled once

    own = client.get(
        f"{API}/kwintes-a/settlements/{settlement['id']}", headers=headers["kwintes"]
    ).get_json()
    assert own["positions"] == [] and own["statement"]["partner"]["slug"] == "kwintes-a"
    assert own["statement"]["lines"] == [
        {
            "product": "begeleiding",
            "unit": "uur",
            "tariff": "50.00",
            "quantity": "40.00",
            "value": "2000.0000",
        }
    ]
    assert own["transfers"] == settlement["transfers"]  # both are Kwintes's own
    assert own["statement"]["pays"] == settlement["transfers"]
    assert own["statement"]["position"] == "-4000.00"
    funder = client.get(
        f"{API}/alphen-a/settlements/{settlement['id']}", headers=headers["gemeente"]
    ).get_json()
    assert funder["statement"] is None and funder["refunds"][0]["amount"] == "3000.00"
    assert (
        client.get(
            f"{API}/elders-a/settlements/{settlement['id']}", headers=headers["elders"]
        ).status_code
        == 404
    )
