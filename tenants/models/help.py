"""Help requests, matching a volunteer, and the hours volunteers log."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.platform.extensions import db
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow
from koepel.tenants.models._types import str_enum
from koepel.tenants.models.members import Member
from koepel.tenants.models.services import Service
from koepel.tenants.models.volunteers import VolunteerProfile


class HelpStatus(enum.StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    DONE = "done"
    CANCELLED = "cancelled"


class Recurrence(enum.StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class HelpRequest(TenantOwned, db.Model):
    __tablename__ = "help_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    wanted_on: Mapped[date]
    daypart: Mapped[str] = mapped_column(String(20), default="")  # "morning", ...
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[HelpStatus] = mapped_column(str_enum(HelpStatus), default=HelpStatus.OPEN)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_profile.id"))
    recurrence: Mapped[Recurrence] = mapped_column(str_enum(Recurrence), default=Recurrence.NONE)
    # The first request of a repeated series; the others point to it.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("help_request.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    member: Mapped[Member] = relationship()
    service: Mapped[Service] = relationship()
    volunteer: Mapped[VolunteerProfile | None] = relationship()

    __table_args__ = (
        Index("ix_help_request_tenant_status_wanted", "tenant_id", "status", "wanted_on"),
        Index("ix_help_request_tenant_member", "tenant_id", "member_id"),
    )


class HourEntry(TenantOwned, db.Model):
    """Hours a volunteer gave, usually for a help request."""

    __tablename__ = "hour_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profile.id"))
    help_request_id: Mapped[int | None] = mapped_column(ForeignKey("help_request.id"))
    worked_on: Mapped[date]
    # Whole minutes: exact sums on every database (hours are shown, minutes stored).
    minutes: Mapped[int]
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    volunteer: Mapped[VolunteerProfile] = relationship()
    help_request: Mapped[HelpRequest | None] = relationship()

    __table_args__ = (
        Index("ix_hour_entry_tenant_worked_on", "tenant_id", "worked_on"),
        CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes_in_a_day"),
    )

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))
