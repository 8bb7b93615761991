"""Contracts: entering them, their parties, their status, and who may see them. (Signing is
in ``contract_signing``, awards becoming contracts in ``contract_awards``.)

A contract belongs to the organisation that manages it. Its parties read it through the
named functions at the bottom (``seen_contract``, ``contracts_as_party``); every read of
another tenant's rows happens there, under a ``cross_tenant`` scope that says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from koepel.contracts.contract_signing import (
    CONTRACTORS,
    PairState,
    parties_and_signatures,
    required_signatures,
    signature_state,
)
from koepel.contracts.errors import ContractRuleError, _
from koepel.contracts.models.core import (
    Contract,
    ContractKind,
    ContractParty,
    ContractSignature,
    ContractStatus,
    PartyRole,
    PaymentFrequency,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.money import MAX_MONEY
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import local_today as today_local  # noqa: F401 (used by importers)
from koepel.platform.timeutil import utcnow

# Who enters contracts, and in which role the owner is a party to them.
OWNER_ROLE = {
    OrgKind.MUNICIPALITY: PartyRole.BUYER,
    OrgKind.REGION: PartyRole.BUYER,
    OrgKind.INSURER: PartyRole.FUNDER,
    OrgKind.UMBRELLA: PartyRole.LEAD,  # on behalf of its member cooperatives
}
OWNER_KINDS = tuple(OWNER_ROLE)
BUYER_KINDS = (OrgKind.MUNICIPALITY, OrgKind.REGION)  # awards become contracts

OPEN_STATUSES = (ContractStatus.SIGNED, ContractStatus.ACTIVE)
MAX_MONTHS = 240


# -- entering a contract ----------------------------------------------------------------------
@dataclass
class ContractData:
    title: str
    kind: ContractKind
    start_date: date
    initial_months: int
    description: str = ""
    value: Decimal | None = None
    yearly_amount: Decimal | None = None
    payment_frequency: PaymentFrequency = PaymentFrequency.MONTHS
    option_reminder_days: int = 90
    kpi_window_days: int = 60
    shares_figures: bool = False


def _check(data: ContractData) -> None:
    if not (data.title or "").strip():
        raise ContractRuleError(_("Geef het contract een titel."), "title")
    if len(data.title.strip()) > 300:
        raise ContractRuleError(_("Gebruik voor de titel hoogstens 300 tekens."), "title")
    if data.start_date is None:
        raise ContractRuleError(_("Vul de begindatum in."), "start_date")
    if not isinstance(data.initial_months, int) or not 1 <= data.initial_months <= MAX_MONTHS:
        raise ContractRuleError(
            _("De looptijd is 1 tot %(max)d maanden.", max=MAX_MONTHS), "initial_months"
        )
    for name, label in (("value", _("De waarde")), ("yearly_amount", _("Het jaarbedrag"))):
        amount = getattr(data, name)
        if amount is not None and not Decimal(0) <= amount <= MAX_MONEY:
            raise ContractRuleError(_("%(what)s kan niet negatief zijn.", what=label), name)
    if not 0 <= data.option_reminder_days <= 730:
        raise ContractRuleError(
            _("Herinneren kan 0 tot 730 dagen voor de beslisdatum."), "option_reminder_days"
        )
    if not 0 <= data.kpi_window_days <= 365:
        raise ContractRuleError(
            _("De termijn om te rapporteren is 0 tot 365 dagen."), "kpi_window_days"
        )


def _snapshot(contract: Contract) -> dict:
    return {
        "title": contract.title,
        "kind": contract.kind.value,
        "value": contract.value,
        "yearly_amount": contract.yearly_amount,
        "start_date": contract.start_date.isoformat(),
        "initial_months": contract.initial_months,
        "payment_frequency": contract.payment_frequency.value,
        "shares_figures": contract.shares_figures,
    }


def record(actor: User | None, contract: Contract, action: str, **after) -> None:
    audit.record(
        db.session,
        actor=actor,
        tenant_id=contract.tenant_id,
        action=action,
        obj_type="contract",
        obj_id=contract.id,
        after=after or None,
    )


def create(
    *,
    actor: User | None,
    owner: Organisation,
    data: ContractData,
    parties: Sequence[tuple[Organisation, PartyRole]] = (),
    tender_id: int | None = None,
    challenge_assessment_id: int | None = None,
    predecessor: Contract | None = None,
) -> Contract:
    """A draft contract, with the owner as a party in its role and the given parties."""
    if owner.kind not in OWNER_ROLE:
        raise ContractRuleError(_("Deze organisatie sluit geen contracten af."))
    _check(data)
    contract = Contract(
        tenant_id=owner.id,
        title=data.title.strip(),
        description=(data.description or "").strip(),
        kind=data.kind,
        value=data.value,
        yearly_amount=data.yearly_amount,
        payment_frequency=data.payment_frequency,
        start_date=data.start_date,
        initial_months=data.initial_months,
        option_reminder_days=data.option_reminder_days,
        kpi_window_days=data.kpi_window_days,
        shares_figures=data.shares_figures,
        tender_id=tender_id,
        challenge_assessment_id=challenge_assessment_id,
        predecessor_id=predecessor.id if predecessor else None,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(contract)
    db.session.flush()
    record(actor, contract, "contract.created", **_snapshot(contract))
    _add_party(actor, contract, owner, OWNER_ROLE[owner.kind])
    for organisation, role in parties:
        add_party(actor=actor, owner=owner, contract=contract, organisation=organisation, role=role)
    return contract


def _changeable(contract: Contract) -> None:
    if contract.status != ContractStatus.DRAFT:
        raise ContractRuleError(_("Alleen een concept-contract kan nog veranderen."))
    signed = db.session.scalar(
        select(ContractSignature.id).where(ContractSignature.contract_id == contract.id).limit(1)
    )
    if signed is not None:
        raise ContractRuleError(
            _(
                "Er is al ondertekend, dus dit contract verandert niet meer. Trek het in en "
                "maak een nieuw concept als er iets anders moet."
            )
        )


def update(*, actor: User, owner: Organisation, contract: Contract, data: ContractData) -> None:
    _changeable(contract)
    _check(data)
    before = _snapshot(contract)
    contract.title, contract.description = data.title.strip(), (data.description or "").strip()
    contract.kind, contract.value, contract.yearly_amount = (
        data.kind,
        data.value,
        data.yearly_amount,
    )
    contract.payment_frequency, contract.start_date = data.payment_frequency, data.start_date
    contract.initial_months = data.initial_months
    contract.option_reminder_days, contract.kpi_window_days = (
        data.option_reminder_days,
        data.kpi_window_days,
    )
    contract.shares_figures = data.shares_figures
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=owner.id,
        action="contract.updated",
        obj_type="contract",
        obj_id=contract.id,
        before=before,
        after=_snapshot(contract),
    )


def _add_party(
    actor: User | None, contract: Contract, organisation: Organisation, role: PartyRole
) -> ContractParty:
    party = ContractParty(
        tenant_id=contract.tenant_id,
        contract_id=contract.id,
        organisation_id=organisation.id,
        role=role,
    )
    db.session.add(party)
    db.session.flush()
    db.session.refresh(contract, ["parties"])
    record(actor, contract, "contract.party_added", organisation=organisation.slug, role=role.value)
    return party


def add_party(
    *,
    actor: User | None,
    owner: Organisation,
    contract: Contract,
    organisation: Organisation | None,
    role: PartyRole,
) -> ContractParty:
    _changeable(contract)
    if organisation is None or not organisation.is_active:
        raise ContractRuleError(_("Kies een organisatie."), "organisation")
    if any(p.organisation_id == organisation.id for p in contract.parties):
        raise ContractRuleError(
            _("%(name)s is al partij bij dit contract.", name=organisation.name), "organisation"
        )
    if role == PartyRole.LEAD and any(p.role == PartyRole.LEAD for p in contract.parties):
        raise ContractRuleError(_("Er is al een penvoerder."), "role")
    if role == PartyRole.MEMBER and not any(p.role == PartyRole.LEAD for p in contract.parties):
        raise ContractRuleError(
            _("Deelnemende leden horen bij een penvoerder, bijvoorbeeld de koepel."), "role"
        )
    return _add_party(actor, contract, organisation, role)


def remove_party(*, actor: User, owner: Organisation, contract: Contract, party_id: int) -> None:
    _changeable(contract)
    party = next((p for p in contract.parties if p.id == party_id), None)
    if party is None:
        raise ContractRuleError(_("Deze partij hoort niet bij dit contract."))
    if party.organisation_id == owner.id:
        raise ContractRuleError(_("Uw eigen organisatie blijft partij bij het contract."))
    name = party.organisation.name
    contract.parties.remove(party)
    db.session.flush()
    record(actor, contract, "contract.party_removed", organisation=name, role=party.role.value)


# -- status ---------------------------------------------------------------------------------
def activate(
    *, actor: User, owner: Organisation, contract: Contract, now: datetime | None = None
) -> None:
    if contract.status != ContractStatus.SIGNED:
        raise ContractRuleError(_("Een contract gaat pas lopen als iedereen heeft getekend."))
    contract.status, contract.activated_at = ContractStatus.ACTIVE, now or utcnow()
    db.session.flush()
    record(actor, contract, "contract.activated")


def close(
    *,
    actor: User,
    owner: Organisation,
    contract: Contract,
    terminate: bool,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """End a running contract (its term is over), or terminate it early (also a draft or
    signed one: it is then withdrawn) with the reason on record."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if terminate:
        if contract.status in (ContractStatus.ENDED, ContractStatus.TERMINATED):
            raise ContractRuleError(_("Dit contract is al gesloten."))
        if not reason:
            raise ContractRuleError(_("Schrijf op waarom het contract stopt."), "reason")
        status = ContractStatus.TERMINATED
    else:
        if contract.status != ContractStatus.ACTIVE:
            raise ContractRuleError(_("Alleen een lopend contract kan aflopen."))
        status = ContractStatus.ENDED
    before = contract.status.value
    contract.status, contract.closed_at, contract.closing_reason = status, now, reason
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=owner.id,
        action="contract.terminated" if terminate else "contract.ended",
        obj_type="contract",
        obj_id=contract.id,
        before={"status": before},
        after={"status": status.value, "reason": reason},
    )


