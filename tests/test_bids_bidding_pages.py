"""The bidder's pages: find a tender, prepare a bid per lot, submit it sealed and get a
receipt (on the page and by e-mail, without the price), withdraw it, work as a consortium,
and walls: another organisation's bid is not found, volunteers may not act, municipalities
have no such pages."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.bids import dossier, tenders
from koepel.bids import submission as ops
from koepel.bids.models import Bid, BidStatus, CriterionKind, LotKind, Procedure
from koepel.bids.models.dossier import DossierKind
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow

from conftest import client_for, csrf_from

PRICE = "198.500,00"


@pytest.fixture
def market(db, make_org, make_user):
    buyer = make_org("municipality", slug="bp-bladel", name="Gemeente Bladel")
    officer = make_user(buyer, "procurement_officer")
    with acting_for(buyer.id):
        tender = tenders.create(
            actor=officer,
            buyer=buyer,
            data=tenders.TenderData(
                title="Dagbesteding Kempen",
                procedure=Procedure.OPEN,
                submission_deadline=utcnow() + timedelta(days=14),
            ),
        )
        for name in ("Hoogeloon", "Casteren"):
            tenders.add_lot(
                actor=officer,
                buyer=buyer,
                tender=tender,
                title=name,
                kind=LotKind.GEOGRAPHIC,
                budget=Decimal("250000"),
            )
        tenders.add_criterion(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Prijs",
            kind=CriterionKind.PRICE,
            weight=40,
        )
        quality = tenders.add_criterion(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Kwaliteit van de dagbesteding",
            kind=CriterionKind.QUALITY,
            weight=35,
        )
        social = tenders.add_criterion(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Maatschappelijke meerwaarde",
            kind=CriterionKind.SOCIAL_VALUE,
            weight=25,
        )
        requirement = tenders.add_requirement(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="VOG voor vrijwilligers",
            equivalent="Verklaring van de coördinator met referenties",
        )
        tenders.publish(actor=officer, buyer=buyer, tender=tender)
        tender_id = tender.id
        lots = [lot.id for lot in tender.lots]
    coop = make_org("cooperative", slug="bp-hoogeloon", name="Zorgcoöperatie Hoogeloon")
    return {
        "buyer": buyer,
        "officer": officer,
        "coop": coop,
        "coordinator": make_user(coop, "coordinator"),
        "tender_id": tender_id,
        "lots": lots,
        "quality": quality.id,
        "social": social.id,
        "requirement": requirement.id,
    }


def _form(market, price=PRICE, quality="Vrijwilligers uit het dorp", social="Ontmoeting"):
    return {
        "price": price,
        f"answer-{market['quality']}": quality,
        f"answer-{market['social']}": social,
        f"requirement-{market['requirement']}": "Alle vrijwilligers hebben een VOG",
    }


def _shows_price(text: str) -> bool:
    """The price in any notation (a bare "198" may occur by chance in a digest or token)."""
    return any(p in text for p in ("198.500", "198500", "198,500"))


def _start(client, market, lot_index=0):
    slug, tender_id = market["coop"].slug, market["tender_id"]
    page = client.get(f"/{slug}/opportunities/{tender_id}").get_data(as_text=True)
    response = client.post(
        f"/{slug}/opportunities/{tender_id}/lots/{market['lots'][lot_index]}/start",
        data={"csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    match = re.search(r"/bids/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _bid_page(client, market, bid_id):
    response = client.get(f"/{market['coop'].slug}/bids/{bid_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_coordinator_finds_the_tender_prepares_submits_and_gets_a_receipt(
    app, db, market, mailbox, run_jobs
):
    client = client_for(app, market["coordinator"])
    slug = market["coop"].slug
    page = client.get(f"/{slug}/opportunities").get_data(as_text=True)
    assert "Dagbesteding Kempen" in page and "Gemeente Bladel" in page

    page = client.get(f"/{slug}/opportunities/{market['tender_id']}").get_data(as_text=True)
    assert "Hoogeloon" in page and "Casteren" in page and "Inschrijven op dit perceel" in page
    assert "Kwaliteit van de dagbesteding" in page and "35%" in page
    assert "Verklaring van de coördinator met referenties" in page

    bid_id = _start(client, market)
    page = _bid_page(client, market, bid_id)
    assert "Verklaring van de coördinator met referenties" in page  # the equivalent as hint
    assert f'name="answer-{market["quality"]}"' in page
    assert f'name="requirement-{market["requirement"]}"' in page

    # Save a draft: it comes back as typed.
    saved = client.post(
        f"/{slug}/bids/{bid_id}", data={**_form(market), "csrf_token": csrf_from(page)}
    )
    assert saved.status_code == 302
    page = _bid_page(client, market, bid_id)
    assert "Het concept is opgeslagen." in page
    assert f'value="{PRICE}"' in page and "Vrijwilligers uit het dorp" in page

    # The opportunities page lists the draft.
    listing = client.get(f"/{slug}/opportunities").get_data(as_text=True)
    assert f"/{slug}/bids/{bid_id}" in listing and "concept" in listing

    submitted = client.post(
        f"/{slug}/bids/{bid_id}/submit", data={**_form(market), "csrf_token": csrf_from(page)}
    )
    assert submitted.status_code == 302
    run_jobs()
    page = _bid_page(client, market, bid_id)
    assert "Uw inschrijving is ingediend." in page and "Ontvangstbewijs" in page
    with acting_for(market["coop"].id):
        bid = db.session.scalar(select(Bid).where(Bid.id == bid_id))
        assert bid.status == BidStatus.SUBMITTED
        digest = ops.Receipt(
            bid.id, "", "", bid.submitted_at, bid.quality_digest, bid.price_digest
        ).digest
        quality_digest, price_digest = bid.quality_digest, bid.price_digest
    assert digest in page and quality_digest in page and price_digest in page
    assert "vóór de opening" in page
    # Sealed: the page shows no content any more.
    assert PRICE not in page and "Vrijwilligers uit het dorp" not in page
    assert "Intrekken" in page
    # A second click on Indienen (or Opslaan) changes nothing and says why.
    for action in ("/submit", ""):
        twice = client.post(
            f"/{slug}/bids/{bid_id}{action}",
            data={**_form(market, price="1,00"), "csrf_token": csrf_from(page)},
        )
        assert twice.status_code == 302
        assert "Deze inschrijving is al ingediend." in _bid_page(client, market, bid_id)
    with acting_for(market["coop"].id):
        bid = db.session.scalar(
            select(Bid).where(Bid.id == bid_id).execution_options(populate_existing=True)
        )
        assert bid.version == 1 and bid.price_digest == price_digest and bid.draft == "{}"

    # The e-mail receipt: tender, lot, digest; never the price or an answer.
    messages = [m for m in mailbox() if m["To"] == market["coordinator"].email]
    assert len(messages) == 1 and messages[0]["Subject"] == "Ontvangstbewijs inschrijving"
    body = messages[0].get_content()
    assert digest in body and "Dagbesteding Kempen" in body and "Hoogeloon" in body
    assert not _shows_price(body) and "Vrijwilligers" not in body

    # Withdraw: the draft is back, ready to change and submit again.
    withdrawn = client.post(f"/{slug}/bids/{bid_id}/withdraw", data={"csrf_token": csrf_from(page)})
    assert withdrawn.status_code == 302
    page = _bid_page(client, market, bid_id)
    assert "ingetrokken" in page and digest not in page
    assert f'value="{PRICE}"' in page and "Vrijwilligers uit het dorp" in page
    again = client.post(
        f"/{slug}/bids/{bid_id}/submit", data={**_form(market), "csrf_token": csrf_from(page)}
    )
    assert again.status_code == 302
    assert "Ontvangstbewijs" in _bid_page(client, market, bid_id)


def test_a_bad_price_is_named_and_everything_typed_is_kept(app, db, market):
    client = client_for(app, market["coordinator"])
    slug = market["coop"].slug
    bid_id = _start(client, market)
    page = _bid_page(client, market, bid_id)
    typed = _form(market, price="12,5a", quality="Een lang & zorgvuldig antwoord")
    response = client.post(
        f"/{slug}/bids/{bid_id}/submit", data={**typed, "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Dit is geen geldig bedrag" in page
    assert 'id="price-error"' in page and 'aria-invalid="true"' in page
    assert 'value="12,5a"' in page
    assert "Een lang &amp; zorgvuldig antwoord" in page and "Ontmoeting" in page
    assert "Alle vrijwilligers hebben een VOG" in page
    with acting_for(market["coop"].id):
        bid = db.session.scalar(select(Bid).where(Bid.id == bid_id))
        assert bid.status == BidStatus.DRAFT
        # Nothing typed is lost: the draft holds it, price as typed.
        draft = ops.draft_of(bid)
    assert draft["price"] == "12,5a"
    assert draft["answers"][str(market["quality"])] == "Een lang & zorgvuldig antwoord"

    # A missing answer is named next to its own field, the rest kept.
    typed = _form(market, social="")
    response = client.post(
        f"/{slug}/bids/{bid_id}/submit", data={**typed, "csrf_token": csrf_from(page)}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Beantwoord het criterium" in page
    assert f'id="answer-{market["social"]}-error"' in page and f'value="{PRICE}"' in page


def test_other_cooperatives_get_404_and_volunteers_403(app, db, market, make_org, make_user):
    client = client_for(app, market["coordinator"])
    slug = market["coop"].slug
    bid_id = _start(client, market)

    other = make_org("cooperative", slug="bp-casteren")
    stranger = client_for(app, make_user(other, "coordinator"))
    for url in (f"/bp-casteren/bids/{bid_id}", f"/{slug}/bids/{bid_id}"):
        assert stranger.get(url).status_code == 404
    stranger_token = csrf_from(stranger.get("/bp-casteren/opportunities").get_data(as_text=True))
    for action in ("", "/submit", "/withdraw", "/partners"):
        url = f"/bp-casteren/bids/{bid_id}{action}"
        assert stranger.post(url, data={"csrf_token": stranger_token}).status_code == 404

    volunteer = client_for(app, make_user(market["coop"], "volunteer"))
    token = csrf_from(volunteer.get(f"/{slug}/").get_data(as_text=True))  # own session
    assert volunteer.get(f"/{slug}/opportunities").status_code == 403
    assert volunteer.get(f"/{slug}/bids/{bid_id}").status_code == 403
    tender_id, lot_id = market["tender_id"], market["lots"][1]
    for url in (
        f"/{slug}/opportunities/{tender_id}/lots/{lot_id}/start",
        f"/{slug}/bids/{bid_id}",
        f"/{slug}/bids/{bid_id}/submit",
        f"/{slug}/bids/{bid_id}/withdraw",
        f"/{slug}/bids/{bid_id}/partners",
        f"/{slug}/partnerships/{bid_id}/confirm",
    ):
        got = volunteer.post(url, data={"csrf_token": token, **_form(market)}).status_code
        assert got == 403, url
    with acting_for(market["coop"].id):
        assert ops.draft_of(db.session.scalar(select(Bid).where(Bid.id == bid_id))) == {}

    # A municipality has no bidder pages: 404, not 403.
    officer = client_for(app, market["officer"])
    assert officer.get(f"/{market['buyer'].slug}/opportunities").status_code == 404
    assert officer.get(f"/{market['buyer'].slug}/bids/{bid_id}").status_code == 404


def test_tender_access(app, db, market, make_org, make_user):
    """Published tenders are open to every bidder (any bidder's own URL), to nobody else;
    drafts and unknown lots are not found, and a second bid on the same lot is refused."""
    slug, tender_id = market["coop"].slug, market["tender_id"]
    tender_url = f"/{slug}/opportunities/{tender_id}"
    start_url = f"{tender_url}/lots/{market['lots'][0]}/start"
    anonymous = app.test_client()
    assert anonymous.get(tender_url).status_code == 302
    assert anonymous.post(start_url).status_code in (302, 400)  # login first (or no token)
    officer = client_for(app, market["officer"])
    buyer_url = f"/{market['buyer'].slug}/opportunities/{tender_id}"
    assert officer.get(buyer_url).status_code == 404
    token = csrf_from(officer.get(f"/{market['buyer'].slug}/").get_data(as_text=True))
    assert officer.post(f"{buyer_url}/lots/1/start", data={"csrf_token": token}).status_code == 404
    assert officer.get(tender_url).status_code == 404  # not their organisation
    volunteer = client_for(app, make_user(market["coop"], "volunteer"))
    assert volunteer.get(tender_url).status_code == 403
    umbrella = make_org("umbrella", slug="bp-koepel")
    staff = client_for(app, make_user(umbrella, "staff"))
    assert staff.get(f"/bp-koepel/opportunities/{tender_id}").status_code == 200
    provider = make_org("provider", slug="bp-puurzuid")
    contact = client_for(app, make_user(provider, "contact"))
    assert contact.get(f"/bp-puurzuid/opportunities/{tender_id}").status_code == 200
    with acting_for(market["buyer"].id):
        draft = tenders.create(
            actor=market["officer"],
            buyer=market["buyer"],
            data=tenders.TenderData(title="Nog geheim", procedure=Procedure.OPEN),
        )
    assert contact.get(f"/bp-puurzuid/opportunities/{draft.id}").status_code == 404
    assert "Nog geheim" not in contact.get("/bp-puurzuid/opportunities").get_data(as_text=True)

    client = client_for(app, market["coordinator"])
    token = csrf_from(client.get(f"/{slug}/opportunities").get_data(as_text=True))
    base = f"/{slug}/opportunities/{tender_id}/lots"
    assert client.post(f"{base}/999999/start", data={"csrf_token": token}).status_code == 404
    bid_id = _start(client, market)
    again = client.post(f"{base}/{market['lots'][0]}/start", data={"csrf_token": token})
    assert again.status_code == 302 and again.headers["Location"].endswith(
        f"/opportunities/{tender_id}"
    )
    page = client.get(f"/{slug}/opportunities/{tender_id}").get_data(as_text=True)
    assert "U heeft al een inschrijving voor dit perceel." in page
    assert f"/{slug}/bids/{bid_id}" in page


def test_consortium_partner_sees_no_price_and_confirms(app, db, market, make_org, make_user):
    client = client_for(app, market["coordinator"])
    slug = market["coop"].slug
    bid_id = _start(client, market)
    page = _bid_page(client, market, bid_id)
    saved = client.post(
        f"/{slug}/bids/{bid_id}", data={**_form(market), "csrf_token": csrf_from(page)}
    )
    assert saved.status_code == 302

    partner = make_org("provider", slug="bp-puurzuid", name="PuurZuid")
    page = _bid_page(client, market, bid_id)
    assert "PuurZuid" in page  # offered in the partner list
    bad = client.post(
        f"/{slug}/bids/{bid_id}/partners",
        data={
            "consortium-partner": str(partner.id),
            "consortium-role": "sub",
            "consortium-share": "veel",
            "csrf_token": csrf_from(page),
        },
    )
    assert bad.status_code == 200 and "Schrijf het aandeel als percentage" in bad.get_data(
        as_text=True
    )
    added = client.post(
        f"/{slug}/bids/{bid_id}/partners",
        data={
            "consortium-partner": str(partner.id),
            "consortium-role": "sub",
            "consortium-share": "25",
            "csrf_token": csrf_from(page),
        },
    )
    assert added.status_code == 302
    page = _bid_page(client, market, bid_id)
    assert "nog niet bevestigd" in page and "75%" in page

    # Submitting before the partner confirmed: the message sits with the partners.
    refused = client.post(
        f"/{slug}/bids/{bid_id}/submit", data={**_form(market), "csrf_token": csrf_from(page)}
    )
    assert refused.status_code == 200
    assert "Nog niet alle partners hebben hun deelname bevestigd." in refused.get_data(as_text=True)

    contact = client_for(app, make_user(partner, "contact"))
    listing = contact.get("/bp-puurzuid/opportunities").get_data(as_text=True)
    assert "Dagbesteding Kempen" in listing and "Zorgcoöperatie Hoogeloon" in listing
    assert "onderaannemer" in listing and "25%" in listing
    assert not _shows_price(listing) and "Vrijwilligers uit het dorp" not in listing
    assert "Deelname bevestigen" in listing
    # The partner cannot open the bid itself.
    assert contact.get(f"/bp-puurzuid/bids/{bid_id}").status_code == 404
    with acting_for(partner.id):  # its own declaration goes with the confirmation
        dossier.add_document(
            actor=None,
            org=partner,
            kind=DossierKind.UEA,
            title="Eigen verklaring PuurZuid",
            filename="uea.pdf",
            data=b"%PDF-1.4 eigen verklaring",
        )
    confirmed = contact.post(
        f"/bp-puurzuid/partnerships/{bid_id}/confirm", data={"csrf_token": csrf_from(listing)}
    )
    assert confirmed.status_code == 302
    listing = contact.get("/bp-puurzuid/opportunities").get_data(as_text=True)
    assert "U heeft uw deelname bevestigd." in listing and "Deelname bevestigen" not in listing
    # Someone who is no partner cannot confirm: 404.
    other = make_org("cooperative", slug="bp-elders")
    stranger = client_for(app, make_user(other, "board"))
    token = csrf_from(stranger.get("/bp-elders/opportunities").get_data(as_text=True))
    assert (
        stranger.post(
            f"/bp-elders/partnerships/{bid_id}/confirm", data={"csrf_token": token}
        ).status_code
        == 404
    )

    submitted = client.post(
        f"/{slug}/bids/{bid_id}/submit", data={**_form(market), "csrf_token": csrf_from(page)}
    )
    assert submitted.status_code == 302
    listing = contact.get("/bp-puurzuid/opportunities").get_data(as_text=True)
    assert "ingediend" in listing and not _shows_price(listing)


def test_an_english_reader_types_the_price_the_english_way(app, db, market):
    client = client_for(app, market["coordinator"])
    slug = market["coop"].slug
    bid_id = _start(client, market)
    page = _bid_page(client, market, bid_id)
    switched = client.post(
        "/language",
        data={"lang": "en", "next": f"/{slug}/bids/{bid_id}", "csrf_token": csrf_from(page)},
    )
    assert switched.status_code == 302
    page = _bid_page(client, market, bid_id)
    assert 'lang="en"' in page
    saved = client.post(
        f"/{slug}/bids/{bid_id}",
        data={**_form(market, price="198,500.00"), "csrf_token": csrf_from(page)},
    )
    assert saved.status_code == 302
    page = _bid_page(client, market, bid_id)
    assert 'value="198,500.00"' in page  # shown the English way
    with acting_for(market["coop"].id):
        draft = ops.draft_of(db.session.scalar(select(Bid).where(Bid.id == bid_id)))
    assert draft["price"] == PRICE  # kept the way the submission rule reads it
    submitted = client.post(
        f"/{slug}/bids/{bid_id}/submit",
        data={**_form(market, price="198,500.00"), "csrf_token": csrf_from(page)},
    )
    assert submitted.status_code == 302
    with acting_for(market["coop"].id):
        bid = db.session.scalar(
            select(Bid).where(Bid.id == bid_id).execution_options(populate_existing=True)
        )
        _, price = ops.submitted_content(bid)
    assert price["price"] == "198500.00"
