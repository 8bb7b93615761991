"""Open data: published tenders as OCDS 1.1.5 release packages (lots and bids extensions).

Everything here is public, so it reads across tenants under named scopes and publishes
only what may be public: before the opening no bidder, bid or price at all — at most the
number of bids, when the tender says so.

Contracts and the payments made under them come from the contracts module, which this one
must not import (``contracts`` builds on ``bids``, not the other way round): it registers a
*contract source* here (``register_contract_source``), a function that gives the public
facts of a tender's signed contracts, and the package adds them as the OCDS ``contracts``
section, each with its payments as ``implementation.transactions``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import func, select

from koepel.bids import objections, ocds
from koepel.bids.models import (
    AwardDecision,
    Bid,
    BidStatus,
    OpenedBid,
    Procedure,
    Tender,
    TenderStatus,
)
from koepel.platform.extensions import db
from koepel.platform.models import Organisation
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import AMSTERDAM, utcnow

PUBLIC_STATUSES = tuple(s for s in TenderStatus if s != TenderStatus.DRAFT)
OCDS_STATUS = {
    TenderStatus.PUBLISHED: "active",
    TenderStatus.OPENED: "active",
    TenderStatus.EVALUATED: "active",
    TenderStatus.AWARDED: "complete",
    TenderStatus.CANCELLED: "cancelled",
}
METHOD = {
    Procedure.OPEN: "open",
    Procedure.SOCIAL: "limited",
    Procedure.FRAMEWORK: "open",
    Procedure.CHALLENGE: "limited",
    Procedure.SUBSIDY: "open",
}
METHOD_DETAILS = {
    Procedure.OPEN: "Openbare aanbesteding",
    Procedure.SOCIAL: "Maatschappelijk aanbesteden",
    Procedure.FRAMEWORK: "Raamovereenkomst",
    Procedure.CHALLENGE: "Vervolg op een Right to Challenge",
    Procedure.SUBSIDY: "Subsidieoproep",
}


@dataclass(frozen=True)
class PaymentFacts:
    """A payment made under a contract: positive when the buyer paid the organisation,
    negative when the organisation paid back (a final settlement)."""

    id: int
    paid_on: date
    amount: Decimal
    organisation_id: int


@dataclass(frozen=True)
class ContractFacts:
    """What may be public of a signed contract that implements an award of the tender."""

    id: int
    lot_id: int  # the awarded lot it implements (the first, for several lots)
    title: str
    description: str
    status: str  # OCDS contractStatus: pending (signed, not started), active, terminated
    start: date
    end: date
    value: Decimal | None
    signed_at: datetime | None
    payments: list[PaymentFacts]


ContractSource = Callable[[int], list[ContractFacts]]
_CONTRACT_SOURCES: list[ContractSource] = []


def register_contract_source(source: ContractSource) -> None:
    """Called by the contracts module when the app starts (idempotent)."""
    if source not in _CONTRACT_SOURCES:
        _CONTRACT_SOURCES.append(source)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=AMSTERDAM)


def _day_end(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=AMSTERDAM)


def _contracts(
    tender: Tender, buyer: Organisation, award_ids: dict[int, str], parties: dict[str, object]
) -> list[ocds.OcdsContract]:
    """The OCDS contracts of the tender's awarded lots; payees join the parties."""
    facts = [f for source in _CONTRACT_SOURCES for f in source(tender.id)]
    facts = [f for f in facts if f.lot_id in award_ids]
    payees = {p.organisation_id for f in facts for p in f.payments} - {buyer.id}
    for org in db.session.scalars(select(Organisation).where(Organisation.id.in_(payees))):
        parties.setdefault(f"koepel-org-{org.id}", _party(org, []))
    buyer_id = f"koepel-org-{buyer.id}"
    result = []
    for f in facts:
        transactions = []
        for p in f.payments:
            if p.amount == 0:
                continue
            other = f"koepel-org-{p.organisation_id}"
            payer, payee = (buyer_id, other) if p.amount > 0 else (other, buyer_id)
            transactions.append(
                ocds.OcdsTransaction(
                    id=f"{f.id}-{p.id}",
                    date=_day_start(p.paid_on),
                    value=abs(p.amount),
                    payer_id=payer,
                    payee_id=payee,
                )
            )
        result.append(
            ocds.OcdsContract(
                id=f"{tender.id}-contract-{f.id}",
                award_id=award_ids[f.lot_id],
                title=f.title,
                description=f.description,
                status=f.status,
                period_start=_day_start(f.start),
                period_end=_day_end(f.end),
                value=f.value,
                date_signed=f.signed_at,
                transactions=transactions,
            )
        )
    return result


def public_tenders(limit: int = 200) -> list[Tender]:
    with cross_tenant("the public list of published tenders"):
        rows = db.session.scalars(
            select(Tender)
            .where(Tender.status.in_(PUBLIC_STATUSES))
            .order_by(Tender.published_at.desc())
            .limit(limit)
        ).all()
        for row in rows:
            db.session.expunge(row)
    return rows


