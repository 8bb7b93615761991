"""The bids API: a buyer's tenders, a bidder's bids (alone and in a consortium), and the
evaluation after the opening — through the same rules as the pages, with problem+json
errors: 400 per field, 404 for what is not yours, 409 for a state, 422 for a rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from koepel.bids import evaluation, opening, submission
from koepel.bids.models import Bid, OpenedBid, PartnerRole, Tender
from koepel.platform.auth import operations as ops
from koepel.platform.models import OutboxMessage
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _drain_jobs(run_jobs):
    """Run the jobs a test queued (the receipt e-mails) while its data still exists: on
    Redis they would otherwise wait for a later test, whose database no longer has them."""
    yield
    run_jobs()


def _auth(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {ops.issue_api_token(user=user)[1]}"}


def _iso(delta: timedelta) -> str:
    return (utcnow() + delta).replace(microsecond=0).isoformat()


@pytest.fixture
def buyer(db, make_org, make_user):
    org = make_org("municipality", slug="api-bladel", name="Gemeente Bladel")
    return {
        "org": org,
        "officer": _auth(make_user(org, "procurement_officer")),
        "policy": _auth(make_user(org, "policy_officer")),
        "url": "/api/v1/orgs/api-bladel/tenders",
    }


def _draft(client, buyer, **extra) -> dict:
    body = {
        "title": "Dagbesteding Kempen",
        "procedure": "social",
        "estimated_value": "500000.00",
        "questions_deadline": _iso(timedelta(days=5)),
        "submission_deadline": _iso(timedelta(days=10)),
        **extra,
    }
    response = client.post(buyer["url"], headers=buyer["officer"], json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _published(client, buyer, **extra) -> dict:
    """A published tender: two lots, price 40 / quality 60, one requirement."""
    tender = _draft(client, buyer, **extra)
    url, auth = f"{buyer['url']}/{tender['id']}", buyer["officer"]
    for title in ("Kempen-Noord", "Kempen-Zuid"):
        r = client.post(
            f"{url}/lots",
            headers=auth,
            json={"title": title, "kind": "geographic", "budget": "250000"},
        )
        assert r.status_code == 201, r.get_json()
    for title, kind, weight in (("Prijs", "price", "40"), ("Kwaliteit", "quality", "60")):
        r = client.post(
            f"{url}/criteria", headers=auth, json={"title": title, "kind": kind, "weight": weight}
        )
        assert r.status_code == 201, r.get_json()
    r = client.post(f"{url}/requirements", headers=auth, json={"title": "VOG voor vrijwilligers"})
    assert r.status_code == 201
    r = client.post(f"{url}/publish", headers=auth)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


# -- tenders -----------------------------------------------------------------------------------
def test_bad_tender_input_is_400_per_field_and_nothing_is_created(client, db, buyer):
    r = client.post(
        buyer["url"],
        headers=buyer["officer"],
        json={
            "procedure": "social",
            "estimated_value": "12,5a",
            "submission_deadline": "2030-01-01T17:00:00",  # no offset: ambiguous
        },
    )
    assert r.status_code == 400 and r.mimetype == PROBLEM
    errors = r.get_json()["errors"]
    assert set(errors) == {"title", "estimated_value", "submission_deadline"}
    assert "1234.56" in errors["estimated_value"][0]
    assert "tijdzone" in errors["submission_deadline"][0]

    past = client.post(
        buyer["url"],
        headers=buyer["officer"],
        json={
            "title": "Te laat",
            "procedure": "open",
            "estimated_value": 500000.5,  # a JSON number: floats cannot hold cents
            "submission_deadline": _iso(-timedelta(minutes=1)),
        },
    )
    assert past.status_code == 400
    errors = past.get_json()["errors"]
    assert "als tekst" in errors["estimated_value"][0]
    first = client.post(
        buyer["url"],
        headers=buyer["officer"],
        json={"title": "Te laat", "procedure": "open", "submission_deadline": _iso(-timedelta(1))},
    )
    assert "in het verleden" in first.get_json()["errors"]["submission_deadline"][0]
    with acting_for(buyer["org"].id):
        assert db.session.scalar(db.select(db.func.count(Tender.id))) == 0


def test_draft_lots_criteria_publish(client, db, buyer):
    tender = _draft(client, buyer)
    assert tender["status"] == "draft" and tender["estimated_value"] == "500000.00"
    assert tender["timeline"]["submission_deadline"].endswith("+00:00")
    url, auth = f"{buyer['url']}/{tender['id']}", buyer["officer"]

    bad_lot = client.post(
        f"{url}/lots", headers=auth, json={"title": "Wijk", "kind": "geographic", "budget": "0"}
    )
    assert bad_lot.status_code == 422 and "budget" in bad_lot.get_json()["errors"]
    lot = client.post(
        f"{url}/lots",
        headers=auth,
        json={"title": "Wijk", "kind": "geographic", "budget": "100000.00", "reserved_share": "25"},
    )
    assert lot.status_code == 201
    assert lot.get_json()["budget"] == "100000.00" and lot.get_json()["reserved_share"] == "25.00"
    for title, kind, weight in (("Prijs", "price", "40"), ("Kwaliteit", "quality", "50")):
        client.post(
            f"{url}/criteria", headers=auth, json={"title": title, "kind": kind, "weight": weight}
        )
    refused = client.post(f"{url}/publish", headers=auth)
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    body = refused.get_json()
    assert "100" in body["detail"] and "weight" in body["errors"]
    assert client.get(url, headers=auth).get_json()["weights_total"] == "90.00"

    client.post(
        f"{url}/criteria",
        headers=auth,
        json={"title": "Maatschappelijke meerwaarde", "kind": "social_value", "weight": "10"},
    )
    published = client.post(f"{url}/publish", headers=auth)
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    again = client.post(f"{url}/publish", headers=auth)
    assert again.status_code == 409 and "gepubliceerde" in again.get_json()["detail"]
    late_lot = client.post(
        f"{url}/lots", headers=auth, json={"title": "Nog een", "kind": "thematic", "budget": "1"}
    )
    assert late_lot.status_code == 409

    listing = client.get(f"{buyer['url']}?status=published", headers=auth).get_json()
    assert [t["id"] for t in listing["items"]] == [tender["id"]]
    assert client.get(f"{buyer['url']}?status=draft", headers=auth).get_json()["items"] == []
    assert client.get(f"{buyer['url']}?status=nope", headers=auth).status_code == 400


def test_tender_access(client, db, buyer, make_org, make_user):
    tender = _draft(client, buyer)
    url = f"{buyer['url']}/{tender['id']}"
    # A policy officer may look, not change.
    assert client.get(url, headers=buyer["policy"]).status_code == 200
    assert client.post(f"{url}/publish", headers=buyer["policy"]).status_code == 403
    # Another municipality's tender, reached through one's own: 404, also with a body.
    other = make_org("municipality", slug="api-eersel")
    auth = _auth(make_user(other, "procurement_officer"))
    foreign = f"/api/v1/orgs/api-eersel/tenders/{tender['id']}"
    assert client.get(foreign, headers=auth).status_code == 404
    assert client.post(f"{foreign}/lots", headers=auth, json={}).status_code == 404
    assert client.get(url, headers=auth).status_code == 404  # not their organisation


# -- bids --------------------------------------------------------------------------------------
@pytest.fixture
def market(client, db, buyer, make_org, make_user):
    """A published tender (bid count shown) and two cooperatives, one with a partner."""
    tender = _published(client, buyer, show_bid_count=True)
    coops = {}
    for slug in ("api-hoogeloon", "api-casteren", "api-laarbeek"):
        org = make_org("cooperative", slug=slug, name=f"Zorgcoöperatie {slug[4:].title()}")
        coops[slug] = {"org": org, "auth": _auth(make_user(org, "coordinator"))}
    return {"tender": tender, "coops": coops, "buyer": buyer}


def _answers(tender: dict, words: str) -> dict:
    quality = next(c["id"] for c in tender["criteria"] if c["kind"] == "quality")
    return {
        "answers": {str(quality): words},
        "requirements": {str(tender["requirements"][0]["id"]): "Iedereen heeft een VOG"},
    }


def test_bid_draft_submit_withdraw_resubmit(client, db, market, mailbox):
    tender, coop = market["tender"], market["coops"]["api-hoogeloon"]
    url, auth = "/api/v1/orgs/api-hoogeloon/bids", coop["auth"]
    lot_id = tender["lots"][0]["id"]

    unknown = client.post(url, headers=auth, json={"tender_id": 10**9, "lot_id": lot_id})
    assert unknown.status_code == 422 and "tender_id" in unknown.get_json()["errors"]
    wrong_lot = client.post(url, headers=auth, json={"tender_id": tender["id"], "lot_id": 10**9})
    assert wrong_lot.status_code == 422 and "lot_id" in wrong_lot.get_json()["errors"]
    started = client.post(url, headers=auth, json={"tender_id": tender["id"], "lot_id": lot_id})
    assert started.status_code == 201
    bid = started.get_json()
    assert bid["status"] == "draft" and bid["participation"] == "lead"
    assert bid["tender"]["buyer"] == "Gemeente Bladel" and bid["draft"]["price"] is None
    twice = client.post(url, headers=auth, json={"tender_id": tender["id"], "lot_id": lot_id})
    assert twice.status_code == 422 and "lot_id" in twice.get_json()["errors"]

    bid_url = f"{url}/{bid['id']}"
    typo = client.put(f"{bid_url}/draft", headers=auth, json={"price": "12,5a"})
    assert typo.status_code == 400 and typo.mimetype == PROBLEM
    assert set(typo.get_json()["errors"]) == {"price"}
    stray = client.put(f"{bid_url}/draft", headers=auth, json={"answers": {"999999": "x"}})
    assert stray.status_code == 400 and "answers" in stray.get_json()["errors"]
    partial = client.put(f"{bid_url}/draft", headers=auth, json={"price": "123456.78"})
    assert partial.status_code == 200 and partial.get_json()["draft"]["price"] == "123456.78"
    incomplete = client.post(f"{bid_url}/submit", headers=auth)
    assert incomplete.status_code == 422 and "answers" in incomplete.get_json()["errors"]

    content = {"price": "123456.78", **_answers(tender, "ontmoeting in het dorpshuis")}
    assert client.put(f"{bid_url}/draft", headers=auth, json=content).status_code == 200
    submitted = client.post(f"{bid_url}/submit", headers=auth)
    assert submitted.status_code == 200, submitted.get_json()
    body = submitted.get_json()
    assert body["status"] == "submitted" and body["draft"] is None
    receipt = body["receipt"]
    assert receipt["version"] == 1 and len(receipt["receipt"]) == 64
    # The receipt, never the content: not in the answer, not in the e-mail.
    for leaked in ("123456", "dorpshuis"):
        assert leaked not in submitted.get_data(as_text=True)
        assert leaked not in client.get(bid_url, headers=auth).get_data(as_text=True)
    mail = db.session.scalars(db.select(OutboxMessage)).all()
    assert len(mail) == 1 and receipt["receipt"] in mail[0].body_text
    assert mail[0].subject == "Ontvangstbewijs inschrijving"
    assert "123456" not in mail[0].body_text and "dorpshuis" not in mail[0].body_text
    again = client.post(f"{bid_url}/submit", headers=auth)
    assert again.status_code == 409 and "al ingediend" in again.get_json()["detail"]
    busy = client.put(f"{bid_url}/draft", headers=auth, json=content)
    assert busy.status_code == 409

    # The buyer sees the number of bids (the tender shows it), nothing else.
    buyer = market["buyer"]
    seen = client.get(f"{buyer['url']}/{tender['id']}", headers=buyer["officer"])
    assert seen.get_json()["bid_count"] == 1
    for leaked in ("Hoogeloon", "123456", "dorpshuis"):
        assert leaked not in seen.get_data(as_text=True)

    withdrawn = client.post(f"{bid_url}/withdraw", headers=auth)
    assert withdrawn.status_code == 200
    back = withdrawn.get_json()
    assert back["status"] == "withdrawn" and back["receipt"] is None
    assert back["draft"]["price"] == "123456.78"
    assert back["draft"]["answers"] == content["answers"]
    assert client.post(f"{bid_url}/withdraw", headers=auth).status_code == 409
    assert client.put(f"{bid_url}/draft", headers=auth, json=content).status_code == 200
    resubmitted = client.post(f"{bid_url}/submit", headers=auth)
    assert resubmitted.status_code == 200 and resubmitted.get_json()["receipt"]["version"] == 2


def test_submission_after_the_deadline_is_409(client, db, market):
    tender, coop = market["tender"], market["coops"]["api-casteren"]
    url, auth = "/api/v1/orgs/api-casteren/bids", coop["auth"]
    bid = client.post(
        url, headers=auth, json={"tender_id": tender["id"], "lot_id": tender["lots"][1]["id"]}
    ).get_json()
    content = {"price": "98000", **_answers(tender, "boerderij")}
    assert client.put(f"{url}/{bid['id']}/draft", headers=auth, json=content).status_code == 200
    with acting_for(market["buyer"]["org"].id):
        db.session.get(Tender, tender["id"]).submission_deadline = utcnow() - timedelta(seconds=1)
        db.session.flush()
    late = client.post(f"{url}/{bid['id']}/submit", headers=auth)
    assert late.status_code == 409 and late.mimetype == PROBLEM
    assert "sluitingstermijn is voorbij" in late.get_json()["detail"]
    assert client.get(f"{url}/{bid['id']}", headers=auth).get_json()["status"] == "draft"
    new = client.post(
        url, headers=auth, json={"tender_id": tender["id"], "lot_id": tender["lots"][0]["id"]}
    )
    assert new.status_code == 409


def test_partner_sees_the_bid_it_is_in_and_nobody_else_does(client, db, market, make_user):
    tender, coops = market["tender"], market["coops"]
    lead, partner, other = coops["api-hoogeloon"], coops["api-laarbeek"], coops["api-casteren"]
    url = "/api/v1/orgs/api-hoogeloon/bids"
    bid = client.post(
        url,
        headers=lead["auth"],
        json={"tender_id": tender["id"], "lot_id": tender["lots"][0]["id"]},
    ).get_json()
    content = {"price": "200000.00", **_answers(tender, "vier dorpen samen")}
    client.put(f"{url}/{bid['id']}/draft", headers=lead["auth"], json=content)
    with acting_for(lead["org"].id):
        row = db.session.get(Bid, bid["id"])
        submission.add_partner(
            actor=None,
            bidder=lead["org"],
            bid=row,
            partner=partner["org"],
            role=PartnerRole.MAIN,
            share=Decimal(40),
        )

    mine = client.get("/api/v1/orgs/api-laarbeek/bids", headers=partner["auth"]).get_json()
    assert [(b["id"], b["participation"], b["lead"]) for b in mine["items"]] == [
        (bid["id"], "partner", "Zorgcoöperatie Hoogeloon")
    ]
    seen = client.get(f"/api/v1/orgs/api-laarbeek/bids/{bid['id']}", headers=partner["auth"])
    assert seen.status_code == 200
    assert seen.get_json()["draft"]["answers"] == content["answers"]
    assert seen.get_json()["partners"] == [
        {
            "organisation": "Zorgcoöperatie Laarbeek",
            "role": "main",
            "share": "40.00",
            "confirmed": False,
        }
    ]
    # Changing it is the lead's: the partner (and anyone else) gets 404.
    partner_bid = f"/api/v1/orgs/api-laarbeek/bids/{bid['id']}"
    assert client.put(f"{partner_bid}/draft", headers=partner["auth"], json={}).status_code == 404
    assert client.post(f"{partner_bid}/submit", headers=partner["auth"]).status_code == 404
    stranger = f"/api/v1/orgs/api-casteren/bids/{bid['id']}"
    assert client.get(stranger, headers=other["auth"]).status_code == 404
    assert client.get("/api/v1/orgs/api-casteren/bids", headers=other["auth"]).get_json() == {
        "items": []
    }
    # A volunteer of the partner has no bids.view: 403.
    volunteer = _auth(make_user(partner["org"], "volunteer"))
    assert client.get(partner_bid, headers=volunteer).status_code == 403

    # Unconfirmed partner: the rule refuses the submission on that field.
    refused = client.post(f"{url}/{bid['id']}/submit", headers=lead["auth"])
    assert refused.status_code == 422 and "partners" in refused.get_json()["errors"]


# -- evaluations -------------------------------------------------------------------------------
def test_evaluation_only_after_the_opening_and_for_those_who_may(
    client, db, market, make_org, make_user
):
    tender, coops, buyer = market["tender"], market["coops"], market["buyer"]
    quality_id = next(c["id"] for c in tender["criteria"] if c["kind"] == "quality")
    for slug, lot, price, words in (
        ("api-hoogeloon", 0, "240000", "ontmoeting"),
        ("api-casteren", 0, "230000", "boerderij"),
    ):
        url, auth = f"/api/v1/orgs/{slug}/bids", coops[slug]["auth"]
        bid = client.post(
            url, headers=auth, json={"tender_id": tender["id"], "lot_id": tender["lots"][lot]["id"]}
        ).get_json()
        client.put(
            f"{url}/{bid['id']}/draft",
            headers=auth,
            json={"price": price, **_answers(tender, words)},
        )
        assert client.post(f"{url}/{bid['id']}/submit", headers=auth).status_code == 200

    org = buyer["org"]
    eval_url = f"/api/v1/orgs/api-bladel/evaluations/{tender['id']}"
    before = client.get(eval_url, headers=buyer["officer"])
    assert before.status_code == 409 and "nog niet geopend" in before.get_json()["detail"]
    for leaked in ("Hoogeloon", "240000", "ontmoeting"):
        assert leaked not in before.get_data(as_text=True)

    officials = [make_user(org, "procurement_officer") for _ in range(2)]
    reviewer = make_user(org, "reviewer")
    with acting_for(org.id):
        row = db.session.get(Tender, tender["id"])
        row.submission_deadline = utcnow() - timedelta(seconds=1)
        db.session.flush()
        opening.start(actor=officials[0], buyer=org, tender=row)
        opening.confirm(actor=officials[1], buyer=org, tender=row)
        evaluation.assign_reviewer(
            actor=officials[0], buyer=org, tender=row, reviewer=reviewer, chair=True
        )

    reviewing = _auth(reviewer)
    blocked = client.get(eval_url, headers=reviewing)
    assert blocked.status_code == 403 and "belangenconflict" in blocked.get_json()["detail"]
    assert "Hoogeloon" not in blocked.get_data(as_text=True)
    assert client.get(eval_url, headers=buyer["policy"]).status_code == 403
    with acting_for(org.id):
        evaluation.declare_no_conflict(
            reviewer=reviewer, buyer=org, tender=db.session.get(Tender, tender["id"])
        )
    seen = client.get(eval_url, headers=reviewing)
    assert seen.status_code == 200
    body = seen.get_json()
    assert body["sees_bids"] is True and body["bid_count"] == 2
    first_lot = body["lots"][0]
    assert {b["bidder"] for b in first_lot["bids"]} == {
        "Zorgcoöperatie Hoogeloon",
        "Zorgcoöperatie Casteren",
    }
    assert {b["answers"][str(quality_id)] for b in first_lot["bids"]} == {"ontmoeting", "boerderij"}
    assert {b["price"] for b in first_lot["bids"]} == {"240000.00", "230000.00"}
    assert first_lot["ranking"] is None and "consensus" in body["ranking_problem"]

    # The chair agrees the scores; the ranking appears with its totals.
    with acting_for(org.id):
        row = db.session.get(Tender, tender["id"])
        criterion = next(c for c in row.criteria if c.id == quality_id)
        for copy in db.session.scalars(db.select(OpenedBid)):
            evaluation.set_consensus(
                chair=reviewer,
                buyer=org,
                tender=row,
                bid=copy,
                criterion=criterion,
                points=Decimal(8),
                motivation="Goed verankerd",
            )
    officer_view = client.get(eval_url, headers=buyer["officer"]).get_json()
    ranking = officer_view["lots"][0]["ranking"]
    assert [(r["bidder"], r["rank"], r["total"]) for r in ranking] == [
        ("Zorgcoöperatie Casteren", 1, "88.00"),
        ("Zorgcoöperatie Hoogeloon", 2, "86.33"),
    ]
    # Not a declared reviewer: the ranking and the award, not the answers.
    assert officer_view["sees_bids"] is False
    assert "answers" not in officer_view["lots"][0]["bids"][0]
    assert "ontmoeting" not in client.get(eval_url, headers=buyer["officer"]).get_data(as_text=True)

    # Another buyer's tender is not found.
    other = make_org("municipality", slug="api-eindhoven")
    auth = _auth(make_user(other, "procurement_officer"))
    assert (
        client.get(
            f"/api/v1/orgs/{other.slug}/evaluations/{tender['id']}", headers=auth
        ).status_code
        == 404
    )


def test_the_openapi_document_lists_the_bids_api(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/orgs/{org_slug}/tenders",
        "/api/v1/orgs/{org_slug}/tenders/{tender_id}/publish",
        "/api/v1/orgs/{org_slug}/bids/{bid_id}/draft",
        "/api/v1/orgs/{org_slug}/evaluations/{tender_id}",
    ):
        assert path in paths, path
