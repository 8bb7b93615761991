"""The bidder's reusable dossier of standing documents, bid attachments and consortium
declarations."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from koepel.platform.extensions import db
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow
from koepel.tenants.models._types import str_enum


class DossierKind(enum.StrEnum):
    KVK = "kvk_extract"  # uittreksel Kamer van Koophandel
    VOG_POLICY = "vog_policy"  # VOG-beleid voor vrijwilligers
    INSURANCE = "insurance"  # aansprakelijkheidsverzekering
    QUALITY_MARK = "quality_mark"  # keurmerk
    ANNUAL_ACCOUNTS = "annual_accounts"  # jaarrekening
    UEA = "uea"  # eigen verklaring (Uniform Europees Aanbestedingsdocument)
    OTHER = "other"


class DossierDocument(TenantOwned, db.Model):
    """One version of a standing document. A new version of the same kind replaces the
    current one (``superseded_at`` is set on the old one); versions are never deleted,
    because a bid may have sealed the digest of an older one."""

    __tablename__ = "dossier_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DossierKind] = mapped_column(str_enum(DossierKind))
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, for the download
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)  # None: does not expire
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("dossier_document.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_dossier_document_tenant_kind", "tenant_id", "kind", "superseded_at"),
        # The daily reminder sweep looks across organisations by expiry date.
        Index("ix_dossier_document_expires_on", "expires_on"),
    )


class AttachmentSource(enum.StrEnum):
    UPLOAD = "upload"  # a file for this bid only, encrypted at rest
    DOSSIER = "dossier"  # a document from the bidder's own dossier
    DECLARATION = "declaration"  # a consortium partner's own UEA, from the partner's dossier


class BidAttachment(TenantOwned, db.Model):
    """An attachment of a bid, owned by the bid's owner (the lead party).

    For an upload the file and its description (title, name, type, size, SHA-256) are
    AES-GCM encrypted with the sealing key, so neither the file store nor a database dump
    reveals them. A dossier document or a partner's declaration is referenced, not copied;
    at submission its SHA-256 is sealed into the quality envelope."""

    __tablename__ = "bid_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"))
    source: Mapped[AttachmentSource] = mapped_column(str_enum(AttachmentSource))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("dossier_document.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    stored_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    sealed_meta: Mapped[bytes | None] = mapped_column(LargeBinary)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_bid_attachment_tenant_bid", "tenant_id", "bid_id"),)
