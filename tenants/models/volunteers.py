"""A member who volunteers: skills, availability and VOG date."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.platform.extensions import db
from koepel.platform.tenancy import TenantOwned
from koepel.tenants.models.members import Member

SKILLS = (
    "transport",
    "odd_jobs",
    "gardening",
    "visits",
    "meals",
    "household",
    "coffee",
    "admin",
    "computer",
    "shopping",
)
DAYPARTS = tuple(
    f"{day}-{part}"
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for part in ("morning", "afternoon", "evening")
)


class VolunteerProfile(TenantOwned, db.Model):
    __tablename__ = "volunteer_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    availability: Mapped[list[Any]] = mapped_column(JSON, default=list)  # DAYPARTS codes
    vog_date: Mapped[date | None]  # date of the certificate of conduct
    active: Mapped[bool] = mapped_column(default=True)

    member: Mapped[Member] = relationship()

    __table_args__ = (UniqueConstraint("tenant_id", "member_id"),)
