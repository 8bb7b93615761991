"""Questions and answers (nota van inlichtingen), versioned tender documents and corrections.

Who owns what, and why:

- ``TenderInterest`` and ``AskedQuestion`` belong to the bidder. The buyer never reads them,
  so it cannot learn who is interested in its tender or who asked what; they are read
  across tenants only to send the interested parties their notifications.
- ``TenderQuestion`` belongs to the buyer and deliberately has no column for the asker.
- ``TenderDocument``, ``TenderNota`` and ``TenderCorrection`` belong to the buyer and are
  public to bidders once the tender is published. A published document is never deleted:
  it is marked withdrawn (vervallen) and a new version points to the one it replaces.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.bids.models.tenders import Lot
from koepel.platform.extensions import db
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow
from koepel.tenants.models._types import str_enum


class TenderInterest(TenantOwned, db.Model):
    """A bidder organisation registered interest in a published tender (tenant: bidder)."""

    __tablename__ = "tender_interest"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "tender_id"),)


class TenderCorrection(TenantOwned, db.Model):
    """A numbered correction (rectificatie) of a published tender, with its reason."""

    __tablename__ = "tender_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"))
    number: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    # What changed, in plain terms: deadline before/after, text, documents added/withdrawn.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (UniqueConstraint("tenant_id", "tender_id", "number"),)


class DocumentKind(enum.StrEnum):
    DOCUMENT = "document"  # uploaded by the buyer
    NOTA = "nota"  # a nota van inlichtingen, rendered when it was published


class TenderDocument(TenantOwned, db.Model):
    """One version of a tender document (tenant: buyer)."""

    __tablename__ = "tender_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"))
    kind: Mapped[DocumentKind] = mapped_column(
        str_enum(DocumentKind), default=DocumentKind.DOCUMENT
    )
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, for the download
    stored_name: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the bytes
    version: Mapped[int] = mapped_column(default=1)
    # The version this one replaces (which is then withdrawn); a version is replaced once.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("tender_document.id"), unique=True)
    # The correction that published it (None: part of the tender as first published).
    correction_id: Mapped[int | None] = mapped_column(ForeignKey("tender_correction.id"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Withdrawn (vervallen): still shown and downloadable, marked as such.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_correction_id: Mapped[int | None] = mapped_column(
        ForeignKey("tender_correction.id")
    )

    __table_args__ = (Index("ix_tender_document_tenant_tender", "tenant_id", "tender_id"),)

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class TenderNota(TenantOwned, db.Model):
    """A numbered nota van inlichtingen: answers published together at one instant."""

    __tablename__ = "tender_nota"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"))
    number: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("tender_document.id"))

    document: Mapped[TenderDocument] = relationship()

    __table_args__ = (UniqueConstraint("tenant_id", "tender_id", "number"),)


class TenderQuestion(TenantOwned, db.Model):
    """A bidder's question as the buyer holds it: never with the asker (tenant: buyer)."""

    __tablename__ = "tender_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    nota_id: Mapped[int | None] = mapped_column(ForeignKey("tender_nota.id"))
    number: Mapped[int | None]  # its row in the nota

    lot: Mapped[Lot | None] = relationship()
    nota: Mapped[TenderNota | None] = relationship()

    __table_args__ = (Index("ix_tender_question_tenant_tender", "tenant_id", "tender_id"),)

    @property
    def published(self) -> bool:
        return self.nota_id is not None


class AskedQuestion(TenantOwned, db.Model):
    """The asker's own link to its question, so it can follow it (tenant: asker)."""

    __tablename__ = "asked_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("tender_question.id"), unique=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
