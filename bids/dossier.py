"""The bidder's reusable dossier, bid attachments and consortium declarations and shares.

- **Dossier**: a bidder organisation keeps its standing documents (KvK extract, VOG policy,
  insurance, quality mark, annual accounts, its own UEA declaration, other) once, with a
  validity period. A new version of a kind replaces the current one; earlier versions stay
  (a sealed bid may carry the digest of an older one). A periodic task (``koepel tick``)
  reminds the managers by e-mail 30 and 7 days before a document expires.
- **Attachments** of a bid (quality envelope): documents from the bidder's own dossier,
  referenced without uploading again (an expired one is refused), and files for this bid
  only. Those files and their descriptions are AES-GCM encrypted with the sealing key,
  bound to the bid and the attachment, so the file store and the database reveal nothing.
- **Consortium**: each partner attaches its own UEA declaration when it confirms its
  participation; the lead party records every party's share of the bid value. Submission
  (``koepel.bids.submission``) seals names and SHA-256 digests of all attachments and
  declarations, and the shares, into the quality envelope — never amounts, which would
  reveal the price before the price envelope is opened.
- After the opening the buyer's evaluators (reviewers who declared no conflict of
  interest) download the attachments listed in the opened quality envelope; each file's
  SHA-256 is checked against the sealed one before it is handed out.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from koepel.bids import anonymity, evaluation, sealing
from koepel.bids.models import (
    Bid,
    BidPartner,
    BidStatus,
    OpenedBid,
    ReviewerAssignment,
    Tender,
)
from koepel.bids.models.dossier import (
    AttachmentSource,
    BidAttachment,
    DossierDocument,
    DossierKind,
)
from koepel.bids.submission import BIDDER_KINDS, BidError, aad, draft_of, sealing_key
from koepel.bids.tenders import accepts_bids
from koepel.platform import audit, files, policy
from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.jobs import JobContext, enqueue, job
from koepel.platform.mail import queue_email
from koepel.platform.models import Organisation, OrgRole, User
from koepel.platform.schedule import periodic
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import format_date_local, local_today, utcnow

log = logging.getLogger(__name__)

DOSSIER_AREA = "dossier"  # plain files: an organisation's own standing documents
ATTACHMENT_AREA = "bid-attachments"  # encrypted files of bids
EXPIRING_DAYS = 30  # "verloopt binnenkort" on the dossier page
REMINDER_DAYS = (30, 7)  # e-mail the managers this many days before expiry

KIND_LABELS = {
    DossierKind.KVK: _l("Uittreksel Kamer van Koophandel"),
    DossierKind.VOG_POLICY: _l("VOG-beleid"),
    DossierKind.INSURANCE: _l("Verzekering"),
    DossierKind.QUALITY_MARK: _l("Keurmerk"),
    DossierKind.ANNUAL_ACCOUNTS: _l("Jaarrekening"),
    DossierKind.UEA: _l("Eigen verklaring (UEA)"),
    DossierKind.OTHER: _l("Ander document"),
}


class DossierError(BidError):
    """A dossier or attachment rule refused; the message is plain Dutch, ``field`` names
    the form field it is about."""


class Validity(enum.StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"  # valid, but expires within EXPIRING_DAYS
    EXPIRED = "expired"
    NOT_YET = "not_yet"  # valid from a later date


def validity(expires_on: date | None, valid_from: date | None, today: date) -> Validity:
    if expires_on is not None and expires_on < today:
        return Validity.EXPIRED
    if valid_from is not None and valid_from > today:
        return Validity.NOT_YET
    if expires_on is not None and expires_on <= today + timedelta(days=EXPIRING_DAYS):
        return Validity.EXPIRING
    return Validity.VALID


def _date(value: date) -> str:
    return format_date_local(value, current_language(), "long")


# -- the dossier (the acting organisation's own documents; scoped queries) ----------------
def add_document(
    *,
    actor: User | None,
    org: Organisation,
    kind: DossierKind,
    title: str,
    filename: str,
    data: bytes,
    valid_from: date | None = None,
    expires_on: date | None = None,
) -> DossierDocument:
    """Keep a standing document; it replaces the current one of its kind (for "other":
    the current one with the same title)."""
    if org.kind not in BIDDER_KINDS:
        raise DossierError(
            _("Alleen een zorgcoöperatie, koepel of zorgaanbieder heeft een dossier.")
        )
    title = (title or "").strip()
    if not title:
        raise DossierError(_("Vul een titel in."), "title")
    if valid_from and expires_on and expires_on < valid_from:
        raise DossierError(
            _("De vervaldatum ligt vóór de datum waarop het document ingaat."), "expires_on"
        )
    try:
        upload = files.check(filename, data)
    except files.UploadError as exc:
        raise DossierError(str(exc), "file") from None
    current = _current_of(kind, title)
    document = DossierDocument(
        tenant_id=org.id,
        kind=kind,
        title=title[:200],
        filename=upload.filename,
        stored_name=files.store(org.id, upload.data, upload.suffix, area=DOSSIER_AREA),
        content_type=upload.content_type,
        size=upload.size,
        sha256=hashlib.sha256(upload.data).hexdigest(),
        valid_from=valid_from,
        expires_on=expires_on,
        replaces_id=current.id if current else None,
        uploaded_by_id=actor.id if actor else None,
    )
    if current is not None:
        current.superseded_at = utcnow()
    db.session.add(document)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="dossier.document_added",
        obj_type="dossier_document",
        obj_id=document.id,
        after={
            "kind": kind.value,
            "title": document.title,
            "valid_from": valid_from,
            "expires_on": expires_on,
            "replaces": document.replaces_id,
        },
    )
    return document


def _current_of(kind: DossierKind, title: str) -> DossierDocument | None:
    rows = db.session.scalars(
        select(DossierDocument)
        .where(DossierDocument.kind == kind, DossierDocument.superseded_at.is_(None))
        .order_by(DossierDocument.id.desc())
    ).all()
    if kind == DossierKind.OTHER:  # several "other" documents live side by side
        rows = [r for r in rows if r.title.casefold() == title.strip().casefold()]
    return rows[0] if rows else None


def current_documents() -> list[DossierDocument]:
    """The acting organisation's current documents (one per kind, several "other")."""
    rows = db.session.scalars(
        select(DossierDocument)
        .where(DossierDocument.superseded_at.is_(None))
        .order_by(DossierDocument.kind, DossierDocument.title, DossierDocument.id)
    ).all()
    order = list(DossierKind)
    return sorted(rows, key=lambda d: (order.index(d.kind), d.title.casefold()))


