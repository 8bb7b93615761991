"""Open data: the public tender list and OCDS packages from the database."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from test_bids_opening_evaluation import closed_tender  # noqa: F401  (a fixture)

from koepel.bids import ocds, opening, tenders
from koepel.bids.models import OpenedBid, Procedure
from koepel.platform.tenancy import acting_for

from conftest import missing


def _validate(package):
    try:
        errors = ocds.validate(package)
    except ocds.OcdsSchemasNotFound as error:
        missing(f"the OCDS schemas ({error})")
    assert errors == [], errors


def test_public_ocds_before_and_after_opening(client, db, closed_tender):  # noqa: F811
    ctx = closed_tender
    listing = client.get("/api/v1/public/tenders").get_json()
    assert [t["id"] for t in listing["items"]] == [ctx["tender_id"]]
    before = client.get(f"/api/v1/public/tenders/{ctx['tender_id']}/ocds")
    assert before.status_code == 200
    package = before.get_json()
    _validate(package)
    text = json.dumps(package)
    assert "E-COOP" not in text and "E-PROVIDER" not in text and "80000" not in text
    assert "awards" not in package["releases"][0]

    buyer, (first, second) = ctx["buyer"], ctx["officials"]
    after = ctx["deadline"] + timedelta(minutes=1)
    with acting_for(buyer.id):
        tender = tenders.get_tender(ctx["tender_id"])
        opening.start(actor=first, buyer=buyer, tender=tender, now=after)
        opening.confirm(actor=second, buyer=buyer, tender=tender, now=after)
        assert len(db.session.scalars(select(OpenedBid)).all()) == 3
    package = client.get(f"/api/v1/public/tenders/{ctx['tender_id']}/ocds").get_json()
    _validate(package)
    release = package["releases"][0]
    assert len(release["bids"]["details"]) == 3
    assert {p["name"] for p in release["parties"]} >= {"E-COOP-A", "E-COOP-B", "E-PROVIDER"}


def test_drafts_are_not_public(client, db, make_org, make_user):
    buyer = make_org("municipality")
    with acting_for(buyer.id):
        draft = tenders.create(
            actor=make_user(buyer, "procurement_officer"),
            buyer=buyer,
            data=tenders.TenderData(title="Concept", procedure=Procedure.OPEN),
        )
        draft_id = draft.id
    assert client.get(f"/api/v1/public/tenders/{draft_id}/ocds").status_code == 404
    assert client.get("/api/v1/public/tenders/999999/ocds").status_code == 404
    assert draft_id not in [
        t["id"] for t in client.get("/api/v1/public/tenders").get_json()["items"]
    ]


def test_the_ocid_carries_the_deployments_registered_prefix(app, client, db, closed_tender):  # noqa: F811
    tender_id = closed_tender["tender_id"]
    url = f"/api/v1/public/tenders/{tender_id}/ocds"
    assert client.get(url).get_json()["releases"][0]["ocid"] == f"ocds-koepel-{tender_id}"
    old = app.config["OCDS_OCID_PREFIX"]
    app.config["OCDS_OCID_PREFIX"] = "ocds-a1b2c3"
    try:
        release = client.get(url).get_json()["releases"][0]
    finally:
        app.config["OCDS_OCID_PREFIX"] = old
    assert release["ocid"] == f"ocds-a1b2c3-{tender_id}"
    assert release["id"].startswith(f"ocds-a1b2c3-{tender_id}-tender-")
