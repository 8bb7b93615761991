"""A bidder's side of a tender: prepare a bid per lot (alone or as a consortium), submit it
sealed, get a receipt, withdraw and resubmit until the deadline.

Sealing (``koepel.bids.sealing``): on submission the content is split into two envelopes —
quality (answers, requirements, partners and their shares, the names and SHA-256 digests of
the attachments and of the partners' declarations, see ``koepel.bids.dossier``) and price —
each canonical JSON, SHA-256'd for the receipt and encrypted with AES-GCM bound to the bid
and envelope. The plaintext draft is cleared, so a database dump before the opening reveals
no bid content. The audit log records digests only.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from koepel.bids import sealing
from koepel.bids.models import Bid, BidPartner, BidStatus, Lot, PartnerRole, Tender, TenderStatus
from koepel.bids.tenders import accepts_bids
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.mail import queue_email
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.money import MoneyParseError, parse_money
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import format_datetime_local, utcnow

BIDDER_KINDS = (OrgKind.COOPERATIVE, OrgKind.UMBRELLA, OrgKind.PROVIDER)
CITIZEN_INITIATIVES = (OrgKind.COOPERATIVE, OrgKind.UMBRELLA)  # may win a reserved share


class BidError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def sealing_key() -> bytes:
    config = current_app.config
    return sealing.derive_key(config.get("SEALING_KEY") or config["SECRET_KEY"])


def aad(bid_id: int, envelope: str) -> bytes:
    return f"bid:{bid_id}:{envelope}".encode()


# -- what bidders may see of tenders (owned by the buyer) ------------------------------------
def published_tenders() -> list[Tender]:
    """Tenders open to anyone: published or further along, never drafts."""
    with cross_tenant("bidders read published tenders"):
        rows = db.session.scalars(
            select(Tender)
            .where(Tender.status != TenderStatus.DRAFT)
            .options(
                db.selectinload(Tender.lots),
                db.selectinload(Tender.criteria),
                db.selectinload(Tender.requirements),
            )
            .order_by(Tender.submission_deadline)
        ).all()
        for row in rows:
            db.session.expunge(row)
    return rows


def published_tender(tender_id: int) -> Tender | None:
    with cross_tenant("bidders read a published tender"):
        tender = db.session.scalar(
            select(Tender)
            .where(Tender.id == tender_id, Tender.status != TenderStatus.DRAFT)
            .options(
                db.selectinload(Tender.lots),
                db.selectinload(Tender.criteria),
                db.selectinload(Tender.requirements),
            )
        )
        if tender is not None:
            db.session.expunge(tender)
    return tender


# -- preparing ------------------------------------------------------------------------------
def start(
    *, actor: User, bidder: Organisation, tender: Tender, lot_id: int, now: datetime | None = None
) -> Bid:
    if bidder.kind not in BIDDER_KINDS:
        raise BidError(_("Alleen een zorgcoöperatie, koepel of zorgaanbieder kan inschrijven."))
    if not accepts_bids(tender, now):
        raise BidError(_("Inschrijven kan niet meer: de sluitingstermijn is voorbij."))
    if lot_id not in {lot.id for lot in tender.lots}:
        raise BidError(_("Kies een perceel van deze aanbesteding."), "lot_id")
    live = db.session.scalar(
        select(Bid).where(
            Bid.tender_id == tender.id, Bid.lot_id == lot_id, Bid.status != BidStatus.WITHDRAWN
        )
    )
    if live is not None:
        raise BidError(_("U heeft al een inschrijving voor dit perceel."), "lot_id")
    bid = Bid(tenant_id=bidder.id, tender_id=tender.id, lot_id=lot_id)
    db.session.add(bid)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=bidder.id,
        action="bid.started",
        obj_type="bid",
        obj_id=bid.id,
        after={"tender": tender.id, "lot": lot_id},
    )
    return bid


def draft_of(bid: Bid) -> dict[str, Any]:
    return json.loads(bid.draft or "{}")


# Draft keys kept by other forms than the bid form (the consortium's shares): a save of
# price and answers does not drop them.
OTHER_DRAFT_KEYS = ("lead_share",)


def save_draft(*, actor: User, bidder: Organisation, bid: Bid, content: dict[str, Any]) -> None:
    """Keep what the bidder typed (price as typed, answers, requirements). Not sealed yet."""
    if bid.status == BidStatus.SUBMITTED:
        raise BidError(_("Deze inschrijving is ingediend. Trek haar eerst in om te wijzigen."))
    kept = {k: v for k, v in draft_of(bid).items() if k in OTHER_DRAFT_KEYS}
    bid.draft = json.dumps(kept | content, ensure_ascii=False, sort_keys=True)
    bid.status = BidStatus.DRAFT
    db.session.flush()


def add_partner(
    *,
    actor: User,
    bidder: Organisation,
    bid: Bid,
    partner: Organisation,
    role: PartnerRole,
    share: Decimal,
) -> BidPartner:
    if bid.status == BidStatus.SUBMITTED:
        raise BidError(_("Deze inschrijving is ingediend. Trek haar eerst in om te wijzigen."))
    if partner.id == bidder.id or partner.kind not in BIDDER_KINDS:
        raise BidError(
            _("Kies een andere coöperatie, koepel of zorgaanbieder als partner."), "partner"
        )
    share = Decimal(share)
    existing = sum((p.share for p in bid.partners), Decimal(0))
    if share < 0 or existing + share >= 100:
        raise BidError(
            _(
                "De aandelen van de partners samen moeten minder dan 100% zijn; de "
                "penvoerder houdt de rest."
            ),
            "share",
        )
    if any(p.partner_id == partner.id for p in bid.partners):
        raise BidError(_("Deze partner doet al mee."), "partner")
    row = BidPartner(
        tenant_id=bidder.id, bid_id=bid.id, partner_id=partner.id, role=role, share=share
    )
    db.session.add(row)
    db.session.flush()
    db.session.refresh(bid, ["partners"])
    audit.record(
        db.session,
        actor=actor,
        tenant_id=bidder.id,
        action="bid.partner_added",
        obj_type="bid",
        obj_id=bid.id,
        after={"partner": partner.slug, "role": role.value, "share": share},
    )
    return row


@dataclass(frozen=True)
class PartnerView:
    """What a consortium partner sees of a bid it is in (never the sealed content)."""

    bid_id: int
    tender_id: int
    lot_id: int
    lead_id: int
    status: BidStatus
    role: PartnerRole
    share: Decimal
    confirmed: bool


def bids_as_partner(partner: Organisation) -> list[PartnerView]:
    """The bids a consortium partner takes part in (owned by their lead parties)."""
    with cross_tenant("a consortium partner sees the bids it is a partner in"):
        rows = db.session.execute(
            select(
                Bid.id,
                Bid.tender_id,
                Bid.lot_id,
                Bid.tenant_id,
                Bid.status,
                BidPartner.role,
                BidPartner.share,
                BidPartner.confirmed_at,
            )
            .join(BidPartner, BidPartner.bid_id == Bid.id)
            .where(BidPartner.partner_id == partner.id)
            .order_by(Bid.id)
        ).all()
    return [PartnerView(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] is not None) for r in rows]


def partner_view(partner: Organisation, bid_id: int) -> PartnerView | None:
    """One bid the partner takes part in (None when it is no partner in it)."""
    return next((view for view in bids_as_partner(partner) if view.bid_id == bid_id), None)


class NotAPartner(BidError):
    """The organisation is no partner in the bid: answered like a missing bid (404)."""


def confirm_participation(
    *,
    actor: User,
    partner: Organisation,
    bid_id: int,
    declaration_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """A partner confirms it takes part, with its own UEA declaration from its dossier
    (``declaration_id``; without one, its current declaration). It writes only its own
    confirmation and declaration. Again later: another declaration, until submission."""
    from koepel.bids import dossier  # builds on this module

    with cross_tenant("a consortium partner confirms its participation in a lead party's bid"):
        row = db.session.scalar(
            select(BidPartner).where(
                BidPartner.bid_id == bid_id, BidPartner.partner_id == partner.id
            )
        )
        if row is None:
            raise NotAPartner(_("U bent geen partner in deze inschrijving."))
        if row.bid.status == BidStatus.SUBMITTED:
            raise BidError(
                _(
                    "De penvoerder heeft de inschrijving al ingediend. Uw deelname en "
                    "verklaring liggen vast."
                ),
                "declaration",
            )
        declaration = dossier.declare(
            actor=actor, partner=partner, bid=row.bid, document_id=declaration_id, now=now
        )
        row.confirmed_at, row.confirmed_by_id = now or utcnow(), actor.id
        db.session.flush()
        audit.record(
            db.session,
            actor=actor,
            tenant_id=row.tenant_id,
            action="bid.partner_confirmed",
            obj_type="bid",
            obj_id=bid_id,
            after={"partner": partner.slug, "declaration": declaration.document_id},
        )


# -- submitting --------------------------------------------------------------------------
@dataclass(frozen=True)
class Receipt:
    bid_id: int
    tender_title: str
    lot_title: str
    submitted_at: datetime
    quality_digest: str
    price_digest: str

    @property
    def digest(self) -> str:
        """One SHA-256 over both envelopes' digests: what the bidder keeps as proof."""
        return hashlib.sha256(f"{self.quality_digest}:{self.price_digest}".encode()).hexdigest()