def earlier_versions() -> list[DossierDocument]:
    return list(
        db.session.scalars(
            select(DossierDocument)
            .where(DossierDocument.superseded_at.is_not(None))
            .order_by(DossierDocument.superseded_at.desc(), DossierDocument.id.desc())
        )
    )


def get_document(document_id: int) -> DossierDocument | None:
    """One of the acting organisation's documents (scoped: another's is None)."""
    return db.session.scalar(select(DossierDocument).where(DossierDocument.id == document_id))


def read_document(document: DossierDocument) -> bytes:
    return files.read(document.tenant_id, document.stored_name, area=DOSSIER_AREA)


def attachable(today: date | None = None) -> list[DossierDocument]:
    """Current documents that may go with a bid today (not expired)."""
    today = today or local_today()
    return [
        d
        for d in current_documents()
        if validity(d.expires_on, d.valid_from, today) != Validity.EXPIRED
    ]


# -- encryption of bid-specific files ---------------------------------------------------------
def _aad(bid_id: int, attachment_id: int, part: str) -> bytes:
    return f"bid:{bid_id}:attachment:{attachment_id}:{part}".encode()


def _encrypt(data: bytes, context: bytes) -> bytes:
    nonce = os.urandom(sealing.NONCE_BYTES)
    return nonce + AESGCM(sealing_key()).encrypt(nonce, data, context)


def _decrypt(blob: bytes, context: bytes) -> bytes:
    if len(blob) < sealing.NONCE_BYTES + sealing.TAG_BYTES:
        raise sealing.TamperedError()
    try:
        return AESGCM(sealing_key()).decrypt(
            blob[: sealing.NONCE_BYTES], blob[sealing.NONCE_BYTES :], context
        )
    except InvalidTag:
        raise sealing.TamperedError() from None


# -- attachments of a bid (the bidder's side) --------------------------------------------------
@dataclass(frozen=True)
class AttachmentView:
    """What the bidder and its partners see of an attachment (decrypted for them)."""

    id: int
    source: AttachmentSource
    title: str
    filename: str
    content_type: str
    size: int
    sha256: str
    kind: DossierKind | None = None
    document_id: int | None = None
    partner_id: int | None = None
    valid_from: date | None = None
    expires_on: date | None = None

    def validity(self, today: date) -> Validity:
        return validity(self.expires_on, self.valid_from, today)


