"""The buyer's side after the deadline: the four-eyes opening, its copies of the opened
bids, reviewers and their scores, consensus, and the award per lot."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.platform.extensions import db
from koepel.platform.money import MoneyType
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow


class TenderOpening(TenantOwned, db.Model):
    """Four eyes: a first official starts the opening, a different one confirms it."""

    __tablename__ = "tender_opening"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), unique=True)
    first_official_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    second_official_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    record: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the proces-verbaal


class OpenedBid(TenantOwned, db.Model):
    """The buyer's copy of a bid, made at the opening from the decrypted envelopes."""

    __tablename__ = "opened_bid"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"), unique=True)
    bidder_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    bidder_name: Mapped[str] = mapped_column(String(300))
    citizen_initiative: Mapped[bool] = mapped_column(default=False)  # may win a reserved share
    partners: Mapped[list[Any]] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    quality: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    quality_digest: Mapped[str] = mapped_column(String(64))
    price: Mapped[Decimal | None] = mapped_column(MoneyType())  # None until prices are revealed
    price_digest: Mapped[str] = mapped_column(String(64))
    price_revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    excluded_reason: Mapped[str | None] = mapped_column(Text)


class ReviewerAssignment(TenantOwned, db.Model):
    __tablename__ = "reviewer_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    is_chair: Mapped[bool] = mapped_column(default=False)
    no_conflict_declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("tenant_id", "tender_id", "reviewer_id"),)


class ReviewerScore(TenantOwned, db.Model):
    __tablename__ = "reviewer_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    points: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    motivation: Mapped[str] = mapped_column(Text)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("tenant_id", "opened_bid_id", "criterion_id", "reviewer_id"),
    )


class ConsensusScore(TenantOwned, db.Model):
    __tablename__ = "consensus_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    points: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    motivation: Mapped[str] = mapped_column(Text)
    chair_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (UniqueConstraint("tenant_id", "opened_bid_id", "criterion_id"),)


class AwardDecision(TenantOwned, db.Model):
    __tablename__ = "award_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), unique=True)
    winner_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id"))
    reserved_winner_id: Mapped[int | None] = mapped_column(ForeignKey("opened_bid.id"))
    ranking: Mapped[list[Any]] = mapped_column(JSON, default=list)  # opened bid ids, rank order
    tie_rule: Mapped[str] = mapped_column(String(60))
    reasons: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    letters_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    standstill_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    winner: Mapped[OpenedBid] = relationship(foreign_keys=[winner_id])
