"""Budgets and their allocation between partners (versions), pooled district budgets with
delivery records and settlements, and arrangement financing.

Ownership (the tenant of each row):

- A **budget** belongs to the organisation that manages it: the lead party of a coalition
  (Alphen: Kwadraad) or the buyer itself (Brunssum). Its funding lines, partner list,
  allocation versions with their shares, agreements and comments, and its settlements are
  the owner's rows. Partners, funders and the approver read them, and write their own
  proposal, agreement, comment or approval into them, only through the named functions in
  ``koepel.contracts.budgeting`` and ``koepel.contracts.allocation_versions``.
- A **delivery record** belongs to the partner that delivered the care: it is that
  partner's internal figure. The owner reads them only to compute a settlement (a named
  function in ``koepel.contracts.districts``); other partners never, unless the budget says
  the partners share them (``share_deliveries``).
- An **arrangement scheme** (with its costs, tariffs and clients) belongs to the
  municipality; a provider reads its own clients through a named function.

``Budget.contract_id`` may name a contract (``koepel.contracts.models.core``) as a plain
number; it is not a foreign key yet, so budgets do not depend on contracts being stored.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
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


class BudgetKind(enum.StrEnum):
    ALLOCATION = "allocation"  # divided among the partners in advance (versions)
    DISTRICT = "district"  # a pooled district budget, settled on delivered care


class BudgetPartnerRole(enum.StrEnum):
    MAIN = "main"  # partner or main contractor: sees every share
    SUB = "sub"  # subcontractor: sees its own share and the totals


class AllocationMethod(enum.StrEnum):
    # The values are those of koepel.contracts.allocation.METHODS.
    PROPOSALS = "proposals"
    PERCENTAGES = "percentages"
    VOLUME_TARIFF = "volume_tariff"
    EQUAL = "equal"


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"  # proposals round: partners enter their own amounts
    PROPOSED = "proposed"  # waiting for every partner's agreement
    AGREED = "agreed"  # all partners agreed; waiting for the approver
    APPROVED = "approved"
    SUPERSEDED = "superseded"  # a newer version replaced it (kept, never deleted)


class SurplusRule(enum.StrEnum):
    # The values are those of koepel.contracts.settlement.SURPLUS_RULES.
    FUNDERS = "funders"
    CARRY_OVER = "carry_over"


class Budget(TenantOwned, db.Model):
    __tablename__ = "budget"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[BudgetKind] = mapped_column(str_enum(BudgetKind))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # The buyer or funder who approves allocations (may be the owner itself).
    approver_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column()  # not enforced yet, see the docstring
    # Partners see each other's delivery records (otherwise only their own).
    share_deliveries: Mapped[bool] = mapped_column(default=False)
    surplus_rule: Mapped[SurplusRule] = mapped_column(
        str_enum(SurplusRule), default=SurplusRule.FUNDERS
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    approver: Mapped[Organisation] = relationship(foreign_keys=[approver_id])
    owner: Mapped[Organisation] = relationship(foreign_keys="Budget.tenant_id", viewonly=True)
    funding: Mapped[list[BudgetFunding]] = relationship(
        back_populates="budget", order_by="BudgetFunding.id", cascade="all, delete-orphan"
    )
    partners: Mapped[list[BudgetPartner]] = relationship(
        back_populates="budget", order_by="BudgetPartner.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_budget_tenant_kind", "tenant_id", "kind"),
        CheckConstraint("period_end >= period_start", name="period_in_order"),
    )

    @property
    def total(self) -> Decimal:
        """All funding lines together."""
        return sum((line.amount for line in self.funding), Decimal("0.00"))


class BudgetFunding(TenantOwned, db.Model):
    """One funder's money for one scheme, e.g. the care office's budget for nursing."""

    __tablename__ = "budget_funding"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"))
    funder_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(MoneyType())

    budget: Mapped[Budget] = relationship(back_populates="funding")
    funder: Mapped[Organisation] = relationship(foreign_keys=[funder_id])

    __table_args__ = (
        UniqueConstraint("tenant_id", "budget_id", "funder_id", "scheme"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )


class BudgetPartner(TenantOwned, db.Model):
    """An organisation the budget is divided among (or that delivers care from the pool)."""

    __tablename__ = "budget_partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[BudgetPartnerRole] = mapped_column(
        str_enum(BudgetPartnerRole), default=BudgetPartnerRole.MAIN
    )
    # What the partner already received from a pooled budget during the period.
    advance: Mapped[Decimal] = mapped_column(MoneyType(), default=Decimal("0.00"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    budget: Mapped[Budget] = relationship(back_populates="partners")
    partner: Mapped[Organisation] = relationship(foreign_keys=[partner_id])

    __table_args__ = (
        UniqueConstraint("tenant_id", "budget_id", "partner_id"),
        CheckConstraint("advance >= 0", name="advance_not_negative"),
    )


class AllocationVersion(TenantOwned, db.Model):
    """One way of dividing a budget. The figures it divided are fixed in it (``total``),
    so a later change of the budget does not change an agreed allocation."""

    __tablename__ = "allocation_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"))
    number: Mapped[int]
    method: Mapped[AllocationMethod] = mapped_column(str_enum(AllocationMethod))
    status: Mapped[VersionStatus] = mapped_column(str_enum(VersionStatus))
    total: Mapped[Decimal] = mapped_column(MoneyType())
    distributable: Mapped[Decimal | None] = mapped_column(MoneyType())
    unallocated: Mapped[Decimal | None] = mapped_column(MoneyType())
    # Reserve for citizen initiatives, set aside first: an amount or a percentage.
    reserve_amount: Mapped[Decimal | None] = mapped_column(MoneyType())
    reserve_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    reserve_result: Mapped[Decimal | None] = mapped_column(MoneyType())
    reserve_explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    shares: Mapped[list[AllocationShare]] = relationship(
        back_populates="version", order_by="AllocationShare.id", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("tenant_id", "budget_id", "number"),)


class AllocationShare(TenantOwned, db.Model):
    """A partner's part of a version (``partner_id``), or an initiative's part of the
    reserve (``initiative``). The inputs are kept as given: ``proposed``, ``percentage`` or
    the volume ``lines``; ``explanation`` is how the rule computed ``amount``."""

    __tablename__ = "allocation_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("allocation_version.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    initiative: Mapped[str | None] = mapped_column(String(200))
    weight: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # an initiative's weight
    proposed: Mapped[Decimal | None] = mapped_column(MoneyType())
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    percentage: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    lines: Mapped[list[Any]] = mapped_column(JSON, default=list)
    amount: Mapped[Decimal | None] = mapped_column(MoneyType())
    difference: Mapped[Decimal | None] = mapped_column(MoneyType())
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    version: Mapped[AllocationVersion] = relationship(back_populates="shares")
    partner: Mapped[Organisation | None] = relationship(foreign_keys=[partner_id])

    __table_args__ = (
        UniqueConstraint("tenant_id", "version_id", "partner_id"),
        CheckConstraint(
            "(partner_id IS NULL) <> (initiative IS NULL)", name="partner_or_initiative"
        ),
    )


class AllocationAgreement(TenantOwned, db.Model):
    """A partner agreed to a version (written by the partner, kept in the owner's rows)."""

    __tablename__ = "allocation_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("allocation_version.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "version_id", "partner_id"),)