def _editable(bid: Bid, tender: Tender, now: datetime | None) -> None:
    if bid.status == BidStatus.SUBMITTED:
        raise DossierError(
            _("Deze inschrijving is ingediend. Trek haar eerst in om de bijlagen te wijzigen.")
        )
    if not accepts_bids(tender, now):
        raise DossierError(
            _("De sluitingstermijn is voorbij: de inschrijving kan niet meer veranderen.")
        )


def attach_document(
    *,
    actor: User,
    bidder: Organisation,
    bid: Bid,
    tender: Tender,
    document_id: int | None,
    now: datetime | None = None,
) -> BidAttachment:
    """Attach a document from the bidder's own dossier (not uploaded again)."""
    _editable(bid, tender, now)
    document = get_document(document_id) if document_id is not None else None
    if document is None:
        raise DossierError(_("Kies een document uit uw dossier."), "document")
    if document.superseded_at is not None:
        raise DossierError(_("Van dit document is een nieuwere versie. Kies die."), "document")
    if validity(document.expires_on, document.valid_from, local_today(now)) == Validity.EXPIRED:
        raise DossierError(
            _(
                "%(title)s is verlopen op %(date)s. Voeg eerst een nieuwe versie toe aan uw "
                "dossier.",
                title=document.title,
                date=_date(document.expires_on),
            ),
            "document",
        )
    taken = db.session.scalar(
        select(BidAttachment.id).where(
            BidAttachment.bid_id == bid.id, BidAttachment.document_id == document.id
        )
    )
    if taken is not None:
        raise DossierError(_("Dit document is al bijgevoegd."), "document")
    row = BidAttachment(
        tenant_id=bidder.id,
        bid_id=bid.id,
        source=AttachmentSource.DOSSIER,
        document_id=document.id,
        added_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    _audit_attachment(actor, bidder, bid, "bid.attachment_added", row, document=document.id)
    return row


def upload_attachment(
    *,
    actor: User,
    bidder: Organisation,
    bid: Bid,
    tender: Tender,
    title: str,
    filename: str,
    data: bytes,
    now: datetime | None = None,
) -> BidAttachment:
    """A file for this bid only, stored encrypted: its bytes and its description."""
    _editable(bid, tender, now)
    title = (title or "").strip()
    if not title:
        raise DossierError(_("Vul een titel in."), "title")
    try:
        upload = files.check(filename, data)
    except files.UploadError as exc:
        raise DossierError(str(exc), "file") from None
    row = BidAttachment(
        tenant_id=bidder.id, bid_id=bid.id, source=AttachmentSource.UPLOAD, added_by_id=actor.id
    )
    db.session.add(row)
    db.session.flush()  # the id binds the ciphertexts to this attachment
    meta = {
        "title": title[:200],
        "filename": upload.filename,
        "content_type": upload.content_type,
        "size": upload.size,
        "sha256": hashlib.sha256(upload.data).hexdigest(),
    }
    row.sealed_meta = _encrypt(sealing.canonical_json(meta), _aad(bid.id, row.id, "meta"))
    row.stored_name = files.store(
        bidder.id,
        _encrypt(upload.data, _aad(bid.id, row.id, "file")),
        ".sealed",  # not the real suffix: even the type stays hidden
        area=ATTACHMENT_AREA,
    )
    db.session.flush()
    _audit_attachment(actor, bidder, bid, "bid.attachment_added", row)
    return row


def remove_attachment(
    *,
    actor: User,
    bidder: Organisation,
    bid: Bid,
    tender: Tender,
    attachment_id: int,
    now: datetime | None = None,
) -> None:
    _editable(bid, tender, now)
    row = db.session.scalar(
        select(BidAttachment).where(
            BidAttachment.id == attachment_id,
            BidAttachment.bid_id == bid.id,
            BidAttachment.source != AttachmentSource.DECLARATION,  # the partner's own
        )
    )
    if row is None:
        raise DossierError(_("Deze bijlage hoort niet (meer) bij de inschrijving."))
    stored_name = row.stored_name
    _audit_attachment(actor, bidder, bid, "bid.attachment_removed", row)
    db.session.delete(row)
    db.session.flush()
    if stored_name:
        # After the commit only: a rolled-back removal keeps its file.
        enqueue(
            "dossier.remove_file",
            tenant_id=bidder.id,
            kwargs={"stored_name": stored_name},
            key=f"bid-attachment-file:{stored_name}",
        )


@job("dossier.remove_file")
def _remove_file(ctx: JobContext, stored_name: str) -> None:
    still_used = db.session.scalar(
        select(BidAttachment.id).where(BidAttachment.stored_name == stored_name)
    )
    if still_used is None:
        files.path_of(ctx.tenant_id, stored_name, ATTACHMENT_AREA).unlink(missing_ok=True)


def _audit_attachment(actor, bidder, bid, action: str, row: BidAttachment, **extra) -> None:
    # Ids only: an upload's title and name are sealed bid content.
    audit.record(
        db.session,
        actor=actor,
        tenant_id=bidder.id,
        action=action,
        obj_type="bid",
        obj_id=bid.id,
        after={"attachment": row.id, "source": row.source.value, **extra},
    )


def _views(rows: list[BidAttachment]) -> list[AttachmentView]:
    """Describe attachment rows the caller is entitled to (checked before the call)."""
    ids = {r.document_id for r in rows if r.document_id is not None}
    documents: dict[int, DossierDocument] = {}
    if ids:
        with cross_tenant("a bid's readers see the partners' declarations attached to it"):
            documents = {
                d.id: d
                for d in db.session.scalars(
                    select(DossierDocument).where(DossierDocument.id.in_(ids))
                )
            }
    views = []
    for row in rows:
        if row.source == AttachmentSource.UPLOAD:
            meta = json.loads(_decrypt(row.sealed_meta, _aad(row.bid_id, row.id, "meta")))
            views.append(AttachmentView(row.id, row.source, **meta))
        else:
            d = documents[row.document_id]
            views.append(
                AttachmentView(
                    row.id,
                    row.source,
                    d.title,
                    d.filename,
                    d.content_type,
                    d.size,
                    d.sha256,
                    kind=d.kind,
                    document_id=d.id,
                    partner_id=row.partner_id,
                    valid_from=d.valid_from,
                    expires_on=d.expires_on,
                )
            )
    return views


def _rows(bid_id: int) -> list[BidAttachment]:
    return list(
        db.session.scalars(
            select(BidAttachment)
            .where(BidAttachment.bid_id == bid_id)
            .order_by(BidAttachment.added_at, BidAttachment.id)
        )
    )


def bid_attachments(bid: Bid) -> list[AttachmentView]:
    """The attachments of the acting organisation's own bid (rows scoped to it)."""
    return _views(_rows(bid.id))


def _file_of(row: BidAttachment, view: AttachmentView) -> bytes:
    """The plain bytes, checked against the SHA-256 recorded when they were added."""
    if row.source == AttachmentSource.UPLOAD:
        blob = files.read(row.tenant_id, row.stored_name, area=ATTACHMENT_AREA)
        data = _decrypt(blob, _aad(row.bid_id, row.id, "file"))
    else:
        with cross_tenant("a bid's readers fetch a dossier document attached to it"):
            document = db.session.get(DossierDocument, row.document_id)
        data = read_document(document)
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), view.sha256):
        raise sealing.TamperedError()
    return data


