"""A record per background job run, so a page can show its progress and outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from koepel.platform.extensions import db
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow


class JobRun(TenantOwned, db.Model):
    __tablename__ = "job_run"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # also the RQ job id
    name: Mapped[str] = mapped_column(String(80))
    # A job's key makes enqueueing idempotent: the same key is never run twice.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(300), default="")
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @declared_attr
    def tenant_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("organisation.id"), index=True, nullable=True)
