"""Open data: the contracts of a published tender, for its OCDS release package.

``koepel.bids.publication`` builds the package and must not import this module, so this
module registers ``public_contracts`` there as its contract source when the app starts.
Only signed contracts are public (a draft is the buyer's work in progress), each with the
payments made under it; amounts to subcontractors are public only as payments made.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from koepel.bids import publication
from koepel.contracts.models.core import (
    Contract,
    ContractParty,
    ContractPayment,
    ContractStatus,
    PaymentStatus,
)
from koepel.platform.extensions import db
from koepel.platform.tenancy import cross_tenant

OCDS_STATUS = {
    ContractStatus.SIGNED: "pending",  # signed by all, not started yet
    ContractStatus.ACTIVE: "active",
    ContractStatus.ENDED: "terminated",
    ContractStatus.TERMINATED: "terminated",
}


def public_contracts(tender_id: int) -> list[publication.ContractFacts]:
    with cross_tenant("open data: the signed contracts that implement a tender's awards"):
        contracts = db.session.scalars(
            select(Contract)
            .where(
                Contract.tender_id == tender_id,
                Contract.status.in_(list(OCDS_STATUS)),
                Contract.signed_at.is_not(None),
            )
            .options(selectinload(Contract.lots), selectinload(Contract.options))
            .order_by(Contract.id)
        ).all()
        ids = [c.id for c in contracts]
        organisation_of = dict(
            db.session.execute(
                select(ContractParty.id, ContractParty.organisation_id).where(
                    ContractParty.contract_id.in_(ids)
                )
            ).all()
        )
        paid = db.session.scalars(
            select(ContractPayment)
            .where(
                ContractPayment.contract_id.in_(ids),
                ContractPayment.status == PaymentStatus.PAID,
            )
            .order_by(ContractPayment.paid_on, ContractPayment.id)
        ).all()
        facts = []
        for contract in contracts:
            lots = [lot.lot_id for lot in contract.lots if lot.award_id is not None]
            if not lots:
                continue
            facts.append(
                publication.ContractFacts(
                    id=contract.id,
                    lot_id=lots[0],
                    title=contract.title,
                    description=contract.description,
                    status=OCDS_STATUS[contract.status],
                    start=contract.start_date,
                    end=contract.end_date,
                    value=contract.value,
                    signed_at=contract.signed_at,
                    payments=[
                        publication.PaymentFacts(
                            id=p.id,
                            paid_on=p.paid_on,
                            amount=p.amount,
                            organisation_id=organisation_of[p.party_id],
                        )
                        for p in paid
                        if p.contract_id == contract.id
                    ],
                )
            )
    return facts


def register() -> None:
    publication.register_contract_source(public_contracts)
