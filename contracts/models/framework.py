"""Framework agreements: product catalogue and tariffs, volume agreements, call-offs,
4-weekly reports, adjustment proposals, innovation supplements and post-calculation.

Who owns what: the agreement and everything the buyer decides (catalogue, tariff versions,
parties and their volumes, call-offs, proposals, supplements, post-calculations) belong to
the buyer (a municipality or region). A provider's 4-weekly reports belong to the provider
that made them; the buyer reads them, and a provider reads its own share of the buyer's
rows, only through the named functions in ``koepel.contracts.frameworks``.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from koepel.platform.extensions import db
from koepel.platform.money import MoneyType
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow
from koepel.tenants.models._types import str_enum

Quantity = Numeric(12, 2)  # units, hours, day parts, rides: two decimals, never float


class AgreementStatus(enum.StrEnum):
    DRAFT = "draft"  # the buyer prepares catalogue, parties and volumes
    ACTIVE = "active"  # call-offs and reports; tariffs change only as a new version


class ProposalKind(enum.StrEnum):
    INCREASE = "increase"
    DECREASE = "decrease"


class ProposalStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a later period's proposal took its place


class FrameworkAgreement(TenantOwned, db.Model):
    """One year's framework agreement of a buyer with many providers; reporting runs in
    the 13 four-week periods of ``year``. Periods up to ``closed_through`` are closed."""

    __tablename__ = "framework_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int]
    status: Mapped[AgreementStatus] = mapped_column(
        str_enum(AgreementStatus), default=AgreementStatus.DRAFT
    )
    # The adjustment rule, in percent of the contracted number of clients.
    increase_above: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(5))
    decrease_below: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(10))
    closed_through: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_framework_agreement_tenant_status", "tenant_id", "status"),
        CheckConstraint("year >= 2000 AND year <= 2100", name="year_range"),
        CheckConstraint("closed_through >= 0 AND closed_through <= 13", name="closed_period"),
        CheckConstraint(
            "increase_above >= 0 AND increase_above <= 100 "
            "AND decrease_below >= 0 AND decrease_below <= 100",
            name="thresholds_percent",
        ),
    )


class FrameworkProduct(TenantOwned, db.Model):
    """A cell of the catalogue (group × level, or a transport kind) with its tariff in
    force; ``version`` counts the tariff's versions since the agreement became active."""

    __tablename__ = "framework_product"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("framework_agreement.id", ondelete="CASCADE")
    )
    product_group: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(30))
    unit: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text, default="")
    tariff: Mapped[Decimal] = mapped_column(MoneyType())
    version: Mapped[int] = mapped_column(default=1)

    __table_args__ = (
        UniqueConstraint("tenant_id", "agreement_id", "product_group", "level"),
        CheckConstraint("tariff >= 0", name="tariff_not_negative"),
    )


class FrameworkTariff(TenantOwned, db.Model):
    """A tariff version, kept for ever: version 1 is the tariff at activation."""

    __tablename__ = "framework_tariff"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("framework_product.id", ondelete="CASCADE"))
    version: Mapped[int]
    tariff: Mapped[Decimal] = mapped_column(MoneyType())
    reason: Mapped[str] = mapped_column(String(500), default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "product_id", "version"),)


class FrameworkParty(TenantOwned, db.Model):
    """A provider (or cooperative) in the agreement with its contracted number of clients
    at the start; accepted adjustment proposals change that number later."""

    __tablename__ = "framework_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("framework_agreement.id", ondelete="CASCADE")
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    clients: Mapped[int] = mapped_column(default=0)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("tenant_id", "agreement_id", "organisation_id"),
        # A provider looks up the agreements it is party to (across buyers).
        Index("ix_framework_party_organisation", "organisation_id"),
        CheckConstraint("clients >= 0", name="clients_not_negative"),
    )


class FrameworkVolume(TenantOwned, db.Model):
    """The agreed volume of one product for one party, next to the historical figure it
    was derived from."""

    __tablename__ = "framework_volume"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("framework_party.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("framework_product.id", ondelete="CASCADE"))
    volume: Mapped[Decimal] = mapped_column(Quantity)
    historical: Mapped[Decimal | None] = mapped_column(Quantity)

    __table_args__ = (
        UniqueConstraint("tenant_id", "party_id", "product_id"),
        CheckConstraint("volume >= 0", name="volume_not_negative"),
    )


class FrameworkIndicator(TenantOwned, db.Model):
    """A quality indicator of the post-calculation: bonus when met, malus when missed."""

    __tablename__ = "framework_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("framework_agreement.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    bonus: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    malus: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))

    __table_args__ = (UniqueConstraint("tenant_id", "agreement_id", "name"),)


