"""Tenders (owned by the buyer: a municipality or region), their lots, award criteria and
pass/fail quality requirements."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.platform.extensions import db
from koepel.platform.money import MoneyType
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow
from koepel.tenants.models._types import str_enum


class Procedure(enum.StrEnum):
    OPEN = "open"  # openbare aanbesteding
    SOCIAL = "social"  # maatschappelijk / bestuurlijk aanbesteden
    FRAMEWORK = "framework"  # raamovereenkomst
    CHALLENGE = "challenge"  # vervolg op een Right to Challenge
    SUBSIDY = "subsidy"  # subsidieoproep


class TenderStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    OPENED = "opened"
    EVALUATED = "evaluated"
    AWARDED = "awarded"
    CANCELLED = "cancelled"


class LotKind(enum.StrEnum):
    GEOGRAPHIC = "geographic"
    THEMATIC = "thematic"


class CriterionKind(enum.StrEnum):
    PRICE = "price"
    QUALITY = "quality"
    SOCIAL_VALUE = "social_value"  # maatschappelijke meerwaarde
    OTHER = "other"


class Tender(TenantOwned, db.Model):
    __tablename__ = "tender"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    procedure: Mapped[Procedure] = mapped_column(str_enum(Procedure))
    status: Mapped[TenderStatus] = mapped_column(str_enum(TenderStatus), default=TenderStatus.DRAFT)
    estimated_value: Mapped[Decimal | None] = mapped_column(MoneyType())
    questions_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submission_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    standstill_days: Mapped[int] = mapped_column(default=20)
    # Two envelopes: quality is scored before prices are revealed.
    price_after_quality: Mapped[bool] = mapped_column(default=False)
    # Reviewers see "Inschrijver A, B, ..." instead of names until the award is decided.
    anonymous_evaluation: Mapped[bool] = mapped_column(default=False, server_default=false())
    show_bid_count: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lots: Mapped[list[Lot]] = relationship(back_populates="tender", order_by="Lot.number")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="tender", order_by="Criterion.id"
    )
    requirements: Mapped[list[Requirement]] = relationship(
        back_populates="tender", order_by="Requirement.id"
    )

    __table_args__ = (
        Index("ix_tender_tenant_status", "tenant_id", "status"),
        CheckConstraint("standstill_days >= 20", name="standstill_at_least_20_days"),
    )

    @property
    def ocid(self) -> str:
        """The OCDS contracting process id: the deployment's registered prefix + our id."""
        from flask import current_app

        return f"{current_app.config['OCDS_OCID_PREFIX']}-{self.id}"


class Lot(TenantOwned, db.Model):
    __tablename__ = "lot"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[LotKind] = mapped_column(str_enum(LotKind))
    area: Mapped[str] = mapped_column(String(500), default="")  # districts, villages, postcodes
    budget: Mapped[Decimal] = mapped_column(MoneyType())
    # Part of the budget (percent) only citizen initiatives (cooperatives, umbrellas) may win.
    reserved_share: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))

    tender: Mapped[Tender] = relationship(back_populates="lots")

    __table_args__ = (
        UniqueConstraint("tenant_id", "tender_id", "number"),
        CheckConstraint(
            "reserved_share >= 0 AND reserved_share <= 100", name="reserved_share_percent"
        ),
    )


class Criterion(TenantOwned, db.Model):
    """An award criterion with its weight (percent; a tender's weights sum to 100)."""

    __tablename__ = "criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[CriterionKind] = mapped_column(str_enum(CriterionKind))
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    max_points: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("10"))

    tender: Mapped[Tender] = relationship(back_populates="criteria")


class Requirement(TenantOwned, db.Model):
    """A pass/fail quality requirement (VOG for volunteers, complaint procedure, privacy).
    ``equivalent`` names what a small initiative may offer instead (proportionality)."""

    __tablename__ = "requirement"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    equivalent: Mapped[str] = mapped_column(String(500), default="")

    tender: Mapped[Tender] = relationship(back_populates="requirements")
