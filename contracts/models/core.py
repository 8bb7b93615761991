"""Contracts, their parties and signatures, options, documents, KPIs, payments, and
partnership agreements between a cooperative and a provider.

A contract is owned by the organisation that manages it (the buyer or funder, or an
umbrella that contracts on behalf of its members). Every row that belongs to a contract
(parties, signatures, KPI values, payments) lives in the owner's tenant: a party reads and
writes its part only through the named functions in ``koepel.contracts.contracting``,
``koepel.contracts.kpis`` and ``koepel.contracts.contract_payments``.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.platform.extensions import db
from koepel.platform.models import Organisation
from koepel.platform.money import MoneyType
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow
from koepel.tenants.models._types import str_enum


class ContractKind(enum.StrEnum):
    AWARD = "award"  # after a tender
    SUBSIDY = "subsidy"
    PILOT = "pilot"  # agreed after a Right to Challenge
    INSURER = "insurer"  # with a health insurer (personal care, nursing)
    TRANSITIONAL = "transitional"  # one year for every existing provider
    OTHER = "other"


class ContractStatus(enum.StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"  # every required signature is there
    ACTIVE = "active"
    ENDED = "ended"
    TERMINATED = "terminated"  # ended early, with a reason


class PartyRole(enum.StrEnum):
    BUYER = "buyer"  # opdrachtgever
    FUNDER = "funder"  # financier (insurer, fund)
    LEAD = "lead"  # penvoerder: a main contractor that holds the pen
    MAIN = "main"  # hoofdaannemer
    SUB = "sub"  # onderaannemer
    MEMBER = "member"  # a member cooperative taking part in an umbrella's contract


class PaymentFrequency(enum.StrEnum):
    MONTHS = "months"
    FOUR_WEEKS = "four_weeks"


class OptionStatus(enum.StrEnum):
    OPEN = "open"
    EXERCISED = "exercised"  # the contract is extended
    DECLINED = "declined"


class KpiDirection(enum.StrEnum):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"


class KpiPeriod(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class PaymentKind(enum.StrEnum):
    ADVANCE = "advance"  # voorschot
    SUPPLEMENT = "supplement"  # toeslag
    SETTLEMENT = "settlement"  # eindafrekening (negative: paid back)


class PaymentStatus(enum.StrEnum):
    PLANNED = "planned"
    PAID = "paid"


class Contract(TenantOwned, db.Model):
    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ContractKind] = mapped_column(str_enum(ContractKind))
    status: Mapped[ContractStatus] = mapped_column(
        str_enum(ContractStatus), default=ContractStatus.DRAFT
    )
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tender.id"))
    # A pilot agreed after a Right to Challenge: the municipality's own assessment row.
    challenge_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("challenge_assessment.id")
    )
    # The contract this one follows (multi-year after a transitional year).
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    value: Mapped[Decimal | None] = mapped_column(MoneyType())  # the initial term's total
    yearly_amount: Mapped[Decimal | None] = mapped_column(MoneyType())  # base of the advances
    payment_frequency: Mapped[PaymentFrequency] = mapped_column(
        str_enum(PaymentFrequency), default=PaymentFrequency.MONTHS
    )
    start_date: Mapped[date] = mapped_column(Date)
    initial_months: Mapped[int]
    option_reminder_days: Mapped[int] = mapped_column(default=90)
    kpi_window_days: Mapped[int] = mapped_column(default=60)  # reporting after a period ends
    # Whether every party sees every party's payments (else each its own).
    shares_figures: Mapped[bool] = mapped_column(default=False)
    closing_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    parties: Mapped[list[ContractParty]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractParty.id"
    )
    options: Mapped[list[ContractOption]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractOption.number"
    )
    lots: Mapped[list[ContractLot]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractLot.id"
    )

    __table_args__ = (
        Index("ix_contract_tenant_status", "tenant_id", "status"),
        Index("ix_contract_tenant_tender", "tenant_id", "tender_id"),
        CheckConstraint("initial_months > 0", name="initial_months_positive"),
        CheckConstraint("option_reminder_days >= 0", name="reminder_days_not_negative"),
        CheckConstraint("kpi_window_days >= 0", name="kpi_window_not_negative"),
    )

    @property
    def end_date(self) -> date:
        """The last day in force: the initial term plus every exercised option."""
        months = self.initial_months + sum(
            o.months for o in self.options if o.status == OptionStatus.EXERCISED
        )
        return add_months(self.start_date, months) - timedelta(days=1)

    @property
    def initial_end_date(self) -> date:
        return add_months(self.start_date, self.initial_months) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the last day of a shorter month)."""
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class ContractLot(TenantOwned, db.Model):
    """A lot of the tender the contract came from, with the award and winning bid."""

    __tablename__ = "contract_lot"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    award_id: Mapped[int | None] = mapped_column(ForeignKey("award_decision.id"))
    opened_bid_id: Mapped[int | None] = mapped_column(ForeignKey("opened_bid.id"))

    contract: Mapped[Contract] = relationship(back_populates="lots")

    __table_args__ = (
        # One contract per winning bid of an award.
        UniqueConstraint("tenant_id", "award_id", "opened_bid_id"),
        Index("ix_contract_lot_tenant_contract", "tenant_id", "contract_id"),
    )


