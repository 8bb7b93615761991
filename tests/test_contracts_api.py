"""The contracts API: listing and entering contracts, one contract as each party sees it,
and a contractor reporting a KPI value; problem+json errors (400, 403, 404, 409, 422)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from test_contracts_core import (  # noqa: F401  (alphen: a fixture)
    alphen,
    coalition_contract,
    running,
    sign_everything,
    simple_contract,
)

from koepel.contracts import contract_payments, contracting, kpis
from koepel.contracts.models.core import KpiDirection, KpiPeriod, PartyRole
from koepel.platform.auth import operations as accounts
from koepel.platform.tenancy import acting_for

D = Decimal


def token_for(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_api_token(user=user)[1]}"}


def test_entering_and_listing_contracts(client, db, alphen):  # noqa: F811
    w = alphen
    buyer, lead = w["buyer"], w["lead"]
    headers = token_for(w["officer"])
    url = f"/api/v1/orgs/{buyer.slug}/contracts"
    body = {
        "title": "Subsidie wijkcoaches",
        "kind": "subsidy",
        "start_date": "2026-01-01",
        "initial_months": 24,
        "yearly_amount": "120000.00",
        "parties": [{"organisation": lead.slug, "role": "main"}],
        "options": [{"months": 12, "decision_date": "2027-09-30"}],
    }
    made = client.post(url, json=body, headers=headers)
    assert made.status_code == 201, made.get_json()
    data = made.get_json()
    assert data["status"] == "draft" and data["yearly_amount"] == "120000.00"
    assert data["end_date"] == "2027-12-31" and data["options"][0]["status"] == "open"
    assert {(p["organisation"]["slug"], p["role"]) for p in data["parties"]} == {
        (buyer.slug, "buyer"),
        (lead.slug, "main"),
    }
    # Input that does not fit the schema: 400 per field; a float amount is refused.
    bad = client.post(url, json={**body, "title": "", "yearly_amount": 12.5}, headers=headers)
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert {"title", "yearly_amount"} <= set(bad.get_json()["errors"])
    award = client.post(url, json={**body, "kind": "award"}, headers=headers)
    assert award.status_code == 400
    # A rule refuses a well-formed request: 422 with the field, and nothing is stored.
    late = client.post(
        url,
        json={
            **body,
            "title": "Te laat",
            "options": [{"months": 12, "decision_date": "2031-01-01"}],
        },
        headers=headers,
    )
    assert late.status_code == 422 and "decision_date" in late.get_json()["errors"]
    unknown = client.post(
        url,
        json={**body, "parties": [{"organisation": "bestaat-niet", "role": "main"}]},
        headers=headers,
    )
    assert unknown.status_code == 422
    listing = client.get(url, headers=headers).get_json()["items"]
    assert [c["title"] for c in listing] == ["Subsidie wijkcoaches"]
    theirs = client.get(
        f"/api/v1/orgs/{lead.slug}/contracts", headers=token_for(w["people"][lead.id])
    ).get_json()["items"]
    assert [(c["title"], c["owner"], c["role"]) for c in theirs] == [
        ("Subsidie wijkcoaches", buyer.name, "main")
    ]
    # A provider does not enter contracts (the resource does not exist for it).
    assert (
        client.post(
            f"/api/v1/orgs/{lead.slug}/contracts",
            json=body,
            headers=token_for(w["people"][lead.id]),
        ).status_code
        == 404
    )


def test_one_contract_as_each_party_sees_it(client, db, alphen):  # noqa: F811
    w = alphen
    contract = coalition_contract(db, w)
    sign_everything(db, w, contract.id)
    buyer, officer = w["buyer"], w["officer"]
    with acting_for(buyer.id):
        contract.yearly_amount = D("8500000.00")
        contracting.activate(actor=officer, owner=buyer, contract=contract)
        by_org = {p.organisation_id: p for p in contract.parties}
        contract_payments.plan_advances(
            actor=officer,
            owner=buyer,
            contract=contract,
            party_id=by_org[w["lead"].id].id,
            year=contract.start_date.year,
        )
        contract_payments.add_supplement(
            actor=officer,
            owner=buyer,
            contract=contract,
            party_id=by_org[w["subs"][0].id].id,
            year=contract.start_date.year,
            amount=D("1000.00"),
            reason="Vervoer",
            settled=True,
        )
        kpis.add_kpi(
            actor=officer,
            owner=buyer,
            contract=contract,
            name="Participatieladder",
            unit="%",
            target=D(40),
            direction=KpiDirection.HIGHER,
            period=KpiPeriod.QUARTER,
        )

    def get(org):
        return client.get(
            f"/api/v1/orgs/{org.slug}/contracts/{contract.id}",
            headers=token_for(w["people"][org.id]),
        )

    owner = get(buyer).get_json()
    assert owner["payments"]["complete"] and len(owner["signatures"]) == 40
    assert owner["fully_signed"] and owner["status"] == "active"
    assert [k["name"] for k in owner["kpis"]] == ["Participatieladder"]
    sub = get(w["subs"][0]).get_json()
    assert not sub["payments"]["complete"]
    assert [p["amount"] for p in sub["payments"]["items"]] == ["1000.00"]
    assert len(sub["parties"]) == 9 and sub["value"] == owner["value"]
    other_sub = get(w["subs"][1]).get_json()
    assert other_sub["payments"]["items"] == []
    assert get(w["outsider"]).status_code == 404


def test_a_contractor_reports_a_kpi_value(client, db, alphen):  # noqa: F811
    w = alphen
    buyer, lead = w["buyer"], w["lead"]
    today = contracting.today_local()
    contract = running(
        db,
        buyer,
        w["officer"],
        lead,
        w["people"],
        start_date=date(today.year - 1, 1, 1),
        kpi_window_days=365,
    )
    draft = simple_contract(db, buyer, w["officer"], lead, title="Concept")
    with acting_for(buyer.id):
        kpi = kpis.add_kpi(
            actor=w["officer"],
            owner=buyer,
            contract=contract,
            name="Bereik",
            unit="inwoners",
            target=D(450),
            direction=KpiDirection.HIGHER,
            period=KpiPeriod.YEAR,
        )
        draft_kpi = kpis.add_kpi(
            actor=w["officer"],
            owner=buyer,
            contract=draft,
            name="Bereik",
            unit="inwoners",
            target=D(450),
            direction=KpiDirection.HIGHER,
            period=KpiPeriod.YEAR,
        )
    headers = token_for(w["people"][lead.id])
    url = f"/api/v1/orgs/{lead.slug}/contracts/{contract.id}/kpis/{kpi.id}/values"
    last_year = f"{today.year - 1}-06-30"
    made = client.post(url, json={"period_start": last_year, "value": "467.50"}, headers=headers)
    assert made.status_code == 201, made.get_json()
    assert made.get_json() == {
        **made.get_json(),
        "period_start": f"{today.year - 1}-01-01",
        "value": "467.50",
        "meets_target": True,
    }
    future = client.post(
        url, json={"period_start": today.isoformat(), "value": "1.00"}, headers=headers
    )
    assert future.status_code == 422 and "period" in future.get_json()["errors"]
    assert "nog niet voorbij" in future.get_json()["detail"]
    schema = client.post(url, json={"period_start": last_year, "value": 467.5}, headers=headers)
    assert schema.status_code == 400
    # The buyer's officer has no right to report: 403; another organisation: 404.
    buyer_url = f"/api/v1/orgs/{buyer.slug}/contracts/{contract.id}/kpis/{kpi.id}/values"
    assert (
        client.post(
            buyer_url,
            json={"period_start": last_year, "value": "1.00"},
            headers=token_for(w["officer"]),
        ).status_code
        == 403
    )
    outsider = w["outsider"]
    assert (
        client.post(
            f"/api/v1/orgs/{outsider.slug}/contracts/{contract.id}/kpis/{kpi.id}/values",
            json={"period_start": last_year, "value": "1.00"},
            headers=token_for(w["people"][outsider.id]),
        ).status_code
        == 404
    )
    # A draft does not run yet: 409; an indicator of another contract: 404.
    draft_url = f"/api/v1/orgs/{lead.slug}/contracts/{draft.id}/kpis/{draft_kpi.id}/values"
    conflict = client.post(
        draft_url, json={"period_start": last_year, "value": "1.00"}, headers=headers
    )
    assert conflict.status_code == 409
    wrong = f"/api/v1/orgs/{lead.slug}/contracts/{contract.id}/kpis/{draft_kpi.id}/values"
    assert (
        client.post(
            wrong, json={"period_start": last_year, "value": "1.00"}, headers=headers
        ).status_code
        == 404
    )
    assert any(p.role == PartyRole.MAIN for p in contract.parties)
