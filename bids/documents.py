"""Tender documents, versioned: the buyer attaches them to a draft tender; once the tender is
published a document is added, replaced or withdrawn only through a correction
(``koepel.bids.corrections``). A document is never deleted: a replaced or withdrawn version
is marked withdrawn (vervallen), stays visible and downloadable, and the new version points
to the one it replaces.

Documents of a published tender are public to every bidder organisation; they are read
across tenants only through the named functions at the bottom.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from koepel.bids.models import Tender, TenderStatus
from koepel.bids.models.questions import DocumentKind, TenderCorrection, TenderDocument
from koepel.platform import audit, files
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import utcnow

AREA = "tender_documents"  # where the bytes live, one folder per buyer


class DocumentError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def check(title: str, filename: str, data: bytes) -> files.Upload:
    """The upload if its title, type and size are fine; else a message for the field."""
    if not (title or "").strip():
        raise DocumentError(_("Geef het document een titel."), "title")
    try:
        return files.check(filename, data)
    except files.UploadError as exc:
        raise DocumentError(str(exc), "file") from None


def _current(tender: Tender, document_id: int | None) -> TenderDocument | None:
    """A current (not withdrawn) uploaded document of this tender, or None."""
    if document_id is None:
        return None
    return db.session.scalar(
        select(TenderDocument).where(
            TenderDocument.id == document_id,
            TenderDocument.tender_id == tender.id,
            TenderDocument.kind == DocumentKind.DOCUMENT,
            TenderDocument.withdrawn_at.is_(None),
        )
    )


def replaceable(tender: Tender, document_id: int | None, field: str) -> TenderDocument | None:
    """The document ``document_id`` names, if it may be replaced or withdrawn."""
    if document_id is None:
        return None
    document = _current(tender, document_id)
    if document is None:
        raise DocumentError(
            _("Kies een document dat nog geldt. Een nota van inlichtingen blijft altijd staan."),
            field,
        )
    return document


def _may_change(tender: Tender, correction: TenderCorrection | None) -> None:
    if tender.status == TenderStatus.DRAFT:
        return
    if tender.status != TenderStatus.PUBLISHED:
        raise DocumentError(_("Deze aanbesteding is gesloten. De documenten veranderen niet meer."))
    if correction is None:
        raise DocumentError(
            _(
                "De aanbesteding is gepubliceerd. Een document verandert nu alleen met een "
                "rectificatie, zodat iedereen het bericht krijgt."
            )
        )


def store(
    *,
    actor: User,
    buyer: Organisation,
    tender: Tender,
    title: str,
    upload: files.Upload,
    kind: DocumentKind = DocumentKind.DOCUMENT,
    replaces: TenderDocument | None = None,
    correction: TenderCorrection | None = None,
    now: datetime | None = None,
) -> TenderDocument:
    """Keep the bytes and their record; the version it replaces is marked withdrawn."""
    now = now or utcnow()
    stored_name = files.store(buyer.id, upload.data, upload.suffix, area=AREA)
    document = TenderDocument(
        tenant_id=buyer.id,
        tender_id=tender.id,
        kind=kind,
        title=title.strip()[:300],
        filename=upload.filename,
        stored_name=stored_name,
        content_type=upload.content_type,
        size=upload.size,
        digest=hashlib.sha256(upload.data).hexdigest(),
        version=replaces.version + 1 if replaces else 1,
        replaces_id=replaces.id if replaces else None,
        correction_id=correction.id if correction else None,
        uploaded_by_id=actor.id,
        uploaded_at=now,
    )
    if replaces is not None:
        replaces.withdrawn_at = now
        replaces.withdrawn_by_correction_id = correction.id if correction else None
    db.session.add(document)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.document_added",
        obj_type="tender",
        obj_id=tender.id,
        after={
            "document": document.id,
            "title": document.title,
            "version": document.version,
            "replaces": document.replaces_id,
            "sha256": document.digest,
            "correction": correction.number if correction else None,
        },
    )
    return document


def add(
    *,
    actor: User,
    buyer: Organisation,
    tender: Tender,
    title: str,
    filename: str,
    data: bytes,
    replaces_id: int | None = None,
    correction: TenderCorrection | None = None,
    now: datetime | None = None,
) -> TenderDocument:
    """Attach a document, or a new version of one (the old version is then withdrawn).
    On a published tender only as part of a correction."""
    _may_change(tender, correction)
    upload = check(title, filename, data)
    replaces = replaceable(tender, replaces_id, "replaces")
    return store(
        actor=actor,
        buyer=buyer,
        tender=tender,
        title=title,
        upload=upload,
        replaces=replaces,
        correction=correction,
        now=now,
    )


def withdraw(
    *,
    actor: User,
    buyer: Organisation,
    tender: Tender,
    document_id: int,
    correction: TenderCorrection | None = None,
    now: datetime | None = None,
) -> TenderDocument:
    """Mark a document withdrawn without a new version. It stays visible as vervallen."""
    _may_change(tender, correction)
    document = replaceable(tender, document_id, "withdraw")
    document.withdrawn_at = now or utcnow()
    document.withdrawn_by_correction_id = correction.id if correction else None
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.document_withdrawn",
        obj_type="tender",
        obj_id=tender.id,
        after={
            "document": document.id,
            "title": document.title,
            "correction": correction.number if correction else None,
        },
    )
    return document


# -- reading -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Listing:
    """A tender's documents for a page: the ones that hold, and the earlier versions
    (withdrawn), each with the version that replaced it, if any."""

    current: list[TenderDocument]
    earlier: list[TenderDocument]
    replaced_by: dict[int, TenderDocument]


def listing(documents: list[TenderDocument]) -> Listing:
    replaced_by = {d.replaces_id: d for d in documents if d.replaces_id is not None}
    return Listing(
        current=[d for d in documents if not d.withdrawn],
        earlier=[d for d in documents if d.withdrawn],
        replaced_by=replaced_by,
    )


def documents_of(tender: Tender) -> list[TenderDocument]:
    """The acting buyer's documents of its tender (scoped), oldest first."""
    return list(
        db.session.scalars(
            select(TenderDocument)
            .where(TenderDocument.tender_id == tender.id)
            .order_by(TenderDocument.uploaded_at, TenderDocument.id)
        )
    )


def document_of(tender: Tender, document_id: int) -> TenderDocument | None:
    return db.session.scalar(
        select(TenderDocument).where(
            TenderDocument.id == document_id, TenderDocument.tender_id == tender.id
        )
    )


def _published(tender_id: int):
    return select(Tender.id).where(Tender.id == tender_id, Tender.status != TenderStatus.DRAFT)


def public_documents(tender_id: int) -> list[TenderDocument]:
    """Every version of the documents of a published tender, as every bidder may see them."""
    with cross_tenant("bidders read the documents of a published tender"):
        rows = db.session.scalars(
            select(TenderDocument)
            .where(TenderDocument.tender_id.in_(_published(tender_id)))
            .order_by(TenderDocument.uploaded_at, TenderDocument.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
    return list(rows)


def public_document(tender_id: int, document_id: int) -> TenderDocument | None:
    """One document of a published tender, for a bidder's download."""
    with cross_tenant("a bidder downloads a document of a published tender"):
        document = db.session.scalar(
            select(TenderDocument).where(
                TenderDocument.id == document_id,
                TenderDocument.tender_id.in_(_published(tender_id)),
            )
        )
        if document is not None:
            db.session.expunge(document)
    return document


def content(document: TenderDocument) -> bytes:
    return files.read(document.tenant_id, document.stored_name, area=AREA)