def bid_attachment(bid: Bid, attachment_id: int) -> tuple[AttachmentView, bytes] | None:
    """One attachment of the acting organisation's own bid, with its bytes."""
    row = db.session.scalar(
        select(BidAttachment).where(
            BidAttachment.id == attachment_id, BidAttachment.bid_id == bid.id
        )
    )
    if row is None:
        return None
    (view,) = _views([row])
    return view, _file_of(row, view)


def _partner_row(partner: Organisation, bid_id: int) -> BidPartner | None:
    return db.session.scalar(
        select(BidPartner).where(BidPartner.bid_id == bid_id, BidPartner.partner_id == partner.id)
    )


def _seen_by_partner(row: BidAttachment, partner: Organisation) -> bool:
    # Another partner's declaration (its UEA) is for the lead party, not for the others.
    return row.source != AttachmentSource.DECLARATION or row.partner_id == partner.id


def partner_attachments(partner: Organisation, bid_id: int) -> list[AttachmentView] | None:
    """A consortium partner sees the attachments of the bid it is a partner in, and its
    own declaration (None when it is no partner in it)."""
    with cross_tenant("a consortium partner sees the attachments of the bid it is in"):
        if _partner_row(partner, bid_id) is None:
            return None
        return _views([r for r in _rows(bid_id) if _seen_by_partner(r, partner)])