class AllocationComment(TenantOwned, db.Model):
    __tablename__ = "allocation_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("allocation_version.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])


class DeliveryRecord(TenantOwned, db.Model):
    """Care a partner delivered from a pooled budget: owned by that partner."""

    __tablename__ = "delivery_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"))
    delivered_on: Mapped[date] = mapped_column(Date)
    product: Mapped[str] = mapped_column(String(200))  # the scheme it is paid from
    unit: Mapped[str] = mapped_column(String(30), default="uur")
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    tariff: Mapped[Decimal] = mapped_column(MoneyType())
    source: Mapped[str] = mapped_column(String(20), default="form")  # form, import, api
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_delivery_record_budget_tenant", "budget_id", "tenant_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("tariff >= 0", name="tariff_not_negative"),
    )


class DistrictSettlement(TenantOwned, db.Model):
    """A pooled budget settled at the end of its period (``koepel.contracts.settlement``).
    One per budget: once settled, no delivery can be added to the period."""

    __tablename__ = "district_settlement"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"))
    pool: Mapped[Decimal] = mapped_column(MoneyType())
    total_value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    capped: Mapped[bool]
    surplus: Mapped[Decimal] = mapped_column(MoneyType())
    surplus_rule: Mapped[SurplusRule] = mapped_column(str_enum(SurplusRule))
    pool_held: Mapped[Decimal] = mapped_column(MoneyType())
    exact: Mapped[bool]  # the transfers are proven the fewest possible
    records: Mapped[int]  # how many delivery records it settled
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    positions: Mapped[list[SettlementPosition]] = relationship(
        order_by="SettlementPosition.id", cascade="all, delete-orphan"
    )
    transfers: Mapped[list[SettlementTransfer]] = relationship(
        order_by="SettlementTransfer.id", cascade="all, delete-orphan"
    )
    refunds: Mapped[list[SettlementRefund]] = relationship(
        order_by="SettlementRefund.id", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("tenant_id", "budget_id"),)


