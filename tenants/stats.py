"""Figures for the cooperative dashboard, each one aggregate query whatever the data size.

All queries run in the acting cooperative's tenancy scope, so they count only its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from koepel.platform.extensions import db
from koepel.tenants.models import (
    HelpRequest,
    HelpStatus,
    HourEntry,
    Member,
    Service,
    VolunteerProfile,
)


@dataclass(frozen=True)
class MonthValue:
    month: date  # first day of the month
    value: int


def months_back(today: date, n: int) -> list[date]:
    months, year, month = [], today.year, today.month
    for _ in range(n):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def month_key(column):
    # Portable "YYYY-MM" of a DATE column (SQLite and PostgreSQL alike).
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def counts(today: date) -> dict[str, int]:
    year_start, month_start = date(today.year, 1, 1), today.replace(day=1)
    members = db.session.scalar(
        select(func.count()).select_from(Member).where(Member.left_on.is_(None))
    )
    volunteers = db.session.scalar(
        select(func.count()).select_from(VolunteerProfile).where(VolunteerProfile.active.is_(True))
    )
    open_requests = db.session.scalar(
        select(func.count())
        .select_from(HelpRequest)
        .where(HelpRequest.status.in_([HelpStatus.OPEN, HelpStatus.MATCHED]))
    )
    month_minutes, year_minutes = db.session.execute(
        select(
            func.coalesce(
                func.sum(HourEntry.minutes).filter(HourEntry.worked_on >= month_start), 0
            ),
            func.coalesce(func.sum(HourEntry.minutes), 0),
        ).where(HourEntry.worked_on >= year_start, HourEntry.worked_on <= today)
    ).one()
    return {
        "members": members or 0,
        "volunteers": volunteers or 0,
        "open_requests": open_requests or 0,
        "hours_month": int(month_minutes) // 60,
        "hours_year": int(year_minutes) // 60,
    }


def delivered_by_service(year: int) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(Service.name, func.count(HelpRequest.id))
        .join(HelpRequest, HelpRequest.service_id == Service.id)
        .where(
            HelpRequest.status == HelpStatus.DONE,
            HelpRequest.wanted_on >= date(year, 1, 1),
            HelpRequest.wanted_on <= date(year, 12, 31),
        )
        .group_by(Service.name)
        .order_by(func.count(HelpRequest.id).desc(), Service.name)
    ).all()
    return [(name, count) for name, count in rows]


def monthly(today: date, months: int = 12) -> dict[str, list[MonthValue]]:
    """Help given (requests done) and hours per month, for the trend charts."""
    keys = months_back(today, months)
    start = keys[0]
    done_key = month_key(HelpRequest.wanted_on)
    done = dict(
        db.session.execute(
            select(done_key, func.count(HelpRequest.id))
            .where(
                HelpRequest.status == HelpStatus.DONE,
                HelpRequest.wanted_on >= start,
                HelpRequest.wanted_on <= today,
            )
            .group_by(done_key)
        ).all()
    )
    hours_key = month_key(HourEntry.worked_on)
    minutes = dict(
        db.session.execute(
            select(hours_key, func.sum(HourEntry.minutes))
            .where(HourEntry.worked_on >= start, HourEntry.worked_on <= today)
            .group_by(hours_key)
        ).all()
    )
    label = lambda d: f"{d.year:04d}-{d.month:02d}"  # noqa: E731
    return {
        "help": [MonthValue(m, int(done.get(label(m), 0))) for m in keys],
        "hours": [MonthValue(m, int(minutes.get(label(m)) or 0) // 60) for m in keys],
    }
