"""Access-matrix entries for the bids module's objections routes (merged into ``MATRIX``).

Builders and kinds come from ``access_matrix``, which imports this file at its end."""

from __future__ import annotations

from typing import Any

from access_matrix import (  # noqa: F401
    BIDDERS,
    BUYER,
    Covered,
    Org,
    _bid_for,
    _next,
    _system_user,
    _tender_for,
)


def _award_rows(db, buyer, bidder) -> dict[str, Any]:
    """A tender of ``buyer`` with one opened bid of ``bidder``, the award letter it got (a
    stored PDF, standstill running) and an objection against it, written directly: the
    matrix is about who reaches them, the rules have their own tests."""
    import hashlib
    from datetime import timedelta
    from decimal import Decimal

    from koepel.bids import letters, tenders
    from koepel.bids.models import Bid, BidStatus, LotKind, OpenedBid, Procedure
    from koepel.bids.models.objections import AwardLetter, Objection, ObjectionGround
    from koepel.platform import files
    from koepel.platform.tenancy import acting_for
    from koepel.platform.timeutil import utcnow

    actor, now = _system_user(db), utcnow()
    ends = now + timedelta(days=20)
    with acting_for(buyer.id):
        tender = tenders.create(
            actor=actor,
            buyer=buyer,
            data=tenders.TenderData(
                title="Matrix-gunning",
                procedure=Procedure.OPEN,
                submission_deadline=now + timedelta(days=30),
            ),
        )
        lot = tenders.add_lot(
            actor=actor,
            buyer=buyer,
            tender=tender,
            title="Perceel",
            kind=LotKind.GEOGRAPHIC,
            budget=Decimal("1000"),
        )
    with acting_for(bidder.id):
        bid = Bid(
            tenant_id=bidder.id,
            tender_id=tender.id,
            lot_id=lot.id,
            status=BidStatus.SUBMITTED,
            submitted_at=now,
        )
        db.session.add(bid)
        db.session.flush()
    pdf = b"%PDF-1.7 matrix"
    with acting_for(buyer.id):
        copy = OpenedBid(
            tenant_id=buyer.id,
            tender_id=tender.id,
            lot_id=lot.id,
            bid_id=bid.id,
            bidder_id=bidder.id,
            bidder_name=bidder.name,
            submitted_at=now,
            quality_digest="0" * 64,
            price_digest="0" * 64,
            excluded_reason="Matrix",
        )
        db.session.add(copy)
        db.session.flush()
        letter = AwardLetter(
            tenant_id=buyer.id,
            tender_id=tender.id,
            lot_id=lot.id,
            opened_bid_id=copy.id,
            bid_id=bid.id,
            bidder_id=bidder.id,
            sent_at=now,
            standstill_ends_at=ends,
            content={
                "buyer": buyer.name,
                "tender": {"id": tender.id, "title": tender.title},
                "lot": {"id": lot.id, "number": lot.number, "title": lot.title},
                "bidder": {"name": bidder.name},
                "sent_at": now.isoformat(),
                "standstill_first_day": (now + timedelta(days=1)).date().isoformat(),
                "standstill_days": 20,
                "standstill_ends_at": ends.isoformat(),
                "awarded": False,
                "own": {
                    "rank": None,
                    "count": 0,
                    "excluded_reason": "Matrix",
                    "total": None,
                    "scores": [],
                    "is_winner": False,
                    "is_reserved_winner": False,
                },
                "winner": None,
                "reserved": None,
                "reserved_unallocated": None,
                "reasons": "",
                "tie_rule": None,
                "tie_own": False,
            },
            pdf_name=files.store(buyer.id, pdf, ".pdf", area=letters.FILE_AREA),
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            pdf_size=len(pdf),
            rendered_at=now,
        )
        db.session.add(letter)
        db.session.flush()
        objection = Objection(
            tenant_id=buyer.id,
            tender_id=tender.id,
            letter_id=letter.id,
            bidder_id=bidder.id,
            grounds=ObjectionGround.EXCLUSION,
            text="Matrix",
            lodged_at=now,
            lodged_by_id=actor.id,
        )
        db.session.add(objection)
        db.session.flush()
    return {
        "tender_id": tender.id,
        "bid_id": bid.id,
        "letter_id": letter.id,
        "objection_id": objection.id,
    }


def _fresh(db, kind: str, name: str):
    from koepel.platform.models import Organisation, OrgKind

    org = Organisation(kind=OrgKind(kind), slug=f"{kind}-{_next()}", name=name)
    db.session.add(org)
    db.session.flush()
    return org


def _buyer_letter_for(db, org) -> dict[str, Any]:
    rows = _award_rows(db, org, _fresh(db, "cooperative", "Inschrijver"))
    return {"tender_id": rows["tender_id"], "letter_id": rows["letter_id"]}


def _objection_for(db, org) -> dict[str, Any]:
    rows = _award_rows(db, org, _fresh(db, "cooperative", "Inschrijver"))
    return {"tender_id": rows["tender_id"], "objection_id": rows["objection_id"]}


def _bidder_letter_for(db, org) -> dict[str, Any]:
    rows = _award_rows(db, _fresh(db, "municipality", "Gemeente"), org)
    return {"bid_id": rows["bid_id"], "letter_id": rows["letter_id"]}


def _bidder_award_for(db, org) -> dict[str, Any]:
    return {"bid_id": _award_rows(db, _fresh(db, "municipality", "Gemeente"), org)["bid_id"]}


ENTRIES: dict[str, object] = {
    # the buyer: letters' PDFs, answering an objection, withdrawing the award (an empty POST
    # is answered with the form's message: 200)
    "objections.letter": Org("tenders.award", kinds=BUYER, obj=_buyer_letter_for),
    "objections.answer": Org("tenders.award", kinds=BUYER, obj=_objection_for, methods=("POST",)),
    "objections.withdraw": Org("tenders.award", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    # the bidder: its own letter's PDF, the page to read it and lodge an objection
    "objections.bidder_letter": Org("bids.view", kinds=BIDDERS, obj=_bidder_letter_for),
    "objections.bidder": Org(
        "bids.view",
        kinds=BIDDERS,
        obj=_bidder_award_for,
        methods=("GET", "POST"),
        post_action="bids.manage",
    ),
}