class ContractParty(TenantOwned, db.Model):
    __tablename__ = "contract_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    role: Mapped[PartyRole] = mapped_column(str_enum(PartyRole))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="parties")
    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])

    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_id", "organisation_id"),
        # A party's named read: the contracts it is party to, whoever owns them.
        Index("ix_contract_party_organisation", "organisation_id", "tenant_id"),
    )


class ContractSignature(TenantOwned, db.Model):
    """``party`` signed the agreement with ``counterparty`` (each side signs its own row)."""

    __tablename__ = "contract_signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    party_id: Mapped[int] = mapped_column(ForeignKey("contract_party.id", ondelete="CASCADE"))
    counterparty_id: Mapped[int] = mapped_column(
        ForeignKey("contract_party.id", ondelete="CASCADE")
    )
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("tenant_id", "party_id", "counterparty_id"),
        Index("ix_contract_signature_tenant_contract", "tenant_id", "contract_id"),
        CheckConstraint("party_id <> counterparty_id", name="not_with_itself"),
    )


class ContractOption(TenantOwned, db.Model):
    """An option to extend the contract, decided on or before ``decision_date``."""

    __tablename__ = "contract_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    number: Mapped[int]
    months: Mapped[int]
    decision_date: Mapped[date] = mapped_column(Date)
    status: Mapped[OptionStatus] = mapped_column(str_enum(OptionStatus), default=OptionStatus.OPEN)
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The decision date the managers were reminded of (a moved date earns a new reminder).
    reminded_for: Mapped[date | None] = mapped_column(Date)

    contract: Mapped[Contract] = relationship(back_populates="options")

    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_id", "number"),
        # The reminder task's scan: open options by decision date.
        Index("ix_contract_option_status_date", "status", "decision_date"),
        CheckConstraint("months > 0", name="months_positive"),
    )


class ContractDocument(TenantOwned, db.Model):
    """One version of a contract document; a new version replaces, never deletes."""

    __tablename__ = "contract_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(default=1)
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the bytes
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("contract_document.id"), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_contract_document_tenant_contract", "tenant_id", "contract_id"),)


class ContractKpi(TenantOwned, db.Model):
    __tablename__ = "contract_kpi"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(40))
    target: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    direction: Mapped[KpiDirection] = mapped_column(str_enum(KpiDirection))
    period: Mapped[KpiPeriod] = mapped_column(str_enum(KpiPeriod))

    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_id", "name"),
        Index("ix_contract_kpi_tenant_contract", "tenant_id", "contract_id"),
    )


class KpiValue(TenantOwned, db.Model):
    """A value a contractor reported for one period of a KPI."""

    __tablename__ = "kpi_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("contract_kpi.id", ondelete="CASCADE"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    reported_by_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("tenant_id", "kpi_id", "period_start"),
        Index("ix_kpi_value_tenant_contract", "tenant_id", "contract_id"),
    )


