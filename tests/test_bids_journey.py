"""The whole bids journey through the pages, as its users do it: a municipality publishes
a tender with two lots; two cooperatives and a consortium (an umbrella leading, a
cooperative as partner) bid; the deadline passes; two officials open the bids and the
record is made; a reviewer scores and records the consensus; the officer awards and the
letters go out; the public OCDS package validates and names the winners."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select

from koepel.bids import ocds
from koepel.bids.models import Criterion, OpenedBid, Requirement, Tender, TenderStatus
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import AMSTERDAM, utcnow

from conftest import client_for, csrf_from


class Visitor:
    """A logged-in user of the pages: GETs pages and posts their forms with the token."""

    def __init__(self, app, user) -> None:
        self.client = client_for(app, user)

    def get(self, url: str, status: int = 200) -> str:
        response = self.client.get(url)
        assert response.status_code == status, (url, response.status_code)
        return response.get_data(as_text=True)

    def post(self, page_url: str, url: str, data: dict, prefix: str = "", status: int = 302):
        token = csrf_from(self.get(page_url))
        form = {f"{prefix}csrf_token": token, **data}
        response = self.client.post(url, data=form)
        assert response.status_code == status, (url, response.get_data(as_text=True)[:2000])
        return response


def _day(days: int) -> str:
    return (utcnow().astimezone(AMSTERDAM).date() + timedelta(days=days)).isoformat()


def test_tender_to_award_letters_and_open_data(app, db, make_org, make_user, mailbox, run_jobs):
    buyer = make_org("municipality", slug="j-bladel", name="Gemeente Bladel")
    officer, second_officer = (make_user(buyer, "procurement_officer") for _ in range(2))
    reviewer = make_user(buyer, "reviewer")
    hoogeloon = make_org("cooperative", slug="j-hoogeloon", name="Zorgcoöperatie Hoogeloon")
    casteren = make_org("cooperative", slug="j-casteren", name="Zorgcoöperatie Casteren")
    umbrella = make_org("umbrella", slug="j-kzzn", name="Koepel Zorgcoöperaties Zuid-Nederland")
    laarbeek = make_org("cooperative", slug="j-laarbeek", name="Zorgcoöperatie Laarbeek")
    people = {
        "hoogeloon": make_user(hoogeloon, "coordinator"),
        "casteren": make_user(casteren, "coordinator"),
        "kzzn": make_user(umbrella, "staff"),
        "laarbeek": make_user(laarbeek, "board"),
    }

    # -- the municipality drafts and publishes -------------------------------------------
    buying = Visitor(app, officer)
    tenders_url = f"/{buyer.slug}/tenders"
    response = buying.post(
        f"{tenders_url}/new",
        f"{tenders_url}/new",
        {
            "title": "Dagbesteding en mantelzorg Kempen",
            "procedure": "social",
            "description": "Dagbesteding dicht bij huis, met vrijwilligers uit het dorp.",
            "estimated_value": "500.000,00",
            "questions_date": _day(5),
            "questions_time": "12:00",
            "submission_date": _day(10),
            "submission_time": "14:00",
            "standstill_days": "20",
        },
    )
    detail = response.headers["Location"]
    tender_id = int(re.search(r"/tenders/(\d+)$", detail).group(1))
    for title, budget in (("Hoogeloon", "250.000,00"), ("Casteren", "250.000,00")):
        buying.post(
            detail,
            f"{detail}/lots",
            {"lot-title": title, "lot-kind": "geographic", "lot-budget": budget},
            prefix="lot-",
        )
    for title, kind, weight in (
        ("Prijs", "price", "40"),
        ("Kwaliteit van de dagbesteding", "quality", "35"),
        ("Maatschappelijke meerwaarde", "social_value", "25"),
    ):
        buying.post(
            detail,
            f"{detail}/criteria",
            {"criterion-title": title, "criterion-kind": kind, "criterion-weight": weight},
            prefix="criterion-",
        )
    buying.post(
        detail,
        f"{detail}/requirements",
        {
            "requirement-title": "VOG voor vrijwilligers",
            "requirement-equivalent": "Verklaring van de coördinator met referenties",
        },
        prefix="requirement-",
    )
    buying.post(detail, f"{detail}/publish", {}, prefix="publish-")
    assert "De aanbesteding is gepubliceerd." in buying.get(detail)
    with acting_for(buyer.id):
        tender = db.session.get(Tender, tender_id)
        lot_ids = [lot.id for lot in tender.lots]
        criteria = {c.kind.value: c.id for c in db.session.scalars(select(Criterion))}
        requirement_id = db.session.scalar(select(Requirement.id))

    # -- three bids: two cooperatives, and a consortium led by the umbrella ---------------
    def form(price: str, plan: str) -> dict:
        return {
            "price": price,
            f"answer-{criteria['quality']}": f"Plan: {plan}",
            f"answer-{criteria['social_value']}": f"Meerwaarde: {plan}",
            f"requirement-{requirement_id}": "Alle vrijwilligers hebben een VOG",
        }

    def start(visitor: Visitor, org, lot_index: int) -> str:
        opportunity = f"/{org.slug}/opportunities/{tender_id}"
        response = visitor.post(opportunity, f"{opportunity}/lots/{lot_ids[lot_index]}/start", {})
        return response.headers["Location"]

    bidders = {
        "hoogeloon": (hoogeloon, 0, "240.000,00", "ontmoeting in het dorpshuis"),
        "casteren": (casteren, 1, "230.000,00", "dagbesteding op de boerderij"),
        "kzzn": (umbrella, 0, "245.000,00", "vier dorpen samen"),
    }
    visitors = {name: Visitor(app, people[name]) for name in people}
    bid_urls = {}
    for name, (org, lot_index, price, plan) in bidders.items():
        visitor = visitors[name]
        bid_url = start(visitor, org, lot_index)
        bid_urls[name] = bid_url
        visitor.post(bid_url, bid_url, form(price, plan))
        if name == "kzzn":  # the umbrella leads; Laarbeek joins as main contractor
            visitor.post(
                bid_url,
                f"{bid_url}/partners",
                {
                    "consortium-partner": str(laarbeek.id),
                    "consortium-role": "main",
                    "consortium-share": "40",
                },
            )
            bid_id = int(bid_url.rsplit("/", 1)[1])
            partner_page = f"/{laarbeek.slug}/opportunities"
            assert "Deelname bevestigen" in visitors["laarbeek"].get(partner_page)
            # Its own declaration (UEA) from its dossier goes with the confirmation.
            own_dossier = f"/{laarbeek.slug}/dossier"
            visitors["laarbeek"].post(
                own_dossier,
                own_dossier,
                {
                    "kind": "uea",
                    "title": "Eigen verklaring Laarbeek",
                    "file": (io.BytesIO(b"%PDF-1.4 eigen verklaring"), "uea.pdf"),
                },
            )
            visitors["laarbeek"].post(
                partner_page, f"/{laarbeek.slug}/partnerships/{bid_id}/confirm", {}
            )
        visitor.post(bid_url, f"{bid_url}/submit", form(price, plan))
        assert "Ontvangstbewijs" in visitor.get(bid_url)

    # Before the deadline the buyer sees no bidder, price or plan anywhere.
    for url in (detail, f"{detail}/opening", f"{detail}/evaluation", tenders_url):
        page = buying.get(url)
        for org, _lot, price, plan in bidders.values():
            assert org.name not in page and price not in page and plan not in page
    token = csrf_from(buying.get(f"{detail}/opening"))
    early = buying.client.post(f"{detail}/opening/start", data={"csrf_token": token})
    assert early.status_code == 400

    # -- the deadline passes -------------------------------------------------------------
    with acting_for(buyer.id):
        db.session.get(Tender, tender_id).submission_deadline = utcnow() - timedelta(seconds=1)
        db.session.flush()
    late_bidder = make_org("cooperative", slug="j-late", name="Zorgcoöperatie Te Laat")
    late = Visitor(app, make_user(late_bidder, "coordinator"))
    opportunity = f"/{late_bidder.slug}/opportunities/{tender_id}"
    refused = late.client.post(
        f"{opportunity}/lots/{lot_ids[0]}/start",
        data={"csrf_token": csrf_from(late.get(opportunity))},
    )
    assert refused.status_code == 302 and refused.headers["Location"] == opportunity
    assert "Inschrijven kan niet meer: de sluitingstermijn is voorbij." in late.get(opportunity)
    assert "Te Laat" not in buying.get(f"{detail}/opening")

    # -- four-eyes opening and its record ------------------------------------------------
    opening_url = f"{detail}/opening"
    buying.post(opening_url, f"{opening_url}/start", {})
    second = Visitor(app, second_officer)
    second.post(opening_url, f"{opening_url}/confirm", {})
    page = buying.get(opening_url)
    for org, *_ in bidders.values():
        assert org.name in page
    assert "Te Laat" not in page
    record = buying.client.get(f"{opening_url}/record.pdf")
    assert record.status_code == 200 and record.data.startswith(b"%PDF")

    # -- reviewers: assigned, declared, scored, consensus --------------------------------
    evaluation_url = f"{detail}/evaluation"
    buying.post(
        evaluation_url,
        f"{evaluation_url}/reviewers",
        {"assign-reviewer": str(reviewer.id), "assign-chair": "y"},
        prefix="assign-",
    )
    reviewing = Visitor(app, reviewer)
    reviewing.post(
        evaluation_url, f"{evaluation_url}/declaration", {"declare-declaration": "y"}, "declare-"
    )
    with acting_for(buyer.id):
        opened = {o.bidder_name: o.id for o in db.session.scalars(select(OpenedBid))}
    assert set(opened) == {org.name for org, *_ in bidders.values()}
    points = {"Zorgcoöperatie Hoogeloon": "8", "Zorgcoöperatie Casteren": "7"}
    for bidder_name, opened_id in opened.items():
        for kind in ("quality", "social_value"):
            given = points.get(bidder_name, "6")
            for path, what in (("scores", "score"), ("consensus", "consensus")):
                prefix = f"{what}-{opened_id}-{criteria[kind]}-"
                reviewing.post(
                    evaluation_url,
                    f"{evaluation_url}/{path}",
                    {
                        f"{prefix}points": given,
                        f"{prefix}motivation": "Sterk verankerd in het dorp",
                        "bid": str(opened_id),
                        "criterion": str(criteria[kind]),
                    },
                    prefix=prefix,
                )

    # -- award and letters ---------------------------------------------------------------
    buying.post(
        evaluation_url,
        f"{evaluation_url}/decision",
        {"decide-reasons": "Beste verhouding tussen prijs en kwaliteit"},
        prefix="decide-",
    )
    buying.post(evaluation_url, f"{evaluation_url}/letters", {}, prefix="send-")
    run_jobs()
    db.session.expire_all()
    with acting_for(buyer.id):
        assert db.session.get(Tender, tender_id).status == TenderStatus.AWARDED
    letters = [m for m in mailbox() if m["Subject"].startswith("Gunningsbeslissing")]
    to = {m["To"] for m in letters}
    assert {people[n].email for n in ("hoogeloon", "casteren", "kzzn")} <= to
    winner_letter = next(m for m in letters if m["To"] == people["hoogeloon"].email)
    body = winner_letter.get_content()
    # Lot 1: Hoogeloon 40 + 35*0.8 + 25*0.8 = 88.00 beats the consortium (245k, 6/10).
    assert "plaats 1 van 2" in body and "Zorgcoöperatie Hoogeloon" in body
    loser = next(m for m in letters if m["To"] == people["kzzn"].email).get_content()
    assert "plaats 2 van 2" in loser and "Zorgcoöperatie Hoogeloon" in loser
    assert "opschortende termijn" in loser

    # -- open data -----------------------------------------------------------------------
    package = app.test_client().get(f"/api/v1/public/tenders/{tender_id}/ocds").get_json()
    assert ocds.validate(package) == []
    release = package["releases"][0]
    awarded = {s["name"] for a in release["awards"] for s in a["suppliers"]}
    assert awarded == {"Zorgcoöperatie Hoogeloon", "Zorgcoöperatie Casteren"}
    assert len(release["bids"]["details"]) == 3
