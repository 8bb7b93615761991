"""Members of a cooperative, their households and yearly fees.

Personal data lives here; an erased member keeps only what statistics need (year of
birth, postcode digits, dates) — see ``koepel.tenants.members.erase``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.platform.extensions import db
from koepel.platform.money import MoneyType
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow


class Household(TenantOwned, db.Model):
    """People living at one address; members of a household share it."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    street: Mapped[str] = mapped_column(String(200), default="")
    house_number: Mapped[str] = mapped_column(String(20), default="")
    postcode: Mapped[str] = mapped_column(String(7), default="")  # "1234 AB"
    city: Mapped[str] = mapped_column(String(100), default="")

    members: Mapped[list[Member]] = relationship(back_populates="household")

    __table_args__ = (Index("ix_household_tenant_postcode", "tenant_id", "postcode"),)

    @property
    def address(self) -> str:
        line = f"{self.street} {self.house_number}".strip()
        place = f"{self.postcode} {self.city}".strip()
        return ", ".join(p for p in (line, place) if p)


class Member(TenantOwned, db.Model):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]  # the cooperative's own member number
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(150))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    date_of_birth: Mapped[date | None]
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    consent_contact: Mapped[bool] = mapped_column(default=True)  # may be called or mailed
    consent_newsletter: Mapped[bool] = mapped_column(default=False)
    consent_photos: Mapped[bool] = mapped_column(default=False)
    joined_on: Mapped[date]
    left_on: Mapped[date | None]
    # Kept after erasure for anonymised statistics.
    birth_year: Mapped[int | None]
    postcode_digits: Mapped[str] = mapped_column(String(4), default="")
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Lower-cased "first last" for search without functions on the column.
    search_name: Mapped[str] = mapped_column(String(260), default="")
    # The member's own account, when they use Koepel themselves (a volunteer logging hours).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    household: Mapped[Household | None] = relationship(back_populates="members")

    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "user_id"),
        Index("ix_member_tenant_search_name", "tenant_id", "search_name"),
        Index("ix_member_tenant_left_on", "tenant_id", "left_on"),
    )

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_current(self) -> bool:
        return self.left_on is None and self.erased_at is None


class MembershipFee(TenantOwned, db.Model):
    __tablename__ = "membership_fee"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    year: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(MoneyType())
    paid_on: Mapped[date | None]

    member: Mapped[Member] = relationship()

    __table_args__ = (UniqueConstraint("tenant_id", "member_id", "year"),)
