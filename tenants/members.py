"""Changes to members: register, edit, end membership, fees, export and erasure (AVG).

Functions take the actor and organisation explicitly, record an audit event and only
flush; the caller's unit of work commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.money import to_money
from koepel.platform.timeutil import local_today, utcnow
from koepel.tenants import validation
from koepel.tenants.models import Household, Member, MembershipFee, VolunteerProfile


class MemberError(ValueError):
    """A rule refused the change; ``field`` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class MemberData:
    first_name: str
    last_name: str
    joined_on: date
    street: str = ""
    house_number: str = ""
    postcode: str = ""
    city: str = ""
    date_of_birth: date | None = None
    phone: str = ""
    email: str = ""
    consent_contact: bool = True
    consent_newsletter: bool = False
    consent_photos: bool = False


def _check(data: MemberData) -> MemberData:
    if not data.first_name.strip() and not data.last_name.strip():
        raise MemberError(_("Vul een naam in."), "last_name")
    if data.postcode:
        try:
            data.postcode = validation.postcode(data.postcode)
        except ValueError as exc:
            raise MemberError(str(exc), "postcode") from None
    try:
        data.phone = validation.phone(data.phone)
    except ValueError as exc:
        raise MemberError(str(exc), "phone") from None
    if data.date_of_birth and data.date_of_birth > local_today():
        raise MemberError(_("Een geboortedatum kan niet in de toekomst liggen."), "date_of_birth")
    if data.date_of_birth and data.date_of_birth.year < 1900:
        raise MemberError(_("Kijk de geboortedatum na."), "date_of_birth")
    return data


def _snapshot(member: Member) -> dict[str, Any]:
    # What the audit log keeps: no personal data beyond the number (the log is forever).
    return {"number": member.number, "joined_on": member.joined_on, "left_on": member.left_on}


def _household_for(
    org: Organisation, data: MemberData, current: Household | None
) -> Household | None:
    if not (data.street or data.postcode or data.city):
        return current
    if current is not None and len(current.members) <= 1:
        household = current  # a moving single-member household: update in place
    else:
        household = db.session.scalar(
            select(Household).where(
                Household.postcode == data.postcode,
                Household.house_number == data.house_number.strip(),
                Household.postcode != "",
            )
        ) or Household(tenant_id=org.id)
    household.street, household.house_number = data.street.strip(), data.house_number.strip()
    household.postcode, household.city = data.postcode, data.city.strip()
    db.session.add(household)
    return household


def _apply(member: Member, data: MemberData) -> None:
    member.first_name, member.last_name = data.first_name.strip(), data.last_name.strip()
    member.search_name = f"{member.first_name} {member.last_name}".lower()
    member.date_of_birth = data.date_of_birth
    member.birth_year = data.date_of_birth.year if data.date_of_birth else None
    member.phone, member.email = data.phone, data.email.strip().lower()
    member.consent_contact = data.consent_contact
    member.consent_newsletter = data.consent_newsletter
    member.consent_photos = data.consent_photos
    member.joined_on = data.joined_on
    member.postcode_digits = data.postcode[:4] if data.postcode else member.postcode_digits


def next_number(org: Organisation) -> int:
    """The next member number of the cooperative. Two registrations at once would both read
    the same highest number, so the organisation's row is locked first (PostgreSQL; SQLite
    lets one writer in at a time anyway) and the second waits for the first to commit."""
    db.session.execute(select(Organisation.id).where(Organisation.id == org.id).with_for_update())
    return (db.session.scalar(select(func.max(Member.number))) or 0) + 1


def register(
    *, actor: User | None, org: Organisation, data: MemberData, on_behalf_of: str | None = None
) -> Member:
    data = _check(data)
    member = Member(tenant_id=org.id, number=next_number(org))
    _apply(member, data)
    member.household = _household_for(org, data, None)
    db.session.add(member)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="member.registered",
        obj_type="member",
        obj_id=member.id,
        after=_snapshot(member),
        on_behalf_of=on_behalf_of,
    )
    return member


def update(
    *,
    actor: User | None,
    org: Organisation,
    member: Member,
    data: MemberData,
    on_behalf_of: str | None = None,
) -> Member:
    if member.erased_at is not None:
        raise MemberError(_("Dit lid is gewist en kan niet meer worden gewijzigd."))
    data = _check(data)
    before = _snapshot(member)
    _apply(member, data)
    member.household = _household_for(org, data, member.household)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="member.updated",
        obj_type="member",
        obj_id=member.id,
        before=before,
        after=_snapshot(member),
        on_behalf_of=on_behalf_of,
    )
    return member


