"""The opening: after the deadline, two different authorised officials of the buyer (four
eyes; the second confirms within ``OPENING_CONFIRM_WINDOW`` of the first). Confirming
decrypts the submitted bids of the tender, checks each against its receipt digest, gives
the buyer its own copies (``OpenedBid``) and writes the opening record (proces-verbaal).

With ``price_after_quality`` the price envelopes stay sealed at the opening and are
revealed later (``reveal_prices``), after quality has been scored.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, NoReturn

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from koepel.bids import anonymity, corrections, sealing
from koepel.bids.models import (
    Bid,
    BidStatus,
    OpenedBid,
    ReviewerAssignment,
    Tender,
    TenderOpening,
    TenderStatus,
)
from koepel.bids.submission import aad, sealing_key
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.money import to_money
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import utcnow

log = logging.getLogger(__name__)


class OpeningError(ValueError):
    pass


def _opening(tender: Tender) -> TenderOpening | None:
    return db.session.scalar(select(TenderOpening).where(TenderOpening.tender_id == tender.id))


def start(
    *, actor: User, buyer: Organisation, tender: Tender, now: datetime | None = None
) -> TenderOpening:
    now = now or utcnow()
    if tender.status != TenderStatus.PUBLISHED:
        raise OpeningError(_("Deze aanbesteding kan niet (meer) worden geopend."))
    if now < tender.submission_deadline:
        raise OpeningError(_("De sluitingstermijn is nog niet voorbij. Openen kan pas daarna."))
    opening = _opening(tender)
    window = current_app.config["OPENING_CONFIRM_WINDOW"]
    if opening is not None and now <= opening.started_at + window:
        raise OpeningError(
            _("De opening is al gestart. Een tweede bevoegde collega moet haar bevestigen.")
        )
    if opening is None:
        opening = TenderOpening(
            tenant_id=buyer.id, tender_id=tender.id, first_official_id=actor.id, started_at=now
        )
        db.session.add(opening)
    else:  # the earlier start was never confirmed in time: start again
        opening.first_official_id, opening.started_at = actor.id, now
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.opening_started",
        obj_type="tender",
        obj_id=tender.id,
    )
    return opening


def confirm(
    *, actor: User, buyer: Organisation, tender: Tender, now: datetime | None = None
) -> list[OpenedBid]:
    now = now or utcnow()
    opening = _opening(tender)
    if (
        opening is None
        or opening.confirmed_at is not None
        or tender.status != TenderStatus.PUBLISHED
    ):
        raise OpeningError(_("Er is geen opening om te bevestigen."))
    if opening.first_official_id == actor.id:
        raise OpeningError(_("Een tweede, andere bevoegde collega moet de opening bevestigen."))
    if now > opening.started_at + current_app.config["OPENING_CONFIRM_WINDOW"]:
        raise OpeningError(_("De bevestiging kwam te laat. Start de opening opnieuw."))
    key = sealing_key()
    lots = {lot.id: lot for lot in tender.lots}
    opened: list[OpenedBid] = []
    with cross_tenant("the opening decrypts the bids submitted for this tender"):
        bids = db.session.scalars(
            select(Bid)
            .where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED)
            .order_by(Bid.submitted_at, Bid.id)
        ).all()
        # Every envelope is unsealed before anything is written: one that fails stops the
        # whole opening, so a tender is never half opened.
        unsealed, tampered = [], []
        for bid in bids:
            try:
                quality = sealing.unseal(
                    bid.quality_sealed, key, aad(bid.id, "quality"), bid.quality_digest
                )
                price = None
                if not tender.price_after_quality:
                    price = sealing.unseal(
                        bid.price_sealed, key, aad(bid.id, "price"), bid.price_digest
                    )
            except sealing.TamperedError:
                tampered.append(bid.id)
            else:
                unsealed.append((bid, quality, price))
        if tampered:
            _refuse(actor, buyer, tender, "tender.opening_refused", tampered)
        for bid, quality, price in unsealed:
            copy = OpenedBid(
                tenant_id=buyer.id,
                tender_id=tender.id,
                lot_id=bid.lot_id,
                bid_id=bid.id,
                bidder_id=bid.tenant_id,
                bidder_name=quality["bidder"],
                citizen_initiative=bool(quality.get("citizen_initiative")),
                partners=quality.get("partners", []),
                submitted_at=bid.submitted_at,
                quality={"answers": quality["answers"], "requirements": quality["requirements"]},
                quality_digest=bid.quality_digest,
                price_digest=bid.price_digest,
                price=to_money(price["price"]) if price else None,
                price_revealed_at=now if price else None,
            )
            db.session.add(copy)
            opened.append(copy)
        db.session.flush()
    first = db.session.get(User, opening.first_official_id)
    opening.second_official_id, opening.confirmed_at = actor.id, now
    opening.record = _record(tender, lots, opened, first, actor, now)
    tender.status, tender.opened_at = TenderStatus.OPENED, now
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.opened",
        obj_type="tender",
        obj_id=tender.id,
        after={"bids": len(opened), "digests": [o.quality_digest for o in opened]},
    )
    return opened


def _refuse(
    actor: User, buyer: Organisation, tender: Tender, action: str, bids: list[int]
) -> NoReturn:
    """Stop because sealed envelopes fail their check (changed in the database, moved from
    another bid, cut short, or sealed under another key). The audit event names the bids
    for the administrator; the message names none (who bid is not known yet)."""
    log.error(
        "%s: sealed envelopes of bids %s of tender %s fail their check", action, bids, tender.id
    )
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action=action,
        obj_type="tender",
        obj_id=tender.id,
        after={"tampered_bids": bids},
    )
    raise OpeningError(
        ngettext(
            "Er is niets geopend: een verzegelde inschrijving is na het indienen gewijzigd of "
            "beschadigd. Meld dit bij de beheerder; die ziet in het logboek welke.",
            "Er is niets geopend: %(num)d verzegelde inschrijvingen zijn na het indienen "
            "gewijzigd of beschadigd. Meld dit bij de beheerder; die ziet in het logboek welke.",
            len(bids),
        )
    )


def sees_bidders(user: User, tender: Tender, *, may_award: bool) -> bool:
    """After the opening, who may see who bid (the record names them): a reviewer assigned
    to the tender once they declared no conflict of interest; otherwise the officials who
    award. A policy officer, or a reviewer yet to declare, sees that it was opened, not by
    whom — as on the evaluation page."""
    assignment = db.session.scalar(
        select(ReviewerAssignment).where(
            ReviewerAssignment.tender_id == tender.id, ReviewerAssignment.reviewer_id == user.id
        )
    )
    if assignment is not None:
        declared = assignment.no_conflict_declared_at is not None
        return declared and not anonymity.hides_names(tender, assignment)
    return may_award


def _record(tender, lots, opened, first: User, second: User, now: datetime) -> dict[str, Any]:
    """The proces-verbaal: who opened, when, and for each bid the bidder, lot, instant and
    digests (which each bidder can compare with its receipt), and whether it was
    re-confirmed after the last correction of the tender."""
    last = corrections.last_correction(tender)
    states = corrections.reconfirmation_states(tender, [o.bid_id for o in opened])
    return {
        "tender": {
            "id": tender.id,
            "title": tender.title,
            "deadline": tender.submission_deadline.isoformat(),
        },
        "opened_at": now.isoformat(),
        "officials": [first.display_name, second.display_name],
        "bids": [
            {
                "bidder": o.bidder_name,
                "lot": lots[o.lot_id].title,
                "lot_number": lots[o.lot_id].number,
                "submitted_at": o.submitted_at.isoformat(),
                "quality_digest": o.quality_digest,
                "price_digest": o.price_digest,
                "partners": [p["organisation"] for p in o.partners],
                "reconfirmation": states.get(o.bid_id),
            }
            for o in opened
        ],
        "last_correction": last.number if last else None,
        "price_after_quality": tender.price_after_quality,
    }


def reveal_prices(
    *, actor: User, buyer: Organisation, tender: Tender, now: datetime | None = None
) -> None:
    """Open the price envelopes (two-envelope tenders, after quality has been scored)."""
    now = now or utcnow()
    if tender.status != TenderStatus.OPENED:
        raise OpeningError(_("Prijzen worden pas na de opening bekend."))
    copies = db.session.scalars(
        select(OpenedBid).where(OpenedBid.tender_id == tender.id, OpenedBid.price.is_(None))
    ).all()
    key = sealing_key()
    prices, tampered = [], []
    with cross_tenant("revealing the price envelopes of this tender's opened bids"):
        for copy in copies:  # all unsealed first: never some prices and not others
            bid = db.session.get(Bid, copy.bid_id)
            try:
                price = sealing.unseal(
                    bid.price_sealed, key, aad(bid.id, "price"), copy.price_digest
                )
            except sealing.TamperedError:
                tampered.append(bid.id)
            else:
                prices.append((copy, to_money(price["price"])))
    if tampered:
        _refuse(actor, buyer, tender, "tender.prices_refused", tampered)
    for copy, amount in prices:
        copy.price, copy.price_revealed_at = amount, now
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.prices_revealed",
        obj_type="tender",
        obj_id=tender.id,
        after={"bids": len(copies)},
    )
