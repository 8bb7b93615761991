"""Partnership agreements ("basisafspraken") between a cooperative and a provider, without a
tender: mission, way of working, contact persons, money, who holds final responsibility,
the agreed split of tasks between professional, volunteer and family carer (together
exactly 100 %), agreed deviations from rules, and the members' quality criteria.

The side that writes the agreement owns it; the partner reads it and agrees to it through
the named functions below (``seen_agreement``, ``agree``, ``agreements_for``). An agreement
is a draft until the partner agrees; it can end, and a new partner can take over: the
successor starts as a copy for the new partner, linked to the one it continues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from koepel.contracts.errors import ContractRuleError, _, percentage
from koepel.contracts.models.core import (
    PartnershipAgreement,
    PartnershipCriterion,
    PartnershipStatus,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.money import MAX_MONEY, validate_weights_sum_100
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import utcnow

COOPERATIVE_SIDE = (OrgKind.COOPERATIVE, OrgKind.UMBRELLA)
PROVIDER_SIDE = (OrgKind.PROVIDER,)
PARTNER_KINDS = COOPERATIVE_SIDE + PROVIDER_SIDE
OWN, PARTNER = "own", "partner"  # who holds final responsibility


@dataclass
class AgreementData:
    title: str
    partner: Organisation | None
    starts_on: date | None
    professional_share: Decimal | None
    volunteer_share: Decimal | None
    family_share: Decimal | None
    responsible: str = OWN
    mission: str = ""
    way_of_working: str = ""
    own_contact: str = ""
    partner_contact: str = ""
    money_description: str = ""
    money_percentage: Decimal | None = None
    money_amount: Decimal | None = None
    responsibility_note: str = ""
    deviations: str = ""


def _check_partner(owner: Organisation, partner: Organisation | None) -> Organisation:
    if partner is None or not partner.is_active:
        raise ContractRuleError(_("Kies de organisatie waarmee u samenwerkt."), "partner")
    if owner.kind in COOPERATIVE_SIDE and partner.kind not in PROVIDER_SIDE:
        raise ContractRuleError(
            _(
                "Een samenwerkingsafspraak is tussen een zorgcoöperatie en een zorgaanbieder. "
                "Kies een zorgaanbieder."
            ),
            "partner",
        )
    if owner.kind in PROVIDER_SIDE and partner.kind not in COOPERATIVE_SIDE:
        raise ContractRuleError(
            _(
                "Een samenwerkingsafspraak is tussen een zorgcoöperatie en een zorgaanbieder. "
                "Kies een zorgcoöperatie."
            ),
            "partner",
        )
    return partner


def _check(owner: Organisation, data: AgreementData) -> None:
    if owner.kind not in PARTNER_KINDS:
        raise ContractRuleError(_("Deze organisatie maakt geen samenwerkingsafspraken."))
    if not (data.title or "").strip():
        raise ContractRuleError(_("Geef de afspraak een titel."), "title")
    _check_partner(owner, data.partner)
    if data.starts_on is None:
        raise ContractRuleError(_("Vul in vanaf wanneer de afspraak geldt."), "starts_on")
    shares = {
        "professional_share": data.professional_share,
        "volunteer_share": data.volunteer_share,
        "family_share": data.family_share,
    }
    for name, value in shares.items():
        if value is None:
            raise ContractRuleError(_("Vul voor elk een percentage in; 0 mag ook."), name)
    try:
        validate_weights_sum_100(list(shares.values()))
    except ValueError as exc:
        raise ContractRuleError(str(exc), "professional_share") from None
    if data.money_percentage is not None:
        percentage(data.money_percentage, _("Het deel van het geld"), "money_percentage")
    if data.money_amount is not None and not Decimal(0) <= data.money_amount <= MAX_MONEY:
        raise ContractRuleError(_("Een bedrag kan niet negatief zijn."), "money_amount")
    if data.responsible not in (OWN, PARTNER):
        raise ContractRuleError(_("Kies wie eindverantwoordelijk is."), "responsible")


def _fill(agreement: PartnershipAgreement, owner: Organisation, data: AgreementData) -> None:
    agreement.title = data.title.strip()[:300]
    agreement.partner_id = data.partner.id
    agreement.starts_on = data.starts_on
    agreement.mission, agreement.way_of_working = data.mission.strip(), data.way_of_working.strip()
    agreement.own_contact = data.own_contact.strip()[:300]
    agreement.partner_contact = data.partner_contact.strip()[:300]
    agreement.money_description = data.money_description.strip()
    agreement.money_percentage, agreement.money_amount = data.money_percentage, data.money_amount
    agreement.responsible_id = owner.id if data.responsible == OWN else data.partner.id
    agreement.responsibility_note = data.responsibility_note.strip()
    agreement.professional_share = data.professional_share
    agreement.volunteer_share = data.volunteer_share
    agreement.family_share = data.family_share
    agreement.deviations = data.deviations.strip()


def _snapshot(a: PartnershipAgreement) -> dict:
    return {
        "title": a.title,
        "partner": a.partner_id,
        "starts_on": a.starts_on.isoformat(),
        "split": [a.professional_share, a.volunteer_share, a.family_share],
        "money_percentage": a.money_percentage,
        "money_amount": a.money_amount,
        "responsible": a.responsible_id,
    }


def _record(actor, agreement: PartnershipAgreement, action: str, tenants=(), **kw) -> None:
    for tenant_id in dict.fromkeys([agreement.tenant_id, *tenants]):
        audit.record(
            db.session,
            actor=actor,
            tenant_id=tenant_id,
            action=action,
            obj_type="partnership_agreement",
            obj_id=agreement.id,
            **kw,
        )


def create(
    *,
    actor: User | None,
    owner: Organisation,
    data: AgreementData,
    criteria: list[tuple[str, str]] = (),
    predecessor: PartnershipAgreement | None = None,
) -> PartnershipAgreement:
    _check(owner, data)
    agreement = PartnershipAgreement(
        tenant_id=owner.id,
        predecessor_id=predecessor.id if predecessor else None,
        created_by_id=actor.id if actor else None,
    )
    _fill(agreement, owner, data)
    db.session.add(agreement)
    db.session.flush()
    for title, description in criteria:
        _criterion(agreement, title, description)
    _record(actor, agreement, "partnership.created", after=_snapshot(agreement))
    return agreement


def update(
    *, actor: User, owner: Organisation, agreement: PartnershipAgreement, data: AgreementData
) -> None:
    if agreement.status != PartnershipStatus.DRAFT:
        raise ContractRuleError(
            _("De partner heeft al ingestemd; deze afspraak verandert niet meer.")
        )
    _check(owner, data)
    before = _snapshot(agreement)
    _fill(agreement, owner, data)
    db.session.flush()
    _record(actor, agreement, "partnership.updated", before=before, after=_snapshot(agreement))


def _criterion(
    agreement: PartnershipAgreement, title: str, description: str
) -> PartnershipCriterion:
    title = (title or "").strip()
    if not title:
        raise ContractRuleError(_("Geef het kwaliteitscriterium een naam."), "title")
    criterion = PartnershipCriterion(
        tenant_id=agreement.tenant_id,
        agreement_id=agreement.id,
        position=len(agreement.criteria) + 1,
        title=title[:300],
        description=(description or "").strip(),
    )
    agreement.criteria.append(criterion)
    db.session.flush()
    return criterion


def add_criterion(
    *,
    actor: User,
    owner: Organisation,
    agreement: PartnershipAgreement,
    title: str,
    description: str = "",
) -> PartnershipCriterion:
    if agreement.status != PartnershipStatus.DRAFT:
        raise ContractRuleError(
            _("De partner heeft al ingestemd; deze afspraak verandert niet meer.")
        )
    criterion = _criterion(agreement, title, description)
    _record(actor, agreement, "partnership.criterion_added", after={"title": criterion.title})
    return criterion


def agree(
    *, actor: User, org: Organisation, agreement_id: int, now: datetime | None = None
) -> None:
    """The partner agrees to a draft: from then on it holds for both."""
    with cross_tenant("a partner agrees to a partnership agreement made with it"):
        agreement = db.session.scalar(
            select(PartnershipAgreement).where(
                PartnershipAgreement.id == agreement_id,
                PartnershipAgreement.partner_id == org.id,
            )
        )
        if agreement is None:
            raise ContractRuleError(_("Alleen de partner stemt in met deze afspraak."))
        if agreement.status != PartnershipStatus.DRAFT:
            raise ContractRuleError(_("Met deze afspraak is al ingestemd of zij is beëindigd."))
        agreement.status = PartnershipStatus.ACTIVE
        agreement.agreed_at, agreement.agreed_by_id = now or utcnow(), actor.id
        db.session.flush()
        _record(actor, agreement, "partnership.agreed", tenants=[org.id])


def end(
    *,
    actor: User,
    owner: Organisation,
    agreement: PartnershipAgreement,
    ended_on: date | None,
    reason: str,
    successor: Organisation | None = None,
) -> PartnershipAgreement | None:
    """End an agreement; with ``successor`` a new draft continues it with that partner
    (same terms and criteria, from the day after), linked to this one."""
    if agreement.status != PartnershipStatus.ACTIVE:
        raise ContractRuleError(_("Alleen een afspraak die geldt, kan eindigen."))
    if ended_on is None:
        raise ContractRuleError(_("Vul de laatste dag in."), "ended_on")
    if ended_on < agreement.starts_on:
        raise ContractRuleError(
            _("De laatste dag ligt vóór het begin van de afspraak."), "ended_on"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ContractRuleError(_("Schrijf op waarom de afspraak eindigt."), "reason")
    if successor is not None:
        _check_partner(owner, successor)
        if successor.id == agreement.partner_id:
            raise ContractRuleError(_("Kies een andere partner om het over te nemen."), "successor")
    agreement.status, agreement.ended_on, agreement.end_reason = (
        PartnershipStatus.ENDED,
        ended_on,
        reason,
    )
    db.session.flush()
    _record(
        actor,
        agreement,
        "partnership.ended",
        tenants=[agreement.partner_id],
        after={"ended_on": ended_on.isoformat(), "reason": reason},
    )
    if successor is None:
        return None
    old_partner_responsible = agreement.responsible_id == agreement.partner_id
    return create(
        actor=actor,
        owner=owner,
        data=AgreementData(
            title=agreement.title,
            partner=successor,
            starts_on=ended_on + timedelta(days=1),
            professional_share=agreement.professional_share,
            volunteer_share=agreement.volunteer_share,
            family_share=agreement.family_share,
            responsible=PARTNER if old_partner_responsible else OWN,
            mission=agreement.mission,
            way_of_working=agreement.way_of_working,
            own_contact=agreement.own_contact,
            money_description=agreement.money_description,
            money_percentage=agreement.money_percentage,
            money_amount=agreement.money_amount,
            responsibility_note=agreement.responsibility_note,
            deviations=agreement.deviations,
        ),
        criteria=[(c.title, c.description) for c in agreement.criteria],
        predecessor=agreement,
    )


# -- who sees what ----------------------------------------------------------------------------
@dataclass
class SeenAgreement:
    agreement: PartnershipAgreement
    owner: Organisation
    partner: Organisation
    is_owner: bool
    predecessor: tuple[int, str] | None = None  # id and partner name
    successor: tuple[int, str] | None = None
    criteria: list[PartnershipCriterion] = field(default_factory=list)

    @property
    def responsible(self) -> Organisation:
        return self.owner if self.agreement.responsible_id == self.owner.id else self.partner


def _load(stmt) -> PartnershipAgreement | None:
    return db.session.scalar(stmt.options(selectinload(PartnershipAgreement.criteria)))


def _links(agreement: PartnershipAgreement) -> tuple[tuple | None, tuple | None]:
    def named(row: PartnershipAgreement | None) -> tuple[int, str] | None:
        return (row.id, db.session.get(Organisation, row.partner_id).name) if row else None

    before = (
        db.session.get(PartnershipAgreement, agreement.predecessor_id)
        if agreement.predecessor_id
        else None
    )
    after = db.session.scalar(
        select(PartnershipAgreement).where(PartnershipAgreement.predecessor_id == agreement.id)
    )
    return named(before), named(after)


def seen_agreement(org: Organisation, agreement_id: int) -> SeenAgreement | None:
    """The agreement if ``org`` wrote it (own scope) or is its partner (read across
    tenants, with its criteria); None otherwise."""
    agreement = _load(select(PartnershipAgreement).where(PartnershipAgreement.id == agreement_id))
    if agreement is not None:
        before, after = _links(agreement)
        partner = db.session.get(Organisation, agreement.partner_id)
        return SeenAgreement(agreement, org, partner, True, before, after, list(agreement.criteria))
    with cross_tenant("a partner reads the partnership agreement made with it"):
        agreement = _load(
            select(PartnershipAgreement).where(
                PartnershipAgreement.id == agreement_id,
                PartnershipAgreement.partner_id == org.id,
            )
        )
        if agreement is None:
            return None
        owner = db.session.get(Organisation, agreement.tenant_id)
        criteria = list(agreement.criteria)
        before, after = _links(agreement)
    # The partner follows the chain only as far as it is the partner of each link.
    before = before if before and _is_partner_of(org, before[0]) else None
    after = after if after and _is_partner_of(org, after[0]) else None
    return SeenAgreement(agreement, owner, org, False, before, after, criteria)


def _is_partner_of(org: Organisation, agreement_id: int) -> bool:
    with cross_tenant("a partner checks whether it is party to a linked agreement"):
        return (
            db.session.scalar(
                select(PartnershipAgreement.id).where(
                    PartnershipAgreement.id == agreement_id,
                    PartnershipAgreement.partner_id == org.id,
                )
            )
            is not None
        )


@dataclass(frozen=True)
class AgreementSummary:
    id: int
    title: str
    other: str  # the other side's name
    status: PartnershipStatus
    starts_on: date
    ended_on: date | None
    own: bool


def agreements_for(org: Organisation) -> list[AgreementSummary]:
    own = db.session.scalars(
        select(PartnershipAgreement).order_by(
            PartnershipAgreement.starts_on.desc(), PartnershipAgreement.id.desc()
        )
    ).all()
    names = {
        o.id: o.name
        for o in db.session.scalars(
            select(Organisation).where(Organisation.id.in_({a.partner_id for a in own}))
        )
    }
    result = [
        AgreementSummary(
            a.id, a.title, names[a.partner_id], a.status, a.starts_on, a.ended_on, True
        )
        for a in own
    ]
    with cross_tenant("a partner lists the partnership agreements made with it"):
        theirs = db.session.execute(
            select(
                PartnershipAgreement.id,
                PartnershipAgreement.title,
                Organisation.name,
                PartnershipAgreement.status,
                PartnershipAgreement.starts_on,
                PartnershipAgreement.ended_on,
            )
            .join(Organisation, Organisation.id == PartnershipAgreement.tenant_id)
            .where(PartnershipAgreement.partner_id == org.id)
            .order_by(PartnershipAgreement.starts_on.desc(), PartnershipAgreement.id.desc())
        ).all()
    result += [AgreementSummary(*row, False) for row in theirs]
    return result