class FrameworkCallOff(TenantOwned, db.Model):
    """An order for one client (a pseudonym, never a name) at the tariff version in force
    when it was placed. ``over_ceiling``: the buyer allowed it above the ceiling."""

    __tablename__ = "framework_call_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("framework_agreement.id", ondelete="CASCADE")
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("framework_party.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("framework_product.id"))
    client: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    tariff: Mapped[Decimal] = mapped_column(MoneyType())
    tariff_version: Mapped[int]
    start_on: Mapped[date]
    end_on: Mapped[date]
    over_ceiling: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_framework_call_off_tenant_agreement", "tenant_id", "agreement_id", "party_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("end_on >= start_on", name="ends_after_start"),
    )


class FrameworkReport(TenantOwned, db.Model):
    """A provider's report over one 4-week period (owned by the provider)."""

    __tablename__ = "framework_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("framework_agreement.id"))
    period: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_framework_report_agreement", "agreement_id", "period"),
        CheckConstraint("period >= 1 AND period <= 13", name="period_range"),
    )


class FrameworkReportLine(TenantOwned, db.Model):
    """Units delivered on one call-off in one period: once per call-off and period."""

    __tablename__ = "framework_report_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("framework_report.id", ondelete="CASCADE"))
    call_off_id: Mapped[int] = mapped_column(ForeignKey("framework_call_off.id"))
    period: Mapped[int]
    quantity: Mapped[Decimal] = mapped_column(Quantity)

    __table_args__ = (
        UniqueConstraint("tenant_id", "call_off_id", "period"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )


class FrameworkProposal(TenantOwned, db.Model):
    """The adjustment rule's proposal for one party after a period closed."""

    __tablename__ = "framework_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("framework_agreement.id", ondelete="CASCADE")
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("framework_party.id", ondelete="CASCADE"))
    period: Mapped[int]
    kind: Mapped[ProposalKind] = mapped_column(str_enum(ProposalKind))
    contracted_clients: Mapped[int]
    actual_clients: Mapped[int]
    ceiling: Mapped[Decimal] = mapped_column(MoneyType())
    amount: Mapped[Decimal] = mapped_column(MoneyType())
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus), default=ProposalStatus.OPEN
    )
    reason: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("tenant_id", "party_id", "period"),)


class FrameworkSupplement(TenantOwned, db.Model):
    """An innovation supplement: units converted from individual to group provision."""

    __tablename__ = "framework_supplement"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("framework_agreement.id", ondelete="CASCADE")
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("framework_party.id", ondelete="CASCADE"))
    individual_product_id: Mapped[int] = mapped_column(ForeignKey("framework_product.id"))
    group_product_id: Mapped[int] = mapped_column(ForeignKey("framework_product.id"))
    units: Mapped[Decimal] = mapped_column(Quantity)
    amount: Mapped[Decimal] = mapped_column(MoneyType())
    note: Mapped[str] = mapped_column(String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FrameworkPostCalculation(TenantOwned, db.Model):
    """The year-end post-calculation (nacalculatie) of one party; made again, it replaces
    the figures (the audit log keeps the earlier ones)."""

    __tablename__ = "framework_post_calculation"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("framework_agreement.id", ondelete="CASCADE")
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("framework_party.id", ondelete="CASCADE"))
    actual_clients: Mapped[int]
    delivered: Mapped[Decimal] = mapped_column(MoneyType())
    adjustment: Mapped[Decimal] = mapped_column(MoneyType())
    funded_ceiling: Mapped[Decimal] = mapped_column(MoneyType())
    funded: Mapped[Decimal] = mapped_column(MoneyType())
    quality_percent: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    quality: Mapped[Decimal] = mapped_column(MoneyType())
    supplements: Mapped[Decimal] = mapped_column(MoneyType())
    final: Mapped[Decimal] = mapped_column(MoneyType())
    advances: Mapped[Decimal] = mapped_column(MoneyType())
    balance: Mapped[Decimal] = mapped_column(MoneyType())
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # indicator -> met
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "party_id"),)
