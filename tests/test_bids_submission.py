"""Sealed submission: drafts, consortium confirmation, receipt, deadline to the instant,
withdraw and resubmit, and nothing readable at rest or by the buyer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from koepel.bids import dossier, tenders
from koepel.bids import submission as ops
from koepel.bids.models import Bid, BidStatus, CriterionKind, LotKind, PartnerRole, Procedure
from koepel.bids.models.dossier import DossierKind
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow


@pytest.fixture
def market(db, make_org, make_user):
    buyer = make_org("municipality", slug="s-bladel", name="Gemeente Bladel")
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
        price = tenders.add_criterion(
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
            title="Kwaliteit",
            kind=CriterionKind.QUALITY,
            weight=60,
        )
        requirement = tenders.add_requirement(
            actor=officer, buyer=buyer, tender=tender, title="VOG"
        )
        tenders.publish(actor=officer, buyer=buyer, tender=tender)
        tender_id = tender.id
    coop = make_org("cooperative", slug="s-hoogeloon", name="Zorgcoöperatie Hoogeloon")
    partner = make_org("provider", slug="s-puurzuid", name="PuurZuid")
    return {
        "buyer": buyer,
        "coop": coop,
        "partner": partner,
        "coordinator": make_user(coop, "coordinator"),
        "partner_user": make_user(partner, "contact"),
        "tender": ops.published_tender(tender_id),
        "content": {
            "price": "198.500,00",
            "answers": {str(quality.id): "Vrijwilligers uit het dorp"},
            "requirements": {str(requirement.id): "Alle vrijwilligers hebben een VOG"},
        },
        "price_criterion": price,
    }


def _bid(market):
    coop, user, tender = market["coop"], market["coordinator"], market["tender"]
    bid = ops.start(actor=user, bidder=coop, tender=tender, lot_id=tender.lots[0].id)
    ops.save_draft(actor=user, bidder=coop, bid=bid, content=market["content"])
    return bid


def test_submit_seals_both_envelopes_and_gives_a_receipt(db, market):
    coop, user, tender = market["coop"], market["coordinator"], market["tender"]
    with acting_for(coop.id):
        bid = _bid(market)
        receipt = ops.submit(actor=user, bidder=coop, bid=bid, tender=tender)
        assert bid.status == BidStatus.SUBMITTED and bid.draft == "{}"
        assert len(receipt.digest) == 64 and receipt.quality_digest == bid.quality_digest
        quality, price = ops.submitted_content(bid)
        assert price["price"] == "198500.00" and quality["bidder"] == "Zorgcoöperatie Hoogeloon"
        bid_id = bid.id
    # At rest: neither the bidder's name nor the price appears in the bid row.
    raw = (
        db.session.execute(text("SELECT * FROM bid WHERE id = :i"), {"i": bid_id}).one()
        if db.session.get_bind().dialect.name == "sqlite"
        else None
    )
    if raw is not None:
        flat = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in raw)
        assert b"Hoogeloon" not in flat and b"198500" not in flat and b"Vrijwilligers" not in flat
    # The buyer cannot even find the row.
    with acting_for(market["buyer"].id):
        assert db.session.scalars(select(Bid)).all() == []


def test_deadline_is_decided_at_the_instant(db, market):
    coop, user, tender = market["coop"], market["coordinator"], market["tender"]
    with acting_for(coop.id):
        bid = _bid(market)
        with pytest.raises(ops.BidError, match="sluitingstermijn"):
            ops.submit(
                actor=user, bidder=coop, bid=bid, tender=tender, now=tender.submission_deadline
            )
        with pytest.raises(ops.BidError):
            ops.submit(
                actor=user,
                bidder=coop,
                bid=bid,
                tender=tender,
                now=tender.submission_deadline + timedelta(seconds=1),
            )
        receipt = ops.submit(
            actor=user,
            bidder=coop,
            bid=bid,
            tender=tender,
            now=tender.submission_deadline - timedelta(milliseconds=1),
        )
        assert receipt.submitted_at < tender.submission_deadline


def test_withdraw_and_resubmit_before_the_deadline(db, market):
    coop, user, tender = market["coop"], market["coordinator"], market["tender"]
    with acting_for(coop.id):
        bid = _bid(market)
        first = ops.submit(actor=user, bidder=coop, bid=bid, tender=tender)
        with pytest.raises(ops.BidError):
            ops.submit(actor=user, bidder=coop, bid=bid, tender=tender)  # already in
        ops.withdraw(actor=user, bidder=coop, bid=bid, tender=tender)
        assert bid.status == BidStatus.WITHDRAWN and ops.draft_of(bid)["price"] == "198.500,00"
        # Submitted again as it came back: the same content, so the same price digest
        # would be fine, but the salt makes every envelope differ.
        again = ops.submit(actor=user, bidder=coop, bid=bid, tender=tender)
        assert again.price_digest != first.price_digest and bid.version == 2
        ops.withdraw(actor=user, bidder=coop, bid=bid, tender=tender)
        content = ops.draft_of(bid) | {"price": "190.000"}
        ops.save_draft(actor=user, bidder=coop, bid=bid, content=content)
        second = ops.submit(actor=user, bidder=coop, bid=bid, tender=tender)
        assert second.price_digest != first.price_digest and bid.version == 3


def test_bad_input_names_the_field(db, market):
    coop, user, tender = market["coop"], market["coordinator"], market["tender"]
    with acting_for(coop.id):
        bid = _bid(market)
        for change, field in (
            ({"price": "12,5a"}, "price"),
            ({"price": "0"}, "price"),
            ({"answers": {}}, "answers"),
            ({"requirements": {}}, "requirements"),
        ):
            ops.save_draft(actor=user, bidder=coop, bid=bid, content=market["content"] | change)
            with pytest.raises(ops.BidError) as err:
                ops.submit(actor=user, bidder=coop, bid=bid, tender=tender)
            assert err.value.field == field
        with pytest.raises(ops.BidError):
            ops.start(
                actor=user, bidder=coop, tender=tender, lot_id=tender.lots[0].id
            )  # one per lot


def test_consortium_partners_confirm_and_see_only_their_bid(db, market, make_org):
    coop, user, tender, partner = (
        market["coop"],
        market["coordinator"],
        market["tender"],
        market["partner"],
    )
    with acting_for(coop.id):
        bid = _bid(market)
        ops.add_partner(
            actor=user,
            bidder=coop,
            bid=bid,
            partner=partner,
            role=PartnerRole.SUB,
            share=Decimal("30"),
        )
        with pytest.raises(ops.BidError) as err:
            ops.submit(actor=user, bidder=coop, bid=bid, tender=tender)
        assert err.value.field == "partners"
        bid_id = bid.id
    assert [v.bid_id for v in ops.bids_as_partner(partner)] == [bid_id]
    assert ops.bids_as_partner(make_org("provider")) == []
    with acting_for(partner.id):
        dossier.add_document(
            actor=market["partner_user"],
            org=partner,
            kind=DossierKind.UEA,
            title="Eigen verklaring PuurZuid",
            filename="uea.pdf",
            data=b"%PDF-1.4 eigen verklaring",
        )
        ops.confirm_participation(actor=market["partner_user"], partner=partner, bid_id=bid_id)
    with pytest.raises(ops.BidError):
        ops.confirm_participation(
            actor=market["partner_user"], partner=make_org("provider"), bid_id=bid_id
        )
    with acting_for(coop.id):
        bid = db.session.scalar(select(Bid).where(Bid.id == bid_id))
        ops.submit(actor=user, bidder=coop, bid=bid, tender=tender)
        quality, _price = ops.submitted_content(bid)
        assert quality["partners"] == [
            {"organisation": "PuurZuid", "role": "sub", "share": "30.00"}
        ]


def test_only_bidders_bid(db, market):
    buyer = market["buyer"]
    with acting_for(buyer.id), pytest.raises(ops.BidError):
        ops.start(
            actor=market["coordinator"],
            bidder=buyer,
            tender=market["tender"],
            lot_id=market["tender"].lots[0].id,
        )
