"""Changes to a cooperative's service catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.money import to_money
from koepel.tenants.models import FundingSource, Service, ServiceKind
from koepel.tenants.models.services import CATALOGUE


class ServiceError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class ServiceData:
    code: str
    name: str
    kind: ServiceKind
    funding: FundingSource
    member_price: Decimal
    price_unit: str = ""
    description: str = ""
    partner_id: int | None = None
    requires_vog: bool = False
    active: bool = True


def _check(org: Organisation, data: ServiceData, current: Service | None) -> None:
    if data.code not in CATALOGUE:
        raise ServiceError(_("Kies een dienst uit de lijst."), "code")
    if not data.name.strip():
        raise ServiceError(_("Geef de dienst een naam."), "name")
    data.member_price = to_money(data.member_price)
    if data.member_price < 0:
        raise ServiceError(_("Een prijs kan niet negatief zijn."), "member_price")
    if data.partner_id is not None:
        partner = db.session.get(Organisation, data.partner_id)
        if partner is None or partner.kind != OrgKind.PROVIDER:
            raise ServiceError(_("Kies een zorgaanbieder als partner."), "partner_id")
        if data.kind != ServiceKind.FORMAL:
            raise ServiceError(_("Alleen formele zorg gaat via een zorgaanbieder."), "partner_id")
    clash = db.session.scalar(select(Service).where(Service.name == data.name.strip()))
    if clash is not None and clash is not current:
        raise ServiceError(_("Er is al een dienst met deze naam."), "name")


def _apply(service: Service, data: ServiceData) -> None:
    service.code, service.name = data.code, data.name.strip()
    service.kind, service.funding = data.kind, data.funding
    service.member_price, service.price_unit = data.member_price, data.price_unit.strip()
    service.description, service.partner_id = data.description.strip(), data.partner_id
    service.requires_vog, service.active = data.requires_vog, data.active


def _summary(service: Service) -> dict:
    return {
        "name": service.name,
        "code": service.code,
        "kind": service.kind.value,
        "funding": service.funding.value,
        "member_price": service.member_price,
        "active": service.active,
    }


def create(*, actor: User | None, org: Organisation, data: ServiceData) -> Service:
    _check(org, data, None)
    service = Service(tenant_id=org.id)
    _apply(service, data)
    db.session.add(service)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="service.created",
        obj_type="service",
        obj_id=service.id,
        after=_summary(service),
    )
    return service


def update(
    *, actor: User | None, org: Organisation, service: Service, data: ServiceData
) -> Service:
    _check(org, data, service)
    before = _summary(service)
    _apply(service, data)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="service.updated",
        obj_type="service",
        obj_id=service.id,
        before=before,
        after=_summary(service),
    )
    return service
