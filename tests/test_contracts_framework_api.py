"""The framework-agreements API: the buyer creates an agreement with its catalogue and
parties and places call-offs; a provider reads its own share and posts its own reports.
Errors are problem+json: 400 per field, 404 for what is not yours, 409 for a state, 422
for a rule (with the field)."""

from __future__ import annotations

import pytest
from test_contracts_framework_store import (
    DEC,
    JAN,
    TARIFFS,
    call_off,
    close,
    make_agreement,
    report,
    state_of,
)

from koepel.platform.auth import operations as accounts

PROBLEM = "application/problem+json"


def _auth(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_api_token(user=user)[1]}"}


@pytest.fixture
def buyer(db, make_org):
    return make_org("municipality", slug="fa-goeree", name="Gemeente Goeree-Overflakkee")


@pytest.fixture
def officer(buyer, make_user):
    return make_user(buyer, "procurement_officer")


@pytest.fixture
def laurens(make_org):
    return make_org("provider", slug="fa-laurens", name="Laurens")


@pytest.fixture
def curamare(make_org):
    return make_org("provider", slug="fa-curamare", name="Curamare")


URL = "/api/v1/orgs/{slug}/framework-agreements"


def test_the_buyer_creates_an_agreement_with_catalogue_and_parties(client, buyer, officer, laurens):
    auth = _auth(officer)
    url = URL.format(slug="fa-goeree")
    body = {
        "title": "Raamovereenkomst Wmo 2015",
        "year": 2015,
        "increase_above": "5",
        "decrease_below": "10",
        "products": [{"product": code, "tariff": tariff} for code, tariff in TARIFFS.items()],
        "parties": [
            {"organisation": "fa-laurens", "clients": 40, "volumes": {"ambulatory/light": "2000"}}
        ],
    }
    r = client.post(url, headers=auth, json=body)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["status"] == "draft" and len(created["products"]) == 11
    [party] = created["parties"]
    assert (party["organisation"], party["contracted_clients"], party["ceiling"]) == (
        "fa-laurens",
        40,
        "90000.00",
    )
    light = next(p for p in created["products"] if p["code"] == "ambulatory/light")
    assert (light["unit"], light["tariff"], light["label"]) == (
        "uur",
        "45.00",
        "Ambulante ondersteuning, licht",
    )
    listed = client.get(url, headers=auth).get_json()["items"]
    assert [a["id"] for a in listed] == [created["id"]]

    # A negative tariff: refused by the rule, with the field; nothing is kept.
    bad = body | {"title": "Fout", "products": [{"product": "group/light", "tariff": "-1.00"}]}
    r = client.post(url, headers=auth, json=bad)
    assert r.status_code == 400 and r.mimetype == PROBLEM  # not even a valid amount
    r = client.post(
        url,
        headers=auth,
        json=body | {"title": "Fout", "parties": [{"organisation": "bestaat-niet", "clients": 2}]},
    )
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert "parties.0.organisation" in r.get_json()["errors"]
    assert len(client.get(url, headers=auth).get_json()["items"]) == 1
    r = client.post(url, headers=auth, json={"year": "twee"})
    assert r.status_code == 400 and set(r.get_json()["errors"]) >= {"title", "year"}


def test_call_offs_through_the_api_respect_the_ceiling(client, buyer, officer, laurens):
    agreement = make_agreement(buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})])
    auth = _auth(officer)
    url = f"{URL.format(slug='fa-goeree')}/{agreement.id}/call-offs"
    order = {
        "provider": "fa-laurens",
        "client": "GO-0042",
        "product": "ambulatory/medium",
        "quantity": "80",
        "start": "2015-01-01",
        "end": "2015-12-31",
    }
    r = client.post(url, headers=auth, json=order)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["price"] == "4400.00" and r.get_json()["tariff"] == "55.00"
    r = client.post(url, headers=auth, json=order | {"client": "GO-0043", "quantity": "30"})
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert "nog €\xa01.100,00 over" in r.get_json()["detail"]
    assert "quantity" in r.get_json()["errors"]
    r = client.post(
        url,
        headers=auth,
        json=order | {"client": "GO-0043", "quantity": "30", "allow_over_ceiling": True},
    )
    assert r.status_code == 201 and r.get_json()["over_ceiling"] is True
    r = client.post(url, headers=auth, json=order | {"client": "Piet Klaassen"})
    assert r.status_code == 422 and "client" in r.get_json()["errors"]
    r = client.post(url, headers=auth, json=order | {"quantity": 80})
    assert r.status_code == 400 and "quantity" in r.get_json()["errors"]  # a float, refused
    items = client.get(url, headers=auth).get_json()["items"]
    assert [(c["client"], c["over_ceiling"]) for c in items] == [
        ("GO-0042", False),
        ("GO-0043", True),
    ]
    draft = make_agreement(
        buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})], activate=False
    )
    r = client.post(
        f"{URL.format(slug='fa-goeree')}/{draft.id}/call-offs", headers=auth, json=order
    )
    assert r.status_code == 409 and r.mimetype == PROBLEM


