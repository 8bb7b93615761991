"""Bids: owned by the lead bidder, sealed (encrypted) until the tender's opening.

The buyer never reads these rows: at the opening it gets its own copies (``OpenedBid``).
Consortium partners read the bid they are in through a named policy function.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.platform.extensions import db
from koepel.platform.models import Organisation
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow
from koepel.tenants.models._types import str_enum


class BidStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class PartnerRole(enum.StrEnum):
    MAIN = "main"  # hoofdaannemer
    SUB = "sub"  # onderaannemer


class Bid(TenantOwned, db.Model):
    __tablename__ = "bid"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    status: Mapped[BidStatus] = mapped_column(str_enum(BidStatus), default=BidStatus.DRAFT)
    # Draft content, visible to the bidder (and partners) only; cleared on submission.
    draft: Mapped[str] = mapped_column(Text, default="{}")
    # The sealed envelopes: AES-GCM ciphertexts and SHA-256 digests of exactly what was sent.
    quality_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    price_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    quality_digest: Mapped[str | None] = mapped_column(String(64))
    price_digest: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=0)  # resubmissions before the deadline
    # A correction of the tender came after this bid was submitted: the bidder confirms
    # the bid still stands (or withdraws and resubmits). See koepel.bids.corrections.
    needs_reconfirmation: Mapped[bool] = mapped_column(default=False, server_default=false())
    reconfirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    partners: Mapped[list[BidPartner]] = relationship(
        back_populates="bid", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # One live bid per bidder per lot; withdrawn ones are kept.
        Index("ix_bid_tenant_tender_lot", "tenant_id", "tender_id", "lot_id"),
    )


class BidPartner(TenantOwned, db.Model):
    """A consortium partner (the lead party is the bid's tenant)."""

    __tablename__ = "bid_partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[PartnerRole] = mapped_column(str_enum(PartnerRole))
    share: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))  # percent of value
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    bid: Mapped[Bid] = relationship(back_populates="partners")
    partner: Mapped[Organisation] = relationship(foreign_keys=[partner_id])

    __table_args__ = (UniqueConstraint("tenant_id", "bid_id", "partner_id"),)