class ContractPayment(TenantOwned, db.Model):
    """A payment by the owner to a party (a negative settlement: the party pays back)."""

    __tablename__ = "contract_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    party_id: Mapped[int] = mapped_column(ForeignKey("contract_party.id"))
    kind: Mapped[PaymentKind] = mapped_column(str_enum(PaymentKind))
    year: Mapped[int]
    period_index: Mapped[int | None]  # advances: the period of the year
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MoneyType())
    # Supplements: deducted at the final settlement (True) or kept by the party (False).
    settled: Mapped[bool] = mapped_column(default=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus), default=PaymentStatus.PLANNED
    )
    paid_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_contract_payment_tenant_contract", "tenant_id", "contract_id", "party_id"),
        # An advance per party and period, once.
        UniqueConstraint("tenant_id", "contract_id", "party_id", "kind", "year", "period_index"),
    )


class ContractSettlement(TenantOwned, db.Model):
    """The final settlement of one party's year: delivered against what was paid."""

    __tablename__ = "contract_settlement"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    party_id: Mapped[int] = mapped_column(ForeignKey("contract_party.id"))
    year: Mapped[int]
    delivered: Mapped[Decimal] = mapped_column(MoneyType())
    advances: Mapped[Decimal] = mapped_column(MoneyType())
    settled_supplements: Mapped[Decimal] = mapped_column(MoneyType())
    kept_supplements: Mapped[Decimal] = mapped_column(MoneyType())
    balance: Mapped[Decimal] = mapped_column(MoneyType())
    summary: Mapped[str] = mapped_column(Text)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("contract_payment.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "contract_id", "party_id", "year"),)


# -- partnership agreements ------------------------------------------------------------------
class PartnershipStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"  # the partner agreed
    ENDED = "ended"


class PartnershipAgreement(TenantOwned, db.Model):
    """A basic agreement between a cooperative and a provider (no tender). Owned by the
    side that wrote it; the partner reads it and agrees through named functions."""

    __tablename__ = "partnership_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(300))
    mission: Mapped[str] = mapped_column(Text, default="")
    way_of_working: Mapped[str] = mapped_column(Text, default="")
    own_contact: Mapped[str] = mapped_column(String(300), default="")
    partner_contact: Mapped[str] = mapped_column(String(300), default="")
    # Money: e.g. the cooperative runs part of the provider's day activities and receives
    # that part of the funding, as a percentage or an amount a year.
    money_description: Mapped[str] = mapped_column(Text, default="")
    money_percentage: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    money_amount: Mapped[Decimal | None] = mapped_column(MoneyType())
    responsible_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    responsibility_note: Mapped[str] = mapped_column(Text, default="")
    # The agreed split of tasks per client (percent; together exactly 100).
    professional_share: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    volunteer_share: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    family_share: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    deviations: Mapped[str] = mapped_column(Text, default="")  # agreed deviations from rules
    status: Mapped[PartnershipStatus] = mapped_column(
        str_enum(PartnershipStatus), default=PartnershipStatus.DRAFT
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The agreement this one continues with a new partner (at most one successor).
    predecessor_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership_agreement.id"), unique=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    partner: Mapped[Organisation] = relationship(foreign_keys=[partner_id])
    criteria: Mapped[list[PartnershipCriterion]] = relationship(
        back_populates="agreement",
        cascade="all, delete-orphan",
        order_by="PartnershipCriterion.position",
    )

    __table_args__ = (
        Index("ix_partnership_partner", "partner_id", "tenant_id"),
        CheckConstraint(
            "professional_share + volunteer_share + family_share = 100", name="split_is_100"
        ),
        CheckConstraint(
            "money_percentage IS NULL OR (money_percentage >= 0 AND money_percentage <= 100)",
            name="money_percentage_range",
        ),
    )


class PartnershipCriterion(TenantOwned, db.Model):
    """A quality criterion the members asked for (familiar faces, less paperwork, ...)."""

    __tablename__ = "partnership_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("partnership_agreement.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")

    agreement: Mapped[PartnershipAgreement] = relationship(back_populates="criteria")

    __table_args__ = (Index("ix_partnership_criterion_tenant", "tenant_id", "agreement_id"),)
