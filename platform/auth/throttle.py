"""Login throttling: after N failed attempts for an account or from an address within a
window, further attempts wait until the oldest failure leaves the window."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from koepel.platform.models import LoginAttempt
from koepel.platform.timeutil import utcnow


def wait_time(
    session: Session,
    email: str,
    address: str,
    *,
    limit: int,
    window: timedelta,
    now: datetime | None = None,
) -> timedelta | None:
    """How long the caller must wait before trying again, or None if they may try now."""
    now = now or utcnow()
    since = now - window
    waits = []
    for column, value in ((LoginAttempt.email, email), (LoginAttempt.address, address)):
        failures = session.scalars(
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.at > since, LoginAttempt.succeeded.is_(False))
            .order_by(LoginAttempt.at.desc())
            .limit(limit)
        ).all()
        if len(failures) >= limit:
            waits.append(failures[-1] + window - now)
    return max(waits) if waits else None


def record_attempt(session: Session, email: str, address: str, succeeded: bool) -> None:
    session.add(LoginAttempt(email=email, address=address, succeeded=succeeded))
    if succeeded:
        # A successful login clears the account's failures (not the address's).
        session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.email == email, LoginAttempt.succeeded.is_(False)
            )
        )
