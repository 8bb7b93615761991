"""The services a cooperative offers its members."""

from __future__ import annotations

import enum
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.platform.extensions import db
from koepel.platform.models import Organisation
from koepel.platform.money import MoneyType
from koepel.platform.tenancy import TenantOwned
from koepel.tenants.models._types import str_enum

# The DOMAIN catalogue: code -> the volunteer skill that matches it (None: professionals).
CATALOGUE: dict[str, str | None] = {
    "transport": "transport",
    "odd_jobs": "odd_jobs",
    "gardening": "gardening",
    "meeting_place": "coffee",
    "home_visits": "visits",
    "household_help": "household",
    "meals": "meals",
    "care_coordination": None,
    "personal_care": None,
    "nursing": None,
    "day_activities": None,
    "care_housing": None,
}


class ServiceKind(enum.StrEnum):
    INFORMAL = "informal"  # by volunteers
    FORMAL = "formal"  # by professionals, possibly via a partner provider


class FundingSource(enum.StrEnum):
    MEMBER_CONTRIBUTION = "member_contribution"
    WMO_GENERAL = "wmo_general"
    WMO_CUSTOMISED = "wmo_customised"
    ZVW = "zvw"
    WLZ = "wlz"
    PGB = "pgb"


class Service(TenantOwned, db.Model):
    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))  # a CATALOGUE key
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind))
    funding: Mapped[FundingSource] = mapped_column(str_enum(FundingSource))
    member_price: Mapped[Decimal] = mapped_column(MoneyType(), default=Decimal("0.00"))
    price_unit: Mapped[str] = mapped_column(String(40), default="")  # "per rit", "per uur"
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    requires_vog: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    partner: Mapped[Organisation | None] = relationship(foreign_keys=[partner_id])

    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    @property
    def skill(self) -> str | None:
        return CATALOGUE.get(self.code)
