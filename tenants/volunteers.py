"""Making a member a volunteer and keeping their skills, availability and VOG date."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.timeutil import local_today
from koepel.tenants.models import Member, VolunteerProfile
from koepel.tenants.models.volunteers import DAYPARTS, SKILLS

VOG_VALID_YEARS = 3  # a VOG older than this no longer counts for services that need one


class VolunteerError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def save(
    *,
    actor: User | None,
    org: Organisation,
    member: Member,
    skills: list[str],
    availability: list[str],
    vog_date: date | None,
    active: bool = True,
) -> VolunteerProfile:
    if not member.is_current:
        raise VolunteerError(_("Alleen een huidig lid kan vrijwilliger zijn."))
    unknown = set(skills) - set(SKILLS) or set(availability) - set(DAYPARTS)
    if unknown:
        raise VolunteerError(_("Kies uit de lijst."), "skills")
    if vog_date and vog_date > local_today():
        raise VolunteerError(_("De datum van de VOG kan niet in de toekomst liggen."), "vog_date")
    profile = db.session.scalar(
        select(VolunteerProfile).where(VolunteerProfile.member_id == member.id)
    )
    created = profile is None
    if created:
        profile = VolunteerProfile(tenant_id=org.id, member_id=member.id)
        db.session.add(profile)
    profile.skills = sorted(set(skills))
    profile.availability = [d for d in DAYPARTS if d in set(availability)]
    profile.vog_date, profile.active = vog_date, active
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="volunteer.created" if created else "volunteer.updated",
        obj_type="volunteer",
        obj_id=profile.id,
        after={"member": member.number, "skills": profile.skills, "active": active},
    )
    return profile


def vog_valid(profile: VolunteerProfile, on: date) -> bool:
    if profile.vog_date is None:
        return False
    try:
        expires = profile.vog_date.replace(year=profile.vog_date.year + VOG_VALID_YEARS)
    except ValueError:  # 29 February
        expires = profile.vog_date.replace(year=profile.vog_date.year + VOG_VALID_YEARS, day=28)
    return on < expires