# -- who sees what ----------------------------------------------------------------------------
@dataclass
class Seen:
    """A contract as the acting organisation may see it. For a party the rows are read in
    a named cross-tenant scope with everything the pages show loaded at once: a lazy load
    later, outside that scope, would fail (or find nothing) rather than leak."""

    contract: Contract
    owner: Organisation
    is_owner: bool
    parties: list[ContractParty]
    signatures: list[ContractSignature]
    own_parties: list[ContractParty] = field(default_factory=list)
    tender_title: str | None = None
    lot_titles: list[str] = field(default_factory=list)
    challenger: str | None = None  # a pilot after a Right to Challenge: who challenged

    @property
    def own_ids(self) -> set[int]:
        return {p.id for p in self.own_parties}

    @property
    def is_contractor(self) -> bool:
        return any(p.role in CONTRACTORS for p in self.own_parties)

    @property
    def pairs(self) -> list[PairState]:
        return signature_state(self.parties, self.signatures)

    def to_sign(self) -> list[ContractParty]:
        """The counterparties the acting organisation still has to sign with."""
        if self.contract.status != ContractStatus.DRAFT:
            return []
        required = required_signatures((p.id, p.role) for p in self.parties)
        done = {(s.party_id, s.counterparty_id) for s in self.signatures}
        by_id = {p.id: p for p in self.parties}
        return [by_id[b] for a, b in sorted(required) if a in self.own_ids and (a, b) not in done]


