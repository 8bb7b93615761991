"""Award letters as documents and objections lodged during the standstill period.

Both belong to the buyer: the letter is the buyer's record of what it told each bidder at
the one instant of sending, the objection is part of the buyer's procedure and it must
answer it. A bidder reaches them only through named reads and writes in
``koepel.bids.letters`` and ``koepel.bids.objections`` (its own letter, its own objections).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from koepel.platform.extensions import db
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow
from koepel.tenants.models._types import str_enum


class AwardLetter(TenantOwned, db.Model):
    """One bidder's award letter. ``content`` is the snapshot taken at sending (scores,
    rank, winner, reasons, standstill end): the PDF is rendered from it later, so it shows
    exactly what was decided at that instant. A withdrawn award keeps its letters, marked."""

    __tablename__ = "award_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))  # the bidder's own bid
    bidder_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    standstill_ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The rendered PDF (platform file store, buyer's folder) and its SHA-256.
    pdf_name: Mapped[str | None] = mapped_column(String(100))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None]
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_award_letter_tenant_tender", "tenant_id", "tender_id"),
        Index("ix_award_letter_bid_id", "bid_id"),  # the bidder's way in
    )


class ObjectionGround(enum.StrEnum):
    SCORES = "scores"  # de beoordeling van de eigen inschrijving
    EXCLUSION = "exclusion"  # de uitsluiting
    WINNER = "winner"  # de winnende inschrijving
    PROCEDURE = "procedure"  # de procedure of de motivering
    OTHER = "other"


class ObjectionOutcome(enum.StrEnum):
    UPHELD = "upheld"  # gegrond
    REJECTED = "rejected"  # ongegrond


class Objection(TenantOwned, db.Model):
    """A bidder's objection (bezwaar) against its award letter, and the buyer's answer."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"))
    letter_id: Mapped[int] = mapped_column(ForeignKey("award_letter.id"))
    bidder_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    grounds: Mapped[ObjectionGround] = mapped_column(str_enum(ObjectionGround))
    text: Mapped[str] = mapped_column(Text)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lodged_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[ObjectionOutcome | None] = mapped_column(str_enum(ObjectionOutcome))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (
        Index("ix_objection_tenant_tender", "tenant_id", "tender_id"),
        Index("ix_objection_letter_id", "letter_id"),
    )
