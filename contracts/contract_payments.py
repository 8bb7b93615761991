"""Paying a contract, stored: advance payments (voorschotten) per period from the rules in
``koepel.contracts.payments``, supplements, marking payments made, and the final settlement
of a party's year; and the transition from one-year transitional contracts for every
existing provider to multi-year contracts.

Who sees what: the owner sees every payment. A party sees its own payments and
settlements, and every party's only when the contract shares the figures
(``Contract.shares_figures``); the agreed totals (value, yearly amount) are on the contract
itself for every party to see. A subcontractor thus never sees what a main contractor or
another subcontractor is paid, unless the contract says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from koepel.contracts import payments as rules
from koepel.contracts.contracting import (
    CONTRACTORS,
    OPEN_STATUSES,
    ContractData,
    Seen,
    create,
    today_local,
)
from koepel.contracts.errors import ContractRuleError, _
from koepel.contracts.models.core import (
    Contract,
    ContractKind,
    ContractParty,
    ContractPayment,
    ContractSettlement,
    ContractStatus,
    PartyRole,
    PaymentFrequency,
    PaymentKind,
    PaymentStatus,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import utcnow

ZERO = Decimal("0.00")


def _record(actor: User | None, contract: Contract, action: str, **after) -> None:
    audit.record(
        db.session,
        actor=actor,
        tenant_id=contract.tenant_id,
        action=action,
        obj_type="contract",
        obj_id=contract.id,
        after=after,
    )


def _payee(contract: Contract, party_id: int | None) -> ContractParty:
    party = next((p for p in contract.parties if p.id == party_id), None)
    if party is None or party.role not in CONTRACTORS:
        raise ContractRuleError(_("Kies een aannemer van dit contract."), "party")
    return party


def _running(contract: Contract) -> None:
    if contract.status not in (*OPEN_STATUSES, ContractStatus.ENDED):
        raise ContractRuleError(_("Betalingen horen bij een getekend contract."))


def _year(contract: Contract, year: int | None) -> int:
    if year is None or not contract.start_date.year <= year <= contract.end_date.year:
        raise ContractRuleError(
            _(
                "Kies een jaar waarin het contract loopt (%(a)d tot en met %(b)d).",
                a=contract.start_date.year,
                b=contract.end_date.year,
            ),
            "year",
        )
    return year


def plan_advances(
    *,
    actor: User | None,
    owner: Organisation,
    contract: Contract,
    party_id: int | None,
    year: int | None,
    yearly_amount: Decimal | None = None,
) -> list[ContractPayment]:
    """The advances of one party for one year: the yearly amount over the periods of the
    year, of which the contract pays those in force (``payments.contract_advances``)."""
    _running(contract)
    party = _payee(contract, party_id)
    year = _year(contract, year)
    yearly = yearly_amount if yearly_amount is not None else contract.yearly_amount
    if yearly is None:
        raise ContractRuleError(_("Vul het jaarbedrag in."), "yearly_amount")
    exists = db.session.scalar(
        select(ContractPayment.id).where(
            ContractPayment.contract_id == contract.id,
            ContractPayment.party_id == party.id,
            ContractPayment.kind == PaymentKind.ADVANCE,
            ContractPayment.year == year,
        )
    )
    if exists is not None:
        raise ContractRuleError(
            _(
                "De voorschotten van %(name)s voor %(year)d zijn al gepland.",
                name=party.organisation.name,
                year=year,
            ),
            "year",
        )
    schedule = rules.contract_advances(
        rules.Contract(
            id=str(contract.id),
            provider=str(party.id),
            kind=contract.kind.value,
            start=contract.start_date,
            end=contract.end_date,
            yearly_amount=yearly,
            frequency=contract.payment_frequency.value,
        ),
        year,
    )
    if not schedule:
        raise ContractRuleError(
            _("In %(year)d loopt het contract in geen enkele periode.", year=year), "year"
        )
    rows = [
        ContractPayment(
            tenant_id=contract.tenant_id,
            contract_id=contract.id,
            party_id=party.id,
            kind=PaymentKind.ADVANCE,
            year=year,
            period_index=a.period.index,
            period_start=a.period.start,
            period_end=a.period.end,
            amount=a.amount,
            recorded_by_id=actor.id if actor else None,
        )
        for a in schedule
    ]
    db.session.add_all(rows)
    db.session.flush()
    _record(
        actor,
        contract,
        "contract.advances_planned",
        party=party.organisation.slug,
        year=year,
        yearly_amount=yearly,
        periods=len(rows),
        total=rules.year_total(schedule),
    )
    return rows


def add_supplement(
    *,
    actor: User,
    owner: Organisation,
    contract: Contract,
    party_id: int | None,
    year: int | None,
    amount: Decimal | None,
    reason: str,
    settled: bool,
) -> ContractPayment:
    """A supplement on top of the advances: deducted at the final settlement (``settled``)
    or kept by the party (an innovation supplement)."""
    _running(contract)
    party = _payee(contract, party_id)
    year = _year(contract, year)
    if amount is None:
        raise ContractRuleError(_("Vul het bedrag in."), "amount")
    try:
        supplement = rules.Supplement(amount, (reason or "").strip(), settled)
    except ContractRuleError as exc:
        raise ContractRuleError(str(exc), "amount") from None
    if supplement.amount == 0:
        raise ContractRuleError(_("Een toeslag is meer dan € 0,00."), "amount")
    if not supplement.reason:
        raise ContractRuleError(_("Schrijf op waarvoor de toeslag is."), "reason")
    row = ContractPayment(
        tenant_id=contract.tenant_id,
        contract_id=contract.id,
        party_id=party.id,
        kind=PaymentKind.SUPPLEMENT,
        year=year,
        amount=supplement.amount,
        settled=supplement.settled,
        reason=supplement.reason,
        recorded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    _record(
        actor,
        contract,
        "contract.supplement_added",
        party=party.organisation.slug,
        year=year,
        amount=row.amount,
        settled=row.settled,
        reason=row.reason,
    )
    return row


def mark_paid(
    *,
    actor: User,
    owner: Organisation,
    contract: Contract,
    payment_id: int,
    paid_on: date | None = None,
) -> ContractPayment:
    payment = db.session.scalar(
        select(ContractPayment).where(
            ContractPayment.id == payment_id, ContractPayment.contract_id == contract.id
        )
    )
    if payment is None:
        raise ContractRuleError(_("Deze betaling hoort niet bij dit contract."))
    if payment.status == PaymentStatus.PAID:
        raise ContractRuleError(_("Deze betaling is al gedaan."))
    payment.status, payment.paid_on = PaymentStatus.PAID, paid_on or today_local()
    db.session.flush()
    _record(
        actor,
        contract,
        "contract.payment_made",
        payment=payment.id,
        kind=payment.kind.value,
        amount=payment.amount,
        paid_on=payment.paid_on.isoformat(),
    )
    return payment


def settle(
    *,
    actor: User,
    owner: Organisation,
    contract: Contract,
    party_id: int | None,
    year: int | None,
    delivered: Decimal | None,
    now: datetime | None = None,
) -> ContractSettlement:
    """The final settlement of one party's year from what it delivered (in euros): every
    advance and supplement of that year must have been paid first."""
    _running(contract)
    party = _payee(contract, party_id)
    year = _year(contract, year)
    if delivered is None:
        raise ContractRuleError(_("Vul de waarde van wat geleverd is in."), "delivered")
    if db.session.scalar(
        select(ContractSettlement.id).where(
            ContractSettlement.contract_id == contract.id,
            ContractSettlement.party_id == party.id,
            ContractSettlement.year == year,
        )
    ):
        raise ContractRuleError(
            _("%(year)d is voor %(name)s al afgerekend.", year=year, name=party.organisation.name),
            "year",
        )
    rows = db.session.scalars(
        select(ContractPayment).where(
            ContractPayment.contract_id == contract.id,
            ContractPayment.party_id == party.id,
            ContractPayment.year == year,
            ContractPayment.kind != PaymentKind.SETTLEMENT,
        )
    ).all()
    if any(r.status != PaymentStatus.PAID for r in rows):
        raise ContractRuleError(
            _(
                "Nog niet alle voorschotten en toeslagen van %(year)d zijn betaald. Rond die "
                "eerst af.",
                year=year,
            ),
            "year",
        )
    try:
        outcome = rules.final_settlement(
            delivered,
            [r.amount for r in rows if r.kind == PaymentKind.ADVANCE],
            [
                rules.Supplement(r.amount, r.reason, r.settled)
                for r in rows
                if r.kind == PaymentKind.SUPPLEMENT
            ],
        )
    except ContractRuleError as exc:
        raise ContractRuleError(str(exc), "delivered") from None
    payment = None
    if outcome.balance != 0:
        payment = ContractPayment(
            tenant_id=contract.tenant_id,
            contract_id=contract.id,
            party_id=party.id,
            kind=PaymentKind.SETTLEMENT,
            year=year,
            amount=outcome.balance,
            reason=outcome.summary(),
            recorded_by_id=actor.id,
        )
        db.session.add(payment)
        db.session.flush()
    settlement = ContractSettlement(
        tenant_id=contract.tenant_id,
        contract_id=contract.id,
        party_id=party.id,
        year=year,
        delivered=outcome.delivered,
        advances=outcome.advances,
        settled_supplements=outcome.settled_supplements,
        kept_supplements=outcome.kept_supplements,
        balance=outcome.balance,
        summary=outcome.summary(),
        payment_id=payment.id if payment else None,
        decided_by_id=actor.id,
        decided_at=now or utcnow(),
    )
    db.session.add(settlement)
    db.session.flush()
    _record(
        actor,
        contract,
        "contract.settled",
        party=party.organisation.slug,
        year=year,
        delivered=outcome.delivered,
        advances=outcome.advances,
        balance=outcome.balance,
    )
    return settlement


# -- what a party sees ------------------------------------------------------------------------
@dataclass(frozen=True)
class PartyTotals:
    party: ContractParty
    planned: Decimal
    paid: Decimal


@dataclass(frozen=True)
class PaymentsView:
    payments: list[ContractPayment]
    settlements: list[ContractSettlement]
    totals: list[PartyTotals]
    complete: bool  # every party's figures (owner, or the contract shares them)


def payments_of(seen: Seen) -> PaymentsView:
    """The payments and settlements the acting organisation may see (see the docstring)."""
    contract = seen.contract
    everything = seen.is_owner or contract.shares_figures
    pay = select(ContractPayment).where(ContractPayment.contract_id == contract.id)
    done = select(ContractSettlement).where(ContractSettlement.contract_id == contract.id)
    if not everything:
        pay = pay.where(ContractPayment.party_id.in_(seen.own_ids))
        done = done.where(ContractSettlement.party_id.in_(seen.own_ids))
    pay = pay.order_by(
        ContractPayment.year, ContractPayment.party_id, ContractPayment.kind, ContractPayment.id
    )
    done = done.order_by(ContractSettlement.year, ContractSettlement.party_id)
    if seen.is_owner:
        payments, settlements = db.session.scalars(pay).all(), db.session.scalars(done).all()
    else:
        with cross_tenant("a party reads the payments of a contract it is party to"):
            payments, settlements = db.session.scalars(pay).all(), db.session.scalars(done).all()
    shown = [p for p in seen.parties if everything or p.id in seen.own_ids]
    totals = [
        PartyTotals(
            party,
            sum((p.amount for p in payments if p.party_id == party.id), ZERO),
            sum(
                (
                    p.amount
                    for p in payments
                    if p.party_id == party.id and p.status == PaymentStatus.PAID
                ),
                ZERO,
            ),
        )
        for party in shown
        if party.role in CONTRACTORS
    ]
    return PaymentsView(list(payments), list(settlements), totals, everything)


# -- transition: one year for every existing provider, then multi-year contracts ---------------
def plan_transition(
    *,
    actor: User | None,
    buyer: Organisation,
    existing: Mapping[Organisation, Decimal],
    year: int,
    multi_year: Mapping[Organisation, Decimal],
    years: int,
    frequency: PaymentFrequency = PaymentFrequency.MONTHS,
) -> list[Contract]:
    """Draft contracts from ``payments.transition_plan``: a transitional contract for
    every existing provider in ``year``, then from 1 January of the next year a contract
    of ``years`` years for each provider in ``multi_year``, following its transitional
    contract where it had one."""
    by_key = {str(org.id): org for org in [*existing, *multi_year]}
    plan = rules.transition_plan(
        {str(org.id): amount for org, amount in existing.items()},
        year,
        {str(org.id): amount for org, amount in multi_year.items()},
        years,
        frequency=frequency.value,
    )
    made: dict[tuple[str, str], Contract] = {}
    for planned in plan:
        provider = by_key[planned.provider]
        transitional = planned.kind == rules.TRANSITIONAL
        months = (planned.end.year - planned.start.year + 1) * 12
        title = (
            _("Overgangscontract %(year)d: %(name)s", year=year, name=provider.name)
            if transitional
            else _(
                "Meerjarig contract %(a)d–%(b)d: %(name)s",
                a=planned.start.year,
                b=planned.end.year,
                name=provider.name,
            )
        )
        contract = create(
            actor=actor,
            owner=buyer,
            data=ContractData(
                title=title,
                kind=ContractKind.TRANSITIONAL if transitional else ContractKind.OTHER,
                start_date=planned.start,
                initial_months=months,
                value=planned.yearly_amount * (months // 12),
                yearly_amount=planned.yearly_amount,
                payment_frequency=frequency,
            ),
            parties=[(provider, PartyRole.MAIN)],
            predecessor=None if transitional else made.get((planned.provider, rules.TRANSITIONAL)),
        )
        made[(planned.provider, planned.kind)] = contract
    return list(made.values())
