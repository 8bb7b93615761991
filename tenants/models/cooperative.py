"""A cooperative's own profile and the area it serves."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.platform.extensions import db
from koepel.platform.models import Organisation
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow
from koepel.tenants.models._types import str_enum


class LegalForm(enum.StrEnum):
    COOPERATIVE = "cooperative"  # coöperatie
    ASSOCIATION = "association"  # vereniging
    FOUNDATION = "foundation"  # stichting


class Phase(enum.StrEnum):
    IN_FORMATION = "in_formation"
    ACTIVE = "active"


class CooperativeProfile(TenantOwned, db.Model):
    """One per cooperative (``tenant_id`` is unique)."""

    __tablename__ = "cooperative_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_form: Mapped[LegalForm] = mapped_column(str_enum(LegalForm))
    kvk_number: Mapped[str | None] = mapped_column(String(8))
    founded_on: Mapped[date | None]
    description: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[Phase] = mapped_column(str_enum(Phase), default=Phase.ACTIVE)
    is_public: Mapped[bool] = mapped_column(default=False)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    # Case 7 (Samen en Anders): members give back N hours a month; None = not used.
    reciprocity_hours_per_month: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys="CooperativeProfile.tenant_id")

    __table_args__ = (UniqueConstraint("tenant_id"),)


class ServiceArea(TenantOwned, db.Model):
    """A municipality the cooperative works in, with the villages/districts and postcode
    ranges it covers there."""

    __tablename__ = "service_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    districts: Mapped[str] = mapped_column(String(500), default="")  # comma-separated
    postcode_ranges: Mapped[str] = mapped_column(String(500), default="")  # "5721-5725, 5730"

    municipality: Mapped[Organisation] = relationship(foreign_keys=[municipality_id])

    __table_args__ = (
        UniqueConstraint("tenant_id", "municipality_id"),
        Index("ix_service_area_municipality_tenant", "municipality_id", "tenant_id"),
    )