def end_membership(
    *,
    actor: User | None,
    org: Organisation,
    member: Member,
    on: date,
    on_behalf_of: str | None = None,
) -> None:
    if member.left_on is not None:
        raise MemberError(_("Het lidmaatschap is al beëindigd."))
    if on < member.joined_on:
        raise MemberError(_("De einddatum ligt voor de datum van inschrijving."), "left_on")
    before = _snapshot(member)
    member.left_on = on
    volunteer = db.session.scalar(
        select(VolunteerProfile).where(VolunteerProfile.member_id == member.id)
    )
    if volunteer is not None:
        volunteer.active = False
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="member.ended",
        obj_type="member",
        obj_id=member.id,
        before=before,
        after=_snapshot(member),
        on_behalf_of=on_behalf_of,
    )


def set_fee(
    *,
    actor: User | None,
    org: Organisation,
    member: Member,
    year: int,
    amount: Decimal | str,
    paid_on: date | None,
) -> MembershipFee:
    amount = to_money(amount)
    if amount < 0:
        raise MemberError(_("Een contributie kan niet negatief zijn."), "amount")
    fee = db.session.scalar(
        select(MembershipFee).where(
            MembershipFee.member_id == member.id, MembershipFee.year == year
        )
    ) or MembershipFee(tenant_id=org.id, member_id=member.id, year=year, amount=amount)
    before = {"amount": fee.amount, "paid_on": fee.paid_on} if fee.id else None
    fee.amount, fee.paid_on = amount, paid_on
    db.session.add(fee)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="member.fee_set",
        obj_type="member",
        obj_id=member.id,
        before=before,
        after={"year": year, "amount": amount, "paid_on": paid_on},
    )
    return fee


def personal_data(member: Member) -> dict[str, Any]:
    """Everything the cooperative holds about one member (the AVG right of access)."""
    household = member.household
    fees = db.session.scalars(
        select(MembershipFee)
        .where(MembershipFee.member_id == member.id)
        .order_by(MembershipFee.year)
    ).all()
    volunteer = db.session.scalar(
        select(VolunteerProfile).where(VolunteerProfile.member_id == member.id)
    )
    return {
        "lidnummer": member.number,
        "voornaam": member.first_name,
        "achternaam": member.last_name,
        "geboortedatum": member.date_of_birth.isoformat() if member.date_of_birth else None,
        "telefoon": member.phone,
        "e-mail": member.email,
        "adres": household.address if household else "",
        "toestemming_contact": member.consent_contact,
        "toestemming_nieuwsbrief": member.consent_newsletter,
        "toestemming_fotos": member.consent_photos,
        "lid_sinds": member.joined_on.isoformat(),
        "lid_tot": member.left_on.isoformat() if member.left_on else None,
        "contributie": [
            {
                "jaar": f.year,
                "bedrag": str(f.amount),
                "betaald_op": f.paid_on.isoformat() if f.paid_on else None,
            }
            for f in fees
        ],
        "vrijwilliger": None
        if volunteer is None
        else {
            "vaardigheden": volunteer.skills,
            "beschikbaar": volunteer.availability,
            "vog_datum": volunteer.vog_date.isoformat() if volunteer.vog_date else None,
        },
    }


ERASED = "(gewist)"


def erase(*, actor: User | None, org: Organisation, member: Member) -> None:
    """Erase personal data on request (AVG art. 17). What statistics need stays: member
    number, dates, year of birth, the four postcode digits, hours and help given."""
    if member.erased_at is not None:
        return
    member.first_name, member.last_name, member.search_name = ERASED, "", ""
    member.phone = member.email = ""
    member.date_of_birth = None
    member.consent_contact = member.consent_newsletter = member.consent_photos = False
    if member.left_on is None:
        member.left_on = utcnow().date()
    household = member.household
    member.household = None
    if household is not None and not [m for m in household.members if m is not member]:
        household.street = household.house_number = household.city = ""
        household.postcode = ""
    member.erased_at = utcnow()
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="member.erased",
        obj_type="member",
        obj_id=member.id,
    )


def link_account(
    *, actor: User | None, org: Organisation, member: Member, user: User | None
) -> None:
    """Connect a member to their own account (or disconnect with ``user=None``), so that
    a volunteer can log their own hours. The account must work for this cooperative."""
    from koepel.platform import policy

    if user is not None:
        if not policy.roles_of(user, org):
            raise MemberError(_("Deze persoon werkt niet voor deze coöperatie."), "user_id")
        other = db.session.scalar(
            select(Member).where(Member.user_id == user.id, Member.id != member.id)
        )
        if other is not None:
            raise MemberError(
                _("Dit account hoort al bij lid %(number)d.", number=other.number), "user_id"
            )
    member.user_id = user.id if user else None
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="member.account_linked",
        obj_type="member",
        obj_id=member.id,
        after={"user": member.user_id},
    )