def partner_attachment(
    partner: Organisation, bid_id: int, attachment_id: int
) -> tuple[AttachmentView, bytes] | None:
    with cross_tenant("a consortium partner fetches an attachment of the bid it is in"):
        if _partner_row(partner, bid_id) is None:
            return None
        row = db.session.scalar(
            select(BidAttachment).where(
                BidAttachment.id == attachment_id, BidAttachment.bid_id == bid_id
            )
        )
        if row is None or not _seen_by_partner(row, partner):
            return None
        (view,) = _views([row])
        return view, _file_of(row, view)


# -- consortium: declarations and shares -----------------------------------------------------
def declare(
    *,
    actor: User,
    partner: Organisation,
    bid: Bid,
    document_id: int | None = None,
    now: datetime | None = None,
) -> BidAttachment:
    """Attach the partner's own UEA declaration to the lead party's bid. Without a choice
    it is the partner's current one. Called by ``confirm_participation`` inside its
    cross-tenant scope, after it found the partner in the bid."""
    stmt = select(DossierDocument).where(
        DossierDocument.tenant_id == partner.id,  # explicit: the scope is cross-tenant here
        DossierDocument.kind == DossierKind.UEA,
        DossierDocument.superseded_at.is_(None),
    )
    if document_id is not None:
        stmt = stmt.where(DossierDocument.id == document_id)
    document = db.session.scalar(stmt.order_by(DossierDocument.id.desc()).limit(1))
    if document is None:
        raise DossierError(
            _(
                "Voeg eerst uw eigen verklaring (UEA) toe aan uw dossier. Die gaat mee met "
                "uw bevestiging."
            )
            if document_id is None
            else _("Kies uw eigen verklaring (UEA) uit uw dossier."),
            "declaration",
        )
    if validity(document.expires_on, document.valid_from, local_today(now)) == Validity.EXPIRED:
        raise DossierError(
            _(
                "Uw eigen verklaring is verlopen op %(date)s. Voeg een nieuwe toe aan uw dossier.",
                date=_date(document.expires_on),
            ),
            "declaration",
        )
    row = db.session.scalar(
        select(BidAttachment).where(
            BidAttachment.bid_id == bid.id,
            BidAttachment.partner_id == partner.id,
            BidAttachment.source == AttachmentSource.DECLARATION,
        )
    )
    if row is None:
        row = BidAttachment(
            tenant_id=bid.tenant_id,
            bid_id=bid.id,
            source=AttachmentSource.DECLARATION,
            partner_id=partner.id,
        )
        db.session.add(row)
    row.document_id, row.added_by_id, row.added_at = document.id, actor.id, utcnow()
    db.session.flush()
    return row


def declarations_of(bid: Bid) -> dict[int, AttachmentView]:
    """The partners' declarations on the acting organisation's own bid, by partner id."""
    rows = [r for r in _rows(bid.id) if r.source == AttachmentSource.DECLARATION]
    return {v.partner_id: v for v in _views(rows)}


def lead_share(bid: Bid, content: dict[str, Any] | None = None) -> Decimal:
    """The lead party's own share: as recorded, else what the partners leave."""
    content = draft_of(bid) if content is None else content
    recorded = content.get("lead_share")
    if recorded not in (None, ""):
        return Decimal(str(recorded))
    return Decimal(100) - sum((p.share for p in bid.partners), Decimal(0))


def _percent(value: Decimal) -> str:
    return format_decimal(value, format="#,##0.##", locale=current_language())


def _shares_total_problem(total: Decimal) -> str:
    return _(
        "De aandelen tellen samen op tot %(total)s%%. Met het aandeel van de penvoerder "
        "moeten ze precies 100%% zijn.",
        total=_percent(total),
    )