class SettlementPosition(TenantOwned, db.Model):
    """A partner's result (``partner_id``), or the pool account's (``partner_id`` empty)."""

    __tablename__ = "settlement_position"

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("district_settlement.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))  # delivered, exact
    due: Mapped[Decimal] = mapped_column(MoneyType())
    received: Mapped[Decimal] = mapped_column(MoneyType())
    position: Mapped[Decimal] = mapped_column(MoneyType())  # due - received
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    partner: Mapped[Organisation | None] = relationship(foreign_keys=[partner_id])


class SettlementLine(TenantOwned, db.Model):
    """A partner's deliveries of one product at one tariff, added up: its statement shows
    these (never the other partners')."""

    __tablename__ = "settlement_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("district_settlement.id", ondelete="CASCADE")
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    product: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(30))
    tariff: Mapped[Decimal] = mapped_column(MoneyType())
    quantity: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))

    __table_args__ = (
        Index("ix_settlement_line_settlement_partner", "settlement_id", "partner_id"),
    )


class SettlementTransfer(TenantOwned, db.Model):
    """``payer`` pays ``payee``; an empty side is the pool account (held by the owner)."""

    __tablename__ = "settlement_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("district_settlement.id", ondelete="CASCADE"), index=True
    )
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    payee_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    amount: Mapped[Decimal] = mapped_column(MoneyType())

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class SettlementRefund(TenantOwned, db.Model):
    """Part of the surplus going back to the funder of a funding line."""

    __tablename__ = "settlement_refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("district_settlement.id", ondelete="CASCADE"), index=True
    )
    funding_id: Mapped[int] = mapped_column(ForeignKey("budget_funding.id"))
    amount: Mapped[Decimal] = mapped_column(MoneyType())
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    funding: Mapped[BudgetFunding] = relationship()


class ArrangementScheme(TenantOwned, db.Model):
    """A municipality's arrangement financing for one year (Westelijke Mijnstreek)."""

    __tablename__ = "arrangement_scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    year: Mapped[int]
    national_cut: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # percent
    tariffs_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    costs: Mapped[list[ArrangementCost]] = relationship(
        order_by="ArrangementCost.id", cascade="all, delete-orphan"
    )
    tariffs: Mapped[list[ArrangementTariff]] = relationship(
        order_by="ArrangementTariff.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("national_cut >= 0 AND national_cut <= 100", name="cut_percent"),
    )


class ArrangementCost(TenantOwned, db.Model):
    """What an arrangement cost per client per year earlier, for a number of clients."""

    __tablename__ = "arrangement_cost"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(
        ForeignKey("arrangement_scheme.id", ondelete="CASCADE"), index=True
    )
    complexity: Mapped[str] = mapped_column(String(10))
    intensity: Mapped[str] = mapped_column(String(10))
    cost_per_client: Mapped[Decimal] = mapped_column(MoneyType())
    clients: Mapped[int]
    source: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        CheckConstraint("cost_per_client >= 0", name="cost_not_negative"),
        CheckConstraint("clients >= 0", name="clients_not_negative"),
    )


class ArrangementTariff(TenantOwned, db.Model):
    """The tariff computed for one arrangement, fixed when computed."""

    __tablename__ = "arrangement_tariff"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("arrangement_scheme.id", ondelete="CASCADE"))
    complexity: Mapped[str] = mapped_column(String(10))
    intensity: Mapped[str] = mapped_column(String(10))
    tariff: Mapped[Decimal] = mapped_column(MoneyType())
    clients: Mapped[int]
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("tenant_id", "scheme_id", "complexity", "intensity"),)


class ArrangementClient(TenantOwned, db.Model):
    """A client (pseudonymised) in an arrangement with a provider, from ``starts_on`` to
    ``ends_on`` inclusive: the budget follows the client."""

    __tablename__ = "arrangement_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(
        ForeignKey("arrangement_scheme.id", ondelete="CASCADE"), index=True
    )
    client_ref: Mapped[str] = mapped_column(String(64))
    complexity: Mapped[str] = mapped_column(String(10))
    intensity: Mapped[str] = mapped_column(String(10))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])

    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)