def _load(contract_id: int) -> Contract | None:
    return db.session.scalar(
        select(Contract)
        .where(Contract.id == contract_id)
        .options(
            selectinload(Contract.parties).selectinload(ContractParty.organisation),
            selectinload(Contract.options),
            selectinload(Contract.lots),
        )
    )


def _origin(contract: Contract) -> tuple[str | None, list[str], str | None]:
    """Where the contract comes from: the tender and its lots, or the challenger of the
    Right to Challenge that led to a pilot (read in the caller's scope)."""
    from koepel.bids.models import Lot, Tender
    from koepel.bids.models.challenges import ChallengeAssessment

    challenger = None
    if contract.challenge_assessment_id is not None:
        challenger = db.session.scalar(
            select(Organisation.name)
            .join(ChallengeAssessment, ChallengeAssessment.challenger_id == Organisation.id)
            .where(ChallengeAssessment.id == contract.challenge_assessment_id)
        )
    if contract.tender_id is None:
        return None, [], challenger
    title = db.session.scalar(select(Tender.title).where(Tender.id == contract.tender_id))
    lots = db.session.execute(
        select(Lot.number, Lot.title)
        .where(Lot.id.in_([lot.lot_id for lot in contract.lots]))
        .order_by(Lot.number)
    ).all()
    return title, [f"{n}. {t}" for n, t in lots], challenger