def set_shares(
    *,
    actor: User,
    bidder: Organisation,
    bid: Bid,
    tender: Tender,
    lead: Decimal,
    partners: dict[int, Decimal],
    now: datetime | None = None,
) -> None:
    """The lead party records every party's share of the bid value (percent); together
    exactly 100. ``partners`` maps each ``BidPartner`` id to its share."""
    _editable(bid, tender, now)
    rows = {p.id: p for p in bid.partners}
    if set(partners) != set(rows):
        raise DossierError(_("Vul voor elke partner het aandeel in."), "shares")
    cent = Decimal("0.01")
    shares = {key: Decimal(value).quantize(cent) for key, value in partners.items()}
    lead = Decimal(lead).quantize(cent)
    if any(not 0 <= value <= 100 for value in (lead, *shares.values())):
        raise DossierError(_("Een aandeel ligt tussen 0 en 100%."), "shares")
    total = lead + sum(shares.values(), Decimal(0))
    if total != 100:
        raise DossierError(_shares_total_problem(total), "shares")
    for key, value in shares.items():
        rows[key].share = value
    content = draft_of(bid)
    content["lead_share"] = str(lead)
    bid.draft = json.dumps(content, ensure_ascii=False, sort_keys=True)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=bidder.id,
        action="bid.shares_set",
        obj_type="bid",
        obj_id=bid.id,
        after={"lead": lead, "partners": {rows[k].partner.slug: v for k, v in shares.items()}},
    )


# -- submission: what goes into the quality envelope ---------------------------------------------
def _entry(view: AttachmentView) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": view.id,
        "source": view.source.value,
        "title": view.title,
        "filename": view.filename,
        "content_type": view.content_type,
        "size": view.size,
        "sha256": view.sha256,
    }
    if view.document_id is not None:
        entry |= {
            "document": view.document_id,
            "kind": view.kind.value,
            "expires_on": view.expires_on,
        }
    return entry


