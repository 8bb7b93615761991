"""Organisations (the tenants) and the relations between them."""

from __future__ import annotations

import enum
import re
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from koepel.platform.extensions import db
from koepel.platform.timeutil import UTCDateTime, utcnow

# Slugs are the first URL segment (/<slug>/...), so they must not shadow the app's own.
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    {
        "api",
        "static",
        "login",
        "logout",
        "password",
        "invitation",
        "profile",
        "language",
        "healthz",
        "dev",
        "switch",
        "admin",
        "www",
    }
)


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot name an organisation, or None when it can (message in Dutch)."""
    if not SLUG_PATTERN.match(slug or ""):
        return "Gebruik alleen kleine letters, cijfers en streepjes (hoogstens 64 tekens)."
    if slug in RESERVED_SLUGS:
        return "Deze naam is gereserveerd. Kies een andere."
    return None


class OrgKind(enum.StrEnum):
    UMBRELLA = "umbrella"
    COOPERATIVE = "cooperative"
    MUNICIPALITY = "municipality"
    REGION = "region"  # municipalities buying together
    PROVIDER = "provider"
    INSURER = "insurer"


class Organisation(db.Model):
    """Anything with people: umbrella, cooperative, municipality, region, provider, insurer.

    The organisation directory itself is shared (names and kinds are public); what an
    organisation owns carries its ``tenant_id``.
    """

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(
        Enum(OrgKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (CheckConstraint("slug <> ''", name="slug_not_empty"),)

    @validates("slug")
    def _check_slug(self, _key: str, slug: str) -> str:
        problem = slug_problem(slug)
        if problem:
            raise ValueError(f"{slug!r}: {problem}")
        return slug

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class AffiliationKind(enum.StrEnum):
    UMBRELLA_MEMBER = "umbrella_member"  # a cooperative is a member of an umbrella
    REGION_MEMBER = "region_member"  # a municipality takes part in a region


class Affiliation(db.Model):
    """A dated relation between two organisations, e.g. umbrella → member cooperative.

    Shared by both sides on purpose; what one side may see of the other is decided by
    the access-policy module, never by this row alone.
    """

    __tablename__ = "affiliation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AffiliationKind] = mapped_column(
        Enum(
            AffiliationKind,
            native_enum=False,
            length=30,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    parent_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date | None]

    parent: Mapped[Organisation] = db.relationship(foreign_keys=[parent_id])
    child: Mapped[Organisation] = db.relationship(foreign_keys=[child_id])

    __table_args__ = (
        UniqueConstraint("kind", "parent_id", "child_id", "start_date"),
        CheckConstraint("parent_id <> child_id", name="not_self"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )

    def is_current(self, on: date) -> bool:
        return self.start_date <= on and (self.end_date is None or on < self.end_date)