def test_a_provider_reads_its_own_share_and_posts_its_own_reports(
    client, buyer, officer, laurens, curamare, make_user
):
    agreement = make_agreement(
        buyer,
        officer,
        [(laurens, 2, {"ambulatory/medium": 100}), (curamare, 2, {"group/light": 100})],
    )
    mine = call_off(buyer, officer, agreement, laurens, "GO-1", "40", "ambulatory/medium", JAN, DEC)
    theirs = call_off(buyer, officer, agreement, curamare, "GO-2", "40", "group/light", JAN, DEC)
    report(curamare, None, agreement, 1, {theirs: "4"})
    auth = _auth(make_user(laurens, "contact"))
    base = f"{URL.format(slug='fa-laurens')}/{agreement.id}"

    listed = client.get(URL.format(slug="fa-laurens"), headers=auth).get_json()["items"]
    assert [(a["id"], a["buyer"]) for a in listed] == [
        (agreement.id, "Gemeente Goeree-Overflakkee")
    ]
    seen = client.get(base, headers=auth).get_json()
    assert [p["organisation"] for p in seen["parties"]] == ["fa-laurens"]
    assert len(client.get(f"{base}/products", headers=auth).get_json()["items"]) == 11
    assert [c["id"] for c in client.get(f"{base}/call-offs", headers=auth).get_json()["items"]] == [
        mine.id
    ]
    assert client.get(f"{base}/reports", headers=auth).get_json()["items"] == []

    r = client.post(
        f"{base}/reports",
        headers=auth,
        json={"period": 1, "lines": [{"call_off_id": mine.id, "quantity": "3.5"}]},
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["lines"] == [
        {
            "call_off_id": mine.id,
            "client": "GO-1",
            "product": "ambulatory/medium",
            "quantity": "3.50",
        }
    ]
    # Another party's call-off: not this provider's to report on.
    r = client.post(
        f"{base}/reports",
        headers=auth,
        json={"period": 2, "lines": [{"call_off_id": theirs.id, "quantity": "1"}]},
    )
    assert r.status_code == 422 and "lines.0.call_off_id" in r.get_json()["errors"]
    # A closed period is the agreement's state: 409, and nothing is stored.
    close(buyer, officer, agreement, times=2)
    r = client.post(
        f"{base}/reports",
        headers=auth,
        json={"period": 2, "lines": [{"call_off_id": mine.id, "quantity": "1"}]},
    )
    assert r.status_code == 409 and "Periode 2 is afgesloten" in r.get_json()["detail"]
    r = client.post(
        f"{base}/reports",
        headers=auth,
        json={"period": 3, "lines": [{"call_off_id": mine.id, "quantity": "37"}]},
    )
    assert r.status_code == 422 and f"line-{mine.id}" in r.get_json()["errors"]
    own = client.get(f"{base}/reports", headers=auth).get_json()["items"]
    assert [(r["provider"], r["period"]) for r in own] == [("fa-laurens", 1)]

    # The buyer sees both providers' reports and figures.
    buyer_auth = _auth(officer)
    buyer_base = f"{URL.format(slug='fa-goeree')}/{agreement.id}"
    reports = client.get(f"{buyer_base}/reports?period=1", headers=buyer_auth).get_json()["items"]
    assert sorted(r["provider"] for r in reports) == ["fa-curamare", "fa-laurens"]
    parties = client.get(buyer_base, headers=buyer_auth).get_json()["parties"]
    assert {p["organisation"]: p["used"] for p in parties} == {
        "fa-curamare": "72.00",
        "fa-laurens": "192.50",
    }
    assert len(state_of(buyer, agreement).lines) == 2


def test_what_is_not_yours_is_not_found(client, buyer, officer, laurens, make_org, make_user):
    agreement = make_agreement(buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})])
    draft = make_agreement(
        buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})], activate=False
    )
    other_provider = make_org("provider", slug="fa-other")
    stranger = _auth(make_user(other_provider, "contact"))
    for path in ("", "/products", "/call-offs", "/reports"):
        url = f"{URL.format(slug='fa-other')}/{agreement.id}{path}"
        assert client.get(url, headers=stranger).status_code == 404
    r = client.post(
        f"{URL.format(slug='fa-other')}/{agreement.id}/reports",
        headers=stranger,
        json={"period": 1, "lines": []},
    )
    assert r.status_code == 404  # before the body is even read
    laurens_auth = _auth(make_user(laurens, "contact"))
    assert (
        client.get(f"{URL.format(slug='fa-laurens')}/{draft.id}", headers=laurens_auth).status_code
        == 404
    )
    elsewhere = make_org("municipality", slug="fa-elders")
    other_buyer = _auth(make_user(elsewhere, "procurement_officer"))
    assert (
        client.get(
            f"{URL.format(slug='fa-elders')}/{agreement.id}", headers=other_buyer
        ).status_code
        == 404
    )
    # A buyer does not post reports; a provider does not create agreements.
    r = client.post(
        f"{URL.format(slug='fa-goeree')}/{agreement.id}/reports", headers=_auth(officer), json={}
    )
    assert r.status_code == 404
    r = client.post(URL.format(slug="fa-laurens"), headers=laurens_auth, json={})
    assert r.status_code == 404
    reviewer = _auth(make_user(buyer, "reviewer"))
    assert (
        client.get(f"{URL.format(slug='fa-goeree')}/{agreement.id}", headers=reviewer).status_code
        == 200
    )
    r = client.post(
        f"{URL.format(slug='fa-goeree')}/{agreement.id}/call-offs", headers=reviewer, json={}
    )
    assert r.status_code == 403
