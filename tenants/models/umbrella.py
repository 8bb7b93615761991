"""What passes between an umbrella and its member cooperatives: invitations, the
cooperative's consent to share per-person data, assisted work, and news."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow


class UmbrellaInvitation(TenantOwned, db.Model):
    """Owned by the umbrella that invites; accepting creates the membership (an
    ``Affiliation``), so both sides' dates are on record."""

    __tablename__ = "umbrella_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    accepted: Mapped[bool | None]

    cooperative: Mapped[Organisation] = relationship(foreign_keys=[cooperative_id])
    umbrella: Mapped[Organisation] = relationship(foreign_keys="UmbrellaInvitation.tenant_id")


class UmbrellaConsent(TenantOwned, db.Model):
    """A cooperative lets an umbrella see per-person data (owned by the cooperative,
    which alone can grant and revoke it)."""

    __tablename__ = "umbrella_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    umbrella_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (Index("ix_umbrella_consent_umbrella_tenant", "umbrella_id", "tenant_id"),)


class AssistanceGrant(TenantOwned, db.Model):
    """A cooperative asks its umbrella's staff to work on its behalf until a date."""

    __tablename__ = "assistance_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    umbrella_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_assistance_grant_umbrella_tenant", "umbrella_id", "tenant_id"),)


class NewsItem(TenantOwned, db.Model):
    """A news item an umbrella publishes to all its member cooperatives."""

    __tablename__ = "news_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_news_item_tenant_published", "tenant_id", "published_at"),)


class SharedDocument(TenantOwned, db.Model):
    """A document an umbrella shares with all its member cooperatives (knowledge sharing).
    The file lives in the instance folder under a random name; only metadata is here."""

    __tablename__ = "shared_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, for the download
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_shared_document_tenant_uploaded", "tenant_id", "uploaded_at"),)