def _envelopes(
    bidder: Organisation,
    bid: Bid,
    tender: Tender,
    lot: Lot,
    content: dict[str, Any],
    now: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    from koepel.bids import dossier  # builds on this module

    try:
        price = parse_money(str(content.get("price", "")))
    except MoneyParseError as exc:
        raise BidError(str(exc), "price") from None
    if price <= 0:
        raise BidError(_("Vul een prijs in die groter is dan nul."), "price")
    answers = {str(k): str(v).strip() for k, v in (content.get("answers") or {}).items()}
    for criterion in tender.criteria:
        if criterion.kind.value != "price" and not answers.get(str(criterion.id)):
            raise BidError(
                _("Beantwoord het criterium %(title)s.", title=criterion.title), "answers"
            )
    requirements = content.get("requirements") or {}
    for requirement in tender.requirements:
        if not requirements.get(str(requirement.id)):
            raise BidError(
                _("Geef aan hoe u voldoet aan: %(title)s.", title=requirement.title), "requirements"
            )
    unconfirmed = [p for p in bid.partners if p.confirmed_at is None]
    if unconfirmed:
        raise BidError(_("Nog niet alle partners hebben hun deelname bevestigd."), "partners")
    partners = [
        {"organisation": p.partner.name, "role": p.role.value, "share": str(p.share)}
        for p in bid.partners
    ]
    # Declarations, attachments (names and digests) and the lead party's share.
    consortium = dossier.envelope_part(bid, content, now)
    # A random salt per envelope: the digest on record (and on the receipt) then cannot be
    # matched by trying candidate prices against a database dump.
    head = {"tender": tender.id, "lot": lot.id, "bidder": bidder.name}
    quality = {
        **head,
        "answers": answers,
        "requirements": requirements,
        "partners": partners,
        **consortium,
        "citizen_initiative": bidder.kind in CITIZEN_INITIATIVES,
    }
    quality["salt"] = secrets.token_hex(16)
    return quality, {**head, "price": str(price), "salt": secrets.token_hex(16)}


def submit(
    *, actor: User, bidder: Organisation, bid: Bid, tender: Tender, now: datetime | None = None
) -> Receipt:
    """Seal and submit. Decided on the server at this instant: at or after the deadline it
    is refused. The bid row is locked, so two simultaneous submissions of one bid cannot
    both stand."""
    now = now or utcnow()
    bid = db.session.scalar(
        select(Bid)
        .where(Bid.id == bid.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if bid.status == BidStatus.SUBMITTED:
        raise BidError(_("Deze inschrijving is al ingediend."))
    if not accepts_bids(tender, now):
        raise BidError(
            _(
                "De sluitingstermijn is voorbij: inschrijven kan niet meer. "
                "Uw inschrijving is niet ingediend."
            )
        )
    lot = next(lot for lot in tender.lots if lot.id == bid.lot_id)
    quality, price = _envelopes(bidder, bid, tender, lot, draft_of(bid), now)
    key = sealing_key()
    sealed_quality = sealing.seal(quality, key, aad(bid.id, "quality"))
    sealed_price = sealing.seal(price, key, aad(bid.id, "price"))
    bid.quality_sealed, bid.quality_digest = sealed_quality.ciphertext, sealed_quality.digest
    bid.price_sealed, bid.price_digest = sealed_price.ciphertext, sealed_price.digest
    bid.status, bid.submitted_at, bid.submitted_by_id = BidStatus.SUBMITTED, now, actor.id
    bid.version += 1
    bid.needs_reconfirmation = False  # submitted knowing every correction so far
    bid.draft = "{}"  # no plaintext at rest until the opening
    db.session.flush()
    receipt = Receipt(
        bid.id, tender.title, lot.title, now, sealed_quality.digest, sealed_price.digest
    )
    audit.record(
        db.session,
        actor=actor,
        tenant_id=bidder.id,
        action="bid.submitted",
        obj_type="bid",
        obj_id=bid.id,
        after={
            "version": bid.version,
            "receipt": receipt.digest,
            "quality_digest": receipt.quality_digest,
            "price_digest": receipt.price_digest,
        },
    )
    return receipt


def submitted_content(bid: Bid) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bidder (and only the bidder's side) reads back what it submitted."""
    key = sealing_key()
    return (
        sealing.unseal(bid.quality_sealed, key, aad(bid.id, "quality"), bid.quality_digest),
        sealing.unseal(bid.price_sealed, key, aad(bid.id, "price"), bid.price_digest),
    )


def mail_receipt(user: User, org: Organisation, receipt: Receipt, lot: Lot) -> None:
    """The receipt by e-mail to the person who submitted, in their language: never a price
    or an answer."""
    language = user.locale or "nl"
    with force_locale(language):
        instant = format_datetime_local(receipt.submitted_at, language)
        lines = [
            _("Uw inschrijving namens %(org)s is ingediend.", org=org.name),
            "",
            _("Aanbesteding: %(title)s", title=receipt.tender_title),
            _("Perceel %(number)d: %(title)s", number=lot.number, title=receipt.lot_title),
            _("Ingediend op: %(instant)s (Nederlandse tijd)", instant=instant),
            _("Ontvangstbewijs: %(digest)s", digest=receipt.digest),
            "",
            _(
                "Bewaar dit ontvangstbewijs. Het is gemaakt uit de vingerafdrukken (SHA-256) "
                "van uw verzegelde inschrijving. Niemand kan uw inschrijving lezen vóór de "
                "opening."
            ),
        ]
        subject = _("Ontvangstbewijs inschrijving")
    queue_email(
        to=user.email,
        subject=subject,
        body="\n".join(str(line) for line in lines) + "\n",
        tenant_id=org.id,
    )


def withdraw(
    *, actor: User, bidder: Organisation, bid: Bid, tender: Tender, now: datetime | None = None
) -> None:
    """Take a submitted bid back before the deadline; its content returns to the draft so
    it can be changed and submitted again."""
    if bid.status != BidStatus.SUBMITTED:
        raise BidError(_("Alleen een ingediende inschrijving kan worden ingetrokken."))
    if not accepts_bids(tender, now):
        raise BidError(_("De sluitingstermijn is voorbij: intrekken kan niet meer."))
    quality, price = submitted_content(bid)
    draft = {
        # Back as a person types it (Dutch notation), as the draft is read on submission.
        "price": format_decimal(Decimal(price["price"]), format="#,##0.00", locale="nl"),
        "answers": quality["answers"],
        "requirements": quality["requirements"],
    }
    if "lead_share" in quality:
        draft["lead_share"] = quality["lead_share"]
    bid.draft = json.dumps(draft, ensure_ascii=False, sort_keys=True)
    bid.quality_sealed = bid.price_sealed = bid.quality_digest = bid.price_digest = None
    bid.status, bid.submitted_at = BidStatus.WITHDRAWN, None
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=bidder.id,
        action="bid.withdrawn",
        obj_type="bid",
        obj_id=bid.id,
        after={"version": bid.version},
    )