def seen_contract(org: Organisation, contract_id: int) -> Seen | None:
    """The contract if ``org`` owns it (in its own scope) or is a party to it (read across
    tenants); None otherwise, so the caller answers 404 for both."""
    contract = _load(contract_id)  # scoped: only the acting organisation's own
    if contract is not None:
        _parties, signatures = parties_and_signatures(contract.id)
        origin = _origin(contract)
        return Seen(
            contract,
            org,
            True,
            list(contract.parties),
            signatures,
            [p for p in contract.parties if p.organisation_id == org.id],
            *origin,
        )
    with cross_tenant("a party reads a contract it is party to"):
        is_party = db.session.scalar(
            select(ContractParty.id).where(
                ContractParty.contract_id == contract_id, ContractParty.organisation_id == org.id
            )
        )
        if is_party is None:
            return None
        contract = _load(contract_id)
        _parties, signatures = parties_and_signatures(contract_id)
        origin = _origin(contract)
        owner = db.session.get(Organisation, contract.tenant_id)
        parties = list(contract.parties)
    return Seen(
        contract,
        owner,
        False,
        parties,
        signatures,
        [p for p in parties if p.organisation_id == org.id],
        *origin,
    )


@dataclass(frozen=True)
class ContractSummary:
    id: int
    title: str
    kind: ContractKind
    status: ContractStatus
    owner: str
    role: PartyRole | None  # the acting organisation's role (None: not a party)
    start_date: date
    end_date: date
    value: Decimal | None


def _summary(contract: Contract, owner_name: str, org_id: int) -> ContractSummary:
    role = next((p.role for p in contract.parties if p.organisation_id == org_id), None)
    return ContractSummary(
        contract.id,
        contract.title,
        contract.kind,
        contract.status,
        owner_name,
        role,
        contract.start_date,
        contract.end_date,
        contract.value,
    )


def own_contracts(org: Organisation) -> list[ContractSummary]:
    rows = db.session.scalars(
        select(Contract)
        .options(selectinload(Contract.parties), selectinload(Contract.options))
        .order_by(Contract.start_date.desc(), Contract.id.desc())
    ).all()
    return [_summary(c, org.name, org.id) for c in rows]


def contracts_as_party(org: Organisation) -> list[ContractSummary]:
    """Other organisations' contracts that ``org`` is a party to (title, status, term)."""
    with cross_tenant("a party lists the contracts it is party to"):
        rows = db.session.scalars(
            select(Contract)
            .join(ContractParty, ContractParty.contract_id == Contract.id)
            .where(ContractParty.organisation_id == org.id, Contract.tenant_id != org.id)
            .options(selectinload(Contract.parties), selectinload(Contract.options))
            .order_by(Contract.start_date.desc(), Contract.id.desc())
        ).all()
        owners = {
            o.id: o.name
            for o in db.session.scalars(
                select(Organisation).where(Organisation.id.in_({c.tenant_id for c in rows}))
            )
        }
        result = [_summary(c, owners[c.tenant_id], org.id) for c in rows]
    return result