def envelope_part(bid: Bid, content: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Check the consortium and the attachments at the instant of submission and return
    what the quality envelope carries of them. Runs in the bidder's scope."""
    today = local_today(now)
    views = bid_attachments(bid)
    declared = {v.partner_id: v for v in views if v.source == AttachmentSource.DECLARATION}
    partners = sorted(bid.partners, key=lambda p: p.partner.name)
    for partner in partners:
        declaration = declared.get(partner.partner_id)
        name = partner.partner.name
        if declaration is None:
            raise BidError(
                _(
                    "%(name)s heeft nog geen eigen verklaring (UEA) meegestuurd. Die gaat mee "
                    "met de bevestiging van de deelname.",
                    name=name,
                ),
                "partners",
            )
        if declaration.validity(today) == Validity.EXPIRED:
            raise BidError(
                _(
                    "De eigen verklaring (UEA) van %(name)s is verlopen. %(name)s voegt een "
                    "nieuwe toe aan het eigen dossier en bevestigt de deelname opnieuw.",
                    name=name,
                ),
                "partners",
            )
    attached = [v for v in views if v.source != AttachmentSource.DECLARATION]
    for view in attached:
        if view.document_id is not None and view.validity(today) == Validity.EXPIRED:
            raise BidError(
                _(
                    "%(title)s uit uw dossier is verlopen op %(date)s. Haal het weg of voeg "
                    "een nieuwe versie toe.",
                    title=view.title,
                    date=_date(view.expires_on),
                ),
                "attachments",
            )
    part: dict[str, Any] = {"attachments": [_entry(v) for v in attached]}
    if partners:
        lead = lead_share(bid, content)
        total = lead + sum((p.share for p in partners), Decimal(0))
        if total != 100:
            raise BidError(_shares_total_problem(total), "shares")
        part["lead_share"] = str(lead.quantize(Decimal("0.01")))
        part["declarations"] = [
            {**_entry(declared[p.partner_id]), "organisation": p.partner.name} for p in partners
        ]
    return part


# -- after the opening: the buyer's evaluators -----------------------------------------------
def _may_read_opened(tender: Tender, assignment: ReviewerAssignment | None) -> bool:
    """Bids are read only after the opening, by reviewers who declared no conflict."""
    return tender.opened_at is not None and evaluation.has_declared(assignment)


def _shown_to(
    tender: Tender, assignment: ReviewerAssignment | None, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """While a reviewer scores without names (anonymous evaluation), the documents that name
    the bidder by nature stay hidden: its standing dossier documents (KvK extract, insurance,
    UEA, ...) and its partners' declarations. The bid's own uploads are there to score."""
    if anonymity.hides_names(tender, assignment):
        return [e for e in entries if e.get("source") == AttachmentSource.UPLOAD]
    return entries


def _opened_envelopes(opened: list[OpenedBid]) -> dict[int, dict[str, Any] | None]:
    """The quality envelopes of opened bids, checked against the digests of the opening
    record; by opened bid id. None for an envelope changed or damaged since the opening:
    the evaluation page still shows the other bids and says so, instead of failing."""
    if not opened:
        return {}
    by_bid = {o.bid_id: o for o in opened}
    with cross_tenant("after the opening, the buyer's evaluators list an opened bid's attachments"):
        sealed = db.session.execute(
            select(Bid.id, Bid.quality_sealed).where(Bid.id.in_(by_bid))
        ).all()
    key = sealing_key()
    envelopes: dict[int, dict[str, Any] | None] = {}
    for bid_id, blob in sealed:
        copy = by_bid[bid_id]
        try:
            envelopes[copy.id] = sealing.unseal(
                blob, key, aad(bid_id, "quality"), copy.quality_digest
            )
        except sealing.TamperedError:
            log.error("bid %s: sealed envelope no longer matches the opening record", bid_id)
            envelopes[copy.id] = None
    return envelopes


def _entries(envelope: dict[str, Any]) -> list[dict[str, Any]]:
    return [*envelope.get("attachments", []), *envelope.get("declarations", [])]


def opened_attachments(
    *, reader: User, tender: Tender, opened: list[OpenedBid]
) -> dict[int, list[dict[str, Any]] | None]:
    """What the evaluators see listed per opened bid (empty before the opening or for a
    reader who may not see the bids; None for a bid whose envelope was damaged since).
    The reader's assignment is read once, not per bid."""
    assignment = evaluation.assignment_of(tender, reader)
    if not _may_read_opened(tender, assignment):
        return {}
    return {
        opened_id: None if envelope is None else _shown_to(tender, assignment, _entries(envelope))
        for opened_id, envelope in _opened_envelopes(
            [o for o in opened if o.tender_id == tender.id]
        ).items()
    }


def opened_attachment(
    *, reader: User, tender: Tender, opened_bid_id: int, attachment_id: int
) -> tuple[dict[str, Any], bytes] | None:
    """One attachment of an opened bid of the acting buyer's tender, decrypted, with its
    SHA-256 checked against the sealed envelope (``TamperedError`` when it differs).
    None when the tender is not opened, the bid was not opened, or the reader may not see
    bids."""
    assignment = evaluation.assignment_of(tender, reader)
    if not _may_read_opened(tender, assignment):
        return None
    copy = db.session.scalar(  # scoped to the buyer: its own copy of an opened bid
        select(OpenedBid).where(OpenedBid.id == opened_bid_id, OpenedBid.tender_id == tender.id)
    )
    if copy is None:
        return None
    envelope = _opened_envelopes([copy])[copy.id]
    if envelope is None:
        raise sealing.TamperedError()
    shown = _shown_to(tender, assignment, _entries(envelope))
    entry = next((e for e in shown if e.get("id") == attachment_id), None)
    if entry is None:
        return None
    with cross_tenant("after the opening, an evaluator fetches an opened bid's attachment"):
        if entry["source"] == AttachmentSource.UPLOAD:
            row = db.session.scalar(
                select(BidAttachment).where(
                    BidAttachment.id == attachment_id, BidAttachment.bid_id == copy.bid_id
                )
            )
            if row is None:
                return None
            blob = files.read(row.tenant_id, row.stored_name, area=ATTACHMENT_AREA)
            data = _decrypt(blob, _aad(row.bid_id, row.id, "file"))
        else:
            document = db.session.get(DossierDocument, entry["document"])
            if document is None:
                return None
            data = read_document(document)
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), entry["sha256"]):
        log.warning("attachment %s of opened bid %s differs from its seal", attachment_id, copy.id)
        raise sealing.TamperedError()
    return entry, data


# -- reminders before a document expires ---------------------------------------------------------
def due_reminders(today: date) -> list[tuple[int, int, date]]:
    """(document, organisation, reminder date) for every current document with a reminder
    due today. The reminder date is the latest of the REMINDER_DAYS marks already reached,
    so a day missed by the scheduler is caught up without sending an older reminder too."""
    horizon = today + timedelta(days=max(REMINDER_DAYS))
    with cross_tenant("the daily sweep finds dossier documents about to expire"):
        rows = db.session.execute(
            select(DossierDocument.id, DossierDocument.tenant_id, DossierDocument.expires_on)
            .where(
                DossierDocument.superseded_at.is_(None),
                DossierDocument.expires_on >= today,
                DossierDocument.expires_on <= horizon,
            )
            .order_by(DossierDocument.id)
        ).all()
    due = []
    for document_id, tenant_id, expires_on in rows:
        days_left = (expires_on - today).days
        mark = min(days for days in REMINDER_DAYS if days_left <= days)
        due.append((document_id, tenant_id, expires_on - timedelta(days=mark)))
    return due


