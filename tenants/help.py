"""Help requests: ask, match a volunteer, close, repeat; hours; reciprocity balance.

States: open -> matched -> done | cancelled (an open request can be cancelled too).
A repeated request (weekly transport) is one request at a time: closing it creates the
next occurrence, so the coordinator always sees exactly what is still to be done.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.timeutil import utcnow
from koepel.tenants.models import (
    HelpRequest,
    HelpStatus,
    HourEntry,
    Member,
    Recurrence,
    Service,
    VolunteerProfile,
)
from koepel.tenants.volunteers import vog_valid

DAYPARTS = ("morning", "afternoon", "evening")
_WEEKDAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class HelpError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _record(actor, org, request: HelpRequest, action: str, **after) -> None:
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action=f"help_request.{action}",
        obj_type="help_request",
        obj_id=request.id,
        after={"status": request.status.value, **after},
    )


def ask(
    *,
    actor: User | None,
    org: Organisation,
    member: Member,
    service: Service,
    wanted_on: date,
    daypart: str = "",
    description: str = "",
    recurrence: Recurrence = Recurrence.NONE,
) -> HelpRequest:
    if not member.is_current:
        raise HelpError(_("Alleen een huidig lid kan om hulp vragen."), "member_id")
    if not service.active:
        raise HelpError(_("Deze dienst wordt niet meer aangeboden."), "service_id")
    if daypart and daypart not in DAYPARTS:
        raise HelpError(_("Kies een dagdeel."), "daypart")
    if wanted_on < utcnow().date() - timedelta(days=1):
        raise HelpError(_("Kies een datum vanaf vandaag."), "wanted_on")
    request = HelpRequest(
        tenant_id=org.id,
        member_id=member.id,
        service_id=service.id,
        wanted_on=wanted_on,
        daypart=daypart,
        description=description.strip(),
        recurrence=recurrence,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(request)
    db.session.flush()
    _record(actor, org, request, "created", service=service.name, wanted_on=wanted_on)
    return request


@dataclass(frozen=True)
class Candidate:
    volunteer: VolunteerProfile
    same_area: bool
    available: bool
    minutes_this_month: int


def candidates(request: HelpRequest, *, limit: int = 10) -> list[Candidate]:
    """Volunteers who can do this request, best first: the right skill, a valid VOG when
    the service needs one; then those available at that time, living nearby (same
    4-digit postcode area), and with the fewest hours this month (spread the load)."""
    service, member = request.service, request.member
    volunteers = db.session.scalars(
        select(VolunteerProfile)
        .join(Member, Member.id == VolunteerProfile.member_id)
        .where(
            VolunteerProfile.active.is_(True),
            Member.left_on.is_(None),
            VolunteerProfile.member_id != member.id,
        )
        .options(selectinload(VolunteerProfile.member))
    ).all()
    skill = service.skill
    if skill:
        volunteers = [v for v in volunteers if skill in (v.skills or [])]
    if service.requires_vog:
        volunteers = [v for v in volunteers if vog_valid(v, request.wanted_on)]
    month_start = request.wanted_on.replace(day=1)
    minutes = dict(
        db.session.execute(
            select(HourEntry.volunteer_id, func.sum(HourEntry.minutes))
            .where(HourEntry.worked_on >= month_start)
            .group_by(HourEntry.volunteer_id)
        ).all()
    )
    slot = f"{_WEEKDAY[request.wanted_on.weekday()]}-{request.daypart}" if request.daypart else None
    result = [
        Candidate(
            volunteer=v,
            same_area=bool(member.postcode_digits)
            and v.member.postcode_digits == member.postcode_digits,
            available=slot is None or slot in (v.availability or []),
            minutes_this_month=int(minutes.get(v.id) or 0),
        )
        for v in volunteers
    ]
    result.sort(
        key=lambda c: (
            not c.available,
            not c.same_area,
            c.minutes_this_month,
            c.volunteer.member.last_name,
            c.volunteer.id,
        )
    )
    return result[:limit]


def assign(
    *, actor: User | None, org: Organisation, request: HelpRequest, volunteer: VolunteerProfile
) -> None:
    if request.status not in (HelpStatus.OPEN, HelpStatus.MATCHED):
        raise HelpError(_("Deze hulpvraag is al afgesloten."))
    if volunteer.id not in {c.volunteer.id for c in candidates(request, limit=10_000)}:
        raise HelpError(_("Deze vrijwilliger past niet bij deze hulpvraag."), "volunteer_id")
    request.volunteer_id, request.status, request.matched_at = (
        volunteer.id,
        HelpStatus.MATCHED,
        utcnow(),
    )
    db.session.flush()
    _record(actor, org, request, "matched", volunteer=volunteer.id)


def _next_date(day: date, recurrence: Recurrence) -> date | None:
    if recurrence == Recurrence.WEEKLY:
        return day + timedelta(weeks=1)
    if recurrence == Recurrence.FORTNIGHTLY:
        return day + timedelta(weeks=2)
    if recurrence == Recurrence.MONTHLY:
        year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
        return day.replace(
            year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
        )
    return None


def _close(
    actor, org, request: HelpRequest, status: HelpStatus, repeat: bool
) -> HelpRequest | None:
    if request.status in (HelpStatus.DONE, HelpStatus.CANCELLED):
        raise HelpError(_("Deze hulpvraag is al afgesloten."))
    request.status, request.closed_at = status, utcnow()
    db.session.flush()
    _record(actor, org, request, status.value)
    following = _next_date(request.wanted_on, request.recurrence) if repeat else None
    if following is None:
        return None
    nxt = HelpRequest(
        tenant_id=org.id,
        member_id=request.member_id,
        service_id=request.service_id,
        wanted_on=following,
        daypart=request.daypart,
        description=request.description,
        recurrence=request.recurrence,
        series_id=request.series_id or request.id,
        volunteer_id=request.volunteer_id,
        created_by_id=request.created_by_id,
        status=HelpStatus.MATCHED if request.volunteer_id else HelpStatus.OPEN,
        matched_at=utcnow() if request.volunteer_id else None,
    )
    db.session.add(nxt)
    db.session.flush()
    _record(actor, org, nxt, "repeated", wanted_on=following)
    return nxt


def complete(
    *,
    actor: User | None,
    org: Organisation,
    request: HelpRequest,
    minutes: int | None = None,
    repeat: bool = True,
) -> HelpRequest | None:
    """Mark done (optionally logging the volunteer's time); returns the next occurrence."""
    if request.status != HelpStatus.MATCHED:
        raise HelpError(_("Koppel eerst een vrijwilliger."))
    if minutes:
        # Done early (before the wanted date) counts today: hours are never in the future.
        log_hours(
            actor=actor,
            org=org,
            volunteer=request.volunteer,
            worked_on=min(request.wanted_on, utcnow().date()),
            minutes=minutes,
            request=request,
        )
    return _close(actor, org, request, HelpStatus.DONE, repeat)


def cancel(
    *, actor: User | None, org: Organisation, request: HelpRequest, stop_series: bool = False
) -> HelpRequest | None:
    return _close(actor, org, request, HelpStatus.CANCELLED, repeat=not stop_series)


def log_hours(
    *,
    actor: User | None,
    org: Organisation,
    volunteer: VolunteerProfile,
    worked_on: date,
    minutes: int,
    request: HelpRequest | None = None,
    note: str = "",
) -> HourEntry:
    if not 0 < minutes <= 24 * 60:
        raise HelpError(_("Vul een tijd in tussen 1 minuut en 24 uur."), "minutes")
    if worked_on > utcnow().date() + timedelta(days=1):
        raise HelpError(_("Uren schrijft u achteraf, niet vooruit."), "worked_on")
    entry = HourEntry(
        tenant_id=org.id,
        volunteer_id=volunteer.id,
        worked_on=worked_on,
        minutes=minutes,
        help_request_id=request.id if request else None,
        note=note.strip()[:300],
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="hours.logged",
        obj_type="hour_entry",
        obj_id=entry.id,
        after={"volunteer": volunteer.id, "minutes": minutes, "worked_on": worked_on},
    )
    return entry


@dataclass(frozen=True)
class Balance:
    required_minutes: int
    given_minutes: int

    @property
    def short_minutes(self) -> int:
        return max(0, self.required_minutes - self.given_minutes)


def reciprocity_balance(
    *, volunteer: VolunteerProfile | None, hours_per_month: int, month: date
) -> Balance:
    """Case 7 (Samen en Anders): hours given this month against the agreed hours."""
    required = hours_per_month * 60
    if volunteer is None:
        return Balance(required, 0)
    start = month.replace(day=1)
    end = _next_date(start, Recurrence.MONTHLY)
    given = db.session.scalar(
        select(func.coalesce(func.sum(HourEntry.minutes), 0)).where(
            HourEntry.volunteer_id == volunteer.id,
            HourEntry.worked_on >= start,
            HourEntry.worked_on < end,
        )
    )
    return Balance(required, int(given))
