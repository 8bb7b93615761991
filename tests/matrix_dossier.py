"""Access-matrix entries for the bids module's dossier routes (merged into ``MATRIX``).

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
    _published_tender,
    _system_user,
    _tender_for,
)


def _dossier_document_for(db, org) -> dict[str, Any]:
    """A document in the dossier of bidder ``org``."""
    from koepel.bids import dossier
    from koepel.bids.models.dossier import DossierKind
    from koepel.platform.tenancy import acting_for

    with acting_for(org.id):
        document = dossier.add_document(
            actor=_system_user(db),
            org=org,
            kind=DossierKind.KVK,
            title="Uittreksel KvK",
            filename="kvk.pdf",
            data=b"%PDF-1.4 matrix",
        )
    return {"document_id": document.id}


def _upload(db, bidder, bid_id: int) -> int:
    """An encrypted attachment on ``bidder``'s draft bid; returns its id."""
    from sqlalchemy import select

    from koepel.bids import dossier, submission
    from koepel.bids.models import Bid
    from koepel.platform.tenancy import acting_for

    with acting_for(bidder.id):
        bid = db.session.scalar(select(Bid).where(Bid.id == bid_id))
        row = dossier.upload_attachment(
            actor=_system_user(db),
            bidder=bidder,
            bid=bid,
            tender=submission.published_tender(bid.tender_id),
            title="Plan van aanpak",
            filename="plan.txt",
            data=b"matrix plan",
        )
    return row.id


def _attachment_for(db, org) -> dict[str, Any]:
    """An attachment on a draft bid of ``org``."""
    params = _bid_for(db, org)
    return params | {"attachment_id": _upload(db, org, params["bid_id"])}


def _consortium_bid_for(db, org) -> dict[str, Any]:
    """A draft bid of ``org`` with one partner (the shares form needs partners)."""
    from decimal import Decimal

    from sqlalchemy import select

    from koepel.bids import submission
    from koepel.bids.models import Bid, PartnerRole
    from koepel.platform.models import Organisation, OrgKind
    from koepel.platform.tenancy import acting_for

    params = _bid_for(db, org)
    partner = Organisation(kind=OrgKind.PROVIDER, slug=f"partner-{_next()}", name="Partner")
    db.session.add(partner)
    db.session.flush()
    with acting_for(org.id):
        bid = db.session.scalar(select(Bid).where(Bid.id == params["bid_id"]))
        submission.add_partner(
            actor=_system_user(db),
            bidder=org,
            bid=bid,
            partner=partner,
            role=PartnerRole.SUB,
            share=Decimal(30),
        )
    return params


def _partner_attachment_for(db, org) -> dict[str, Any]:
    """An attachment of another cooperative's draft bid with ``org`` as a partner."""
    from decimal import Decimal

    from koepel.bids import submission
    from koepel.bids.models import PartnerRole
    from koepel.platform.models import Organisation, OrgKind
    from koepel.platform.tenancy import acting_for

    lead = Organisation(kind=OrgKind.COOPERATIVE, slug=f"lead-{_next()}", name="Penvoerder")
    db.session.add(lead)
    db.session.flush()
    tender_id, lot_id = _published_tender(db)
    actor = _system_user(db)
    with acting_for(lead.id):
        bid = submission.start(
            actor=actor, bidder=lead, tender=submission.published_tender(tender_id), lot_id=lot_id
        )
        submission.add_partner(
            actor=actor, bidder=lead, bid=bid, partner=org, role=PartnerRole.SUB, share=Decimal(20)
        )
    return {"bid_id": bid.id, "attachment_id": _upload(db, lead, bid.id)}


def _partnership_for(db, org) -> dict[str, Any]:
    return {"bid_id": _partner_attachment_for(db, org)["bid_id"]}


def _unopened_attachment_for(db, org) -> dict[str, Any]:
    """A tender of buyer ``org`` that is not opened: no attachment of any bid is there."""
    return _tender_for(db, org) | {"opened_bid_id": 1, "attachment_id": 1}


ENTRIES: dict[str, object] = {
    # The dossier (an empty POST is answered with the form's errors).
    "dossier.index": Org(
        "dossier.view", kinds=BIDDERS, methods=("GET", "POST"), post_action="dossier.manage"
    ),
    "dossier.document": Org("dossier.view", kinds=BIDDERS, obj=_dossier_document_for),
    # On the bidder's own bid (empty POSTs: the form's errors, 200).
    "dossier.attach": Org("dossier.manage", kinds=BIDDERS, obj=_bid_for, methods=("POST",)),
    "dossier.upload": Org("dossier.manage", kinds=BIDDERS, obj=_bid_for, methods=("POST",)),
    "dossier.remove": Org(
        "dossier.manage", kinds=BIDDERS, obj=_attachment_for, methods=("POST",), ok=302
    ),
    "dossier.shares": Org(
        "dossier.manage", kinds=BIDDERS, obj=_consortium_bid_for, methods=("POST",)
    ),
    "dossier.bid_attachment": Org("bids.view", kinds=BIDDERS, obj=_attachment_for),
    # A consortium partner's view of the bid it is in.
    "dossier.partnership": Org("bids.view", kinds=BIDDERS, obj=_partnership_for),
    "dossier.partner_attachment": Org("bids.view", kinds=BIDDERS, obj=_partner_attachment_for),
    # The buyer: before the opening every role gets 404 (the builder's tender is not
    # opened). After it, only reviewers who declared no conflict get the file:
    # tests/test_bids_attachments.py::test_buyer_gets_attachments_only_after_the_opening.
    "dossier.opened_attachment": Org(
        "tenders.view", kinds=BUYER, obj=_unopened_attachment_for, ok=404
    ),
}