def _party(org: Organisation, roles: list[str]) -> ocds.OcdsParty:
    return ocds.OcdsParty(id=f"koepel-org-{org.id}", name=org.name, roles=roles)


def package_for(tender_id: int, *, uri_base: str, now: datetime | None = None) -> dict | None:
    """The release package of a published tender, or None when there is no such tender."""
    now = now or utcnow()
    with cross_tenant("open data: the public record of a published tender"):
        tender = db.session.scalar(
            select(Tender)
            .where(Tender.id == tender_id, Tender.status.in_(PUBLIC_STATUSES))
            .options(db.selectinload(Tender.lots))
        )
        if tender is None:
            return None
        buyer = db.session.get(Organisation, tender.tenant_id)
        opened = tender.opened_at is not None
        statistics, details, parties, awards, contracts = [], [], [], [], []
        if opened:
            copies = db.session.scalars(
                select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)
            ).all()
            bidders = {
                o.id: o
                for o in db.session.scalars(
                    select(Organisation).where(Organisation.id.in_({c.bidder_id for c in copies}))
                )
            }
            parties = [_party(org, ["tenderer"]) for org in bidders.values()]
            details = [
                ocds.OcdsBidDetail(
                    id=str(c.id),
                    date=c.submitted_at,
                    status="disqualified" if c.excluded_reason else "valid",
                    tenderer_ids=[f"koepel-org-{c.bidder_id}"],
                    value=c.price,
                    related_lots=[str(c.lot_id)],
                )
                for c in copies
            ]
            statistics = [
                ocds.OcdsBidStatistic(
                    id="bids", measure="bids", value=len(copies), related_lot=None
                )
            ]
            by_copy = {c.id: c for c in copies}
            decisions = db.session.scalars(
                select(AwardDecision)
                .where(AwardDecision.tender_id == tender.id)
                .order_by(AwardDecision.lot_id)
            ).all()
            award_ids: dict[int, str] = {}
            # Active once final: the standstill over and every objection answered, none upheld.
            final_award = objections.award_final(tender, now)
            for decision in decisions:
                winner = by_copy[decision.winner_id]
                suppliers = [f"koepel-org-{winner.bidder_id}"]
                if (
                    decision.reserved_winner_id
                    and decision.reserved_winner_id != decision.winner_id
                ):
                    suppliers.append(f"koepel-org-{by_copy[decision.reserved_winner_id].bidder_id}")
                award_ids[decision.lot_id] = f"{tender.id}-{decision.lot_id}"
                awards.append(
                    ocds.OcdsAward(
                        id=f"{tender.id}-{decision.lot_id}",
                        lot_ids=[str(decision.lot_id)],
                        supplier_ids=suppliers,
                        value=winner.price,
                        date=decision.letters_sent_at or decision.decided_at,
                        status="active" if final_award else "pending",
                        title=f"Gunning perceel {decision.lot_id}",
                    )
                )
            if awards:
                by_id = {p.id: p for p in parties}
                contracts = _contracts(tender, buyer, award_ids, by_id)
                parties = list(by_id.values())
        elif tender.show_bid_count:
            count = db.session.scalar(
                select(func.count())
                .select_from(Bid)
                .where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED)
            )
            statistics = [
                ocds.OcdsBidStatistic(id="bids", measure="bids", value=count or 0, related_lot=None)
            ]
        award_end = max(
            (
                a.standstill_ends_at
                for a in db.session.scalars(
                    select(AwardDecision).where(AwardDecision.tender_id == tender.id)
                )
                if a.standstill_ends_at
            ),
            default=None,
        )
        data = ocds.OcdsTender(
            tender_id=tender.id,
            ocid=tender.ocid,
            title=tender.title,
            description=tender.description,
            status=OCDS_STATUS[tender.status],
            procurement_method=METHOD[tender.procedure],
            procurement_method_details=METHOD_DETAILS[tender.procedure],
            main_category="services",
            value=tender.estimated_value,
            buyer=_party(buyer, ["buyer"]),
            published=tender.published_at,
            tender_period_end=tender.submission_deadline,
            enquiry_period_end=tender.questions_deadline,
            award_period_end=award_end,
            lots=[
                ocds.OcdsLot(
                    id=str(lot.id),
                    title=lot.title,
                    description=lot.description,
                    value=lot.budget,
                    status=OCDS_STATUS[tender.status],
                )
                for lot in tender.lots
            ],
            parties=parties,
            awards=awards,
            bid_statistics=statistics,
            bid_details=details,
            opened=opened,
            publisher_name="Koepel",
            uri_base=uri_base,
            contracts=contracts,
        )
    return ocds.release_package(data, published_date=now)
