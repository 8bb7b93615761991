"""Umbrella contracting on behalf of member cooperatives (the KZZN case).

- An **umbrella arrangement** (``UmbrellaContract``) belongs to the umbrella: it ties the
  umbrella's contract with a funder to the budget that passes volumes and money down to the
  participating members (``Budget.contract_id``), and says how often members report.
- A **member report** (``MemberReport``) belongs to the member cooperative that delivered the
  care: its own figures. The umbrella reads them only through the named function in
  ``koepel.contracts.umbrella_contracting`` for this contract; other members never.
- A **combined report** (``CombinedReport``) belongs to the umbrella: the figures sent to the
  funder for one period, made once by a job (PDF and XLSX); the funder reads it through a
  named function.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from koepel.platform.extensions import db
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow
from koepel.tenants.models._types import str_enum


class ReportPeriod(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


class CombinedStatus(enum.StrEnum):
    QUEUED = "queued"
    READY = "ready"
    FAILED = "failed"


class UmbrellaContract(TenantOwned, db.Model):
    __tablename__ = "umbrella_contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    budget_id: Mapped[int | None] = mapped_column(ForeignKey("budget.id"))
    period: Mapped[ReportPeriod] = mapped_column(str_enum(ReportPeriod))
    unit: Mapped[str] = mapped_column(String(40))  # what a volume counts, e.g. "uren"
    # The funder sees each member's line in the combined report (else only the totals).
    funder_sees_members: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "contract_id"),)


class MemberReport(TenantOwned, db.Model):
    """What one member delivered under the umbrella's contract in one period."""

    __tablename__ = "member_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    volume: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    hours: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_id", "period_start"),
        # The umbrella's named read: every member's reports of one contract.
        Index("ix_member_report_contract", "contract_id", "period_start"),
        CheckConstraint("volume >= 0", name="volume_not_negative"),
        CheckConstraint("hours >= 0", name="hours_not_negative"),
        CheckConstraint("period_end >= period_start", name="period_in_order"),
    )


class CombinedReport(TenantOwned, db.Model):
    __tablename__ = "combined_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[CombinedStatus] = mapped_column(
        str_enum(CombinedStatus), default=CombinedStatus.QUEUED
    )
    job_run_id: Mapped[str | None] = mapped_column(String(36))
    pdf_name: Mapped[str | None] = mapped_column(String(100))
    xlsx_name: Mapped[str | None] = mapped_column(String(100))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_id", "period_start"),
        Index("ix_combined_report_contract", "contract_id"),
    )