@periodic("dossier.remind_expiry")
def schedule_reminders(now: datetime) -> int:
    """Run by ``koepel tick``: one reminder job per document and reminder date, acting for
    the document's organisation; the key makes a second run enqueue nothing new."""
    due = due_reminders(local_today(now))
    for document_id, tenant_id, remind_on in due:
        enqueue(
            "dossier.remind",
            tenant_id=tenant_id,
            kwargs={"document_id": document_id, "remind_on": remind_on.isoformat()},
            key=f"dossier.remind:{document_id}:{remind_on.isoformat()}",
        )
    return len(due)


def managers_of(org: Organisation) -> list[User]:
    roles = sorted(policy.ACTIONS["dossier.manage"])
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.is_active_account.is_(True),
                User.id.in_(
                    select(OrgRole.user_id).where(
                        OrgRole.organisation_id == org.id, OrgRole.role.in_(roles)
                    )
                ),
            )
            .order_by(User.id)
        )
    )


@job("dossier.remind")
def remind(ctx: JobContext, document_id: int, remind_on: str) -> None:
    """E-mail the organisation's managers that a document expires (runs in its scope)."""
    document = get_document(document_id)
    if document is None or document.superseded_at is not None or document.expires_on is None:
        return  # replaced meanwhile: nothing to remind of
    org = db.session.get(Organisation, ctx.tenant_id)
    days = (document.expires_on - date.fromisoformat(remind_on)).days
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/{org.slug}/dossier"
    expires = _date(document.expires_on)
    body = "\n".join(
        [
            ngettext(
                "Het document %(title)s (%(kind)s) in het dossier van %(org)s verloopt op "
                "%(date)s, over %(num)d dag.",
                "Het document %(title)s (%(kind)s) in het dossier van %(org)s verloopt op "
                "%(date)s, over %(num)d dagen.",
                days,
                title=document.title,
                kind=KIND_LABELS[document.kind],
                org=org.name,
                date=expires,
            ),
            "",
            _(
                "Voeg op tijd een nieuwe versie toe. Een verlopen document kunt u niet meer "
                "meesturen met een inschrijving."
            ),
            "",
            link,
        ]
    )
    for user in managers_of(org):
        queue_email(
            to=user.email,
            subject=_("Document in uw dossier verloopt op %(date)s", date=expires),
            body=body + "\n",
            tenant_id=org.id,
        )


# -- demo ----------------------------------------------------------------------------------------
def load_demo(orgs: dict[str, Organisation]) -> int:
    """The Alphen coalition: the lead party Kwadraad keeps a dossier in which the
    insurance expires within three weeks; it and every partner keep their own UEA
    declaration (which goes with their confirmation). Call it before the Alphen bid is
    made. Idempotent: a kind already present is not added again."""
    from koepel.bids.demo import ALPHEN_MAIN, ALPHEN_SUB, _slug

    today = local_today()
    created = 0
    lead = orgs.get("kwadraad")
    if lead is None:
        return 0
    wanted = [
        (lead, DossierKind.KVK, "Uittreksel KvK Kwadraad", today - timedelta(days=40), None),
        (
            lead,
            DossierKind.INSURANCE,
            "Aansprakelijkheidsverzekering",
            today - timedelta(days=345),
            today + timedelta(days=20),
        ),
    ]
    for org in [lead, *(orgs.get(_slug(name)) for name in ALPHEN_MAIN + ALPHEN_SUB)]:
        if org is not None:
            wanted.append(
                (
                    org,
                    DossierKind.UEA,
                    f"Eigen verklaring {org.name}",
                    today - timedelta(days=30),
                    today + timedelta(days=335),
                )
            )
    for org, kind, title, valid_from, expires_on in wanted:
        with acting_for(org.id):
            if _current_of(kind, title) is not None:
                continue
            text = f"{title}\nDemonstratiedocument van {org.name} in koepel.\n"
            add_document(
                actor=None,
                org=org,
                kind=kind,
                title=title,
                filename=f"{_slug(title)}.txt",
                data=text.encode(),
                valid_from=valid_from,
                expires_on=expires_on,
            )
            created += 1
    return created
