"""A cooperative's profile and service area, and what municipalities see of it.

A municipality (or region) sees the *public* profile of every cooperative that serves its
area: one point of contact. That read crosses tenants and happens only in
``public_cooperatives_in``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Affiliation, AffiliationKind, Organisation, OrgKind, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import local_today
from koepel.tenants import validation
from koepel.tenants.models import CooperativeProfile, LegalForm, Phase, Service, ServiceArea


class ProfileError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class ProfileData:
    legal_form: LegalForm
    kvk_number: str = ""
    founded_on: date | None = None
    description: str = ""
    phase: Phase = Phase.ACTIVE
    is_public: bool = False
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    reciprocity_hours_per_month: int | None = None


def get_or_new(org: Organisation) -> CooperativeProfile:
    profile = db.session.scalar(select(CooperativeProfile))
    return profile or CooperativeProfile(tenant_id=org.id, legal_form=LegalForm.COOPERATIVE)


def save(
    *, actor: User | None, org: Organisation, data: ProfileData, on_behalf_of: str | None = None
) -> CooperativeProfile:
    kvk = data.kvk_number.strip()
    if kvk:
        try:
            kvk = validation.kvk_number(kvk)
        except ValueError as exc:
            raise ProfileError(str(exc), "kvk_number") from None
    try:
        phone = validation.phone(data.contact_phone)
    except ValueError as exc:
        raise ProfileError(str(exc), "contact_phone") from None
    if data.founded_on and data.founded_on > local_today():
        raise ProfileError(_("De oprichtingsdatum kan niet in de toekomst liggen."), "founded_on")
    if (
        data.reciprocity_hours_per_month is not None
        and not 0 < data.reciprocity_hours_per_month <= 100
    ):
        raise ProfileError(
            _("Kies een aantal uren tussen 1 en 100."), "reciprocity_hours_per_month"
        )
    if data.is_public and not (data.contact_email.strip() or phone):
        raise ProfileError(
            _("Een openbaar profiel heeft een e-mailadres of telefoonnummer nodig."),
            "contact_email",
        )
    profile = get_or_new(org)
    profile.legal_form, profile.kvk_number, profile.founded_on = (
        data.legal_form,
        kvk or None,
        data.founded_on,
    )
    profile.description, profile.phase, profile.is_public = (
        data.description.strip(),
        data.phase,
        data.is_public,
    )
    profile.contact_name, profile.contact_email = (
        data.contact_name.strip(),
        data.contact_email.strip().lower(),
    )
    profile.contact_phone, profile.reciprocity_hours_per_month = (
        phone,
        data.reciprocity_hours_per_month,
    )
    db.session.add(profile)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="cooperative.profile_saved",
        obj_type="organisation",
        obj_id=org.id,
        after={"phase": data.phase.value, "public": data.is_public},
        on_behalf_of=on_behalf_of,
    )
    return profile


def add_area(
    *,
    actor: User | None,
    org: Organisation,
    municipality: Organisation,
    districts: str,
    postcode_ranges: str,
) -> ServiceArea:
    if municipality.kind != OrgKind.MUNICIPALITY:
        raise ProfileError(_("Kies een gemeente."), "municipality")
    try:
        validation.postcode_ranges(postcode_ranges)
    except ValueError as exc:
        raise ProfileError(str(exc), "postcode_ranges") from None
    if db.session.scalar(select(ServiceArea).where(ServiceArea.municipality_id == municipality.id)):
        raise ProfileError(_("Deze gemeente staat al in uw werkgebied."), "municipality")
    area = ServiceArea(
        tenant_id=org.id,
        municipality_id=municipality.id,
        districts=districts.strip(),
        postcode_ranges=postcode_ranges.strip(),
    )
    db.session.add(area)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="cooperative.area_added",
        obj_type="organisation",
        obj_id=org.id,
        after={"municipality": municipality.slug},
    )
    return area


def remove_area(*, actor: User | None, org: Organisation, area: ServiceArea) -> None:
    db.session.delete(area)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="cooperative.area_removed",
        obj_type="organisation",
        obj_id=org.id,
        after={"municipality": area.municipality_id},
    )


@dataclass
class PublicCooperative:
    name: str
    description: str
    contact_name: str
    contact_email: str
    contact_phone: str
    districts: str
    postcode_ranges: str
    services: list[str] = field(default_factory=list)


def municipalities_of(org: Organisation) -> list[int]:
    """The municipality itself, or a region's member municipalities (and the region)."""
    if org.kind == OrgKind.REGION:
        today = local_today()
        rows = db.session.scalars(
            select(Affiliation).where(
                Affiliation.kind == AffiliationKind.REGION_MEMBER, Affiliation.parent_id == org.id
            )
        )
        return [a.child_id for a in rows if a.is_current(today)]
    return [org.id]


def public_cooperatives_in(municipality_ids: list[int]) -> list[PublicCooperative]:
    """Public profiles of active cooperatives serving these municipalities, with their
    active services: two queries, whatever the number of cooperatives."""
    if not municipality_ids:
        return []
    with cross_tenant("a municipality finds the public profiles of cooperatives in its area"):
        rows = db.session.execute(
            select(Organisation, CooperativeProfile, ServiceArea)
            .join(CooperativeProfile, CooperativeProfile.tenant_id == Organisation.id)
            .join(ServiceArea, ServiceArea.tenant_id == Organisation.id)
            .where(
                ServiceArea.municipality_id.in_(municipality_ids),
                CooperativeProfile.is_public.is_(True),
                CooperativeProfile.phase == Phase.ACTIVE,
                Organisation.is_active.is_(True),
            )
            .order_by(Organisation.name)
        ).all()
        coop_ids = list({org.id for org, _p, _a in rows})
        services: dict[int, list[str]] = {}
        for tenant_id, name in db.session.execute(
            select(Service.tenant_id, Service.name)
            .where(Service.tenant_id.in_(coop_ids), Service.active.is_(True))
            .order_by(Service.name)
        ):
            services.setdefault(tenant_id, []).append(name)
    seen: dict[int, PublicCooperative] = {}
    for org, profile, area in rows:
        if org.id in seen:  # a region: one entry per cooperative, areas joined
            entry = seen[org.id]
            entry.districts = ", ".join(filter(None, (entry.districts, area.districts)))
            continue
        seen[org.id] = PublicCooperative(
            name=org.name,
            description=profile.description,
            contact_name=profile.contact_name,
            contact_email=profile.contact_email,
            contact_phone=profile.contact_phone,
            districts=area.districts,
            postcode_ranges=area.postcode_ranges,
            services=services.get(org.id, []),
        )
    return list(seen.values())
