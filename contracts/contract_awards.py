"""Awards become contracts: the buyer's final awards (standstill over, no objection standing,
see ``koepel.bids.objections.award_final``) that have no contract yet, and one draft contract
for one lot, or several lots won by the same bidder, with the winning consortium as parties.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from koepel.contracts.contract_signing import FIRST_TIER
from koepel.contracts.contracting import ContractData, create, record, today_local
from koepel.contracts.errors import ContractRuleError, _
from koepel.contracts.models.core import Contract, ContractKind, ContractLot, PartyRole
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.tenancy import cross_tenant


@dataclass(frozen=True)
class AwardRow:
    """A final award of a lot that has no contract yet (for the buyer's list)."""

    award_id: int
    tender_id: int
    tender_title: str
    lot_id: int
    lot_number: int
    lot_title: str
    winner_bid_id: int
    winner_name: str
    price: Decimal | None


def open_awards(buyer: Organisation, now: datetime | None = None) -> list[AwardRow]:
    """The buyer's final awards (standstill over, no objection standing) per winning bid
    that did not become a contract yet."""
    from koepel.bids.models import AwardDecision, Lot, OpenedBid, Tender, TenderStatus
    from koepel.bids.objections import award_final

    tenders = db.session.scalars(
        select(Tender).where(Tender.status == TenderStatus.AWARDED).order_by(Tender.id)
    ).all()
    final = [t for t in tenders if award_final(t, now)]
    if not final:
        return []
    decisions = db.session.scalars(
        select(AwardDecision)
        .where(AwardDecision.tender_id.in_([t.id for t in final]))
        .order_by(AwardDecision.tender_id, AwardDecision.lot_id)
    ).all()
    done = set(db.session.execute(select(ContractLot.award_id, ContractLot.opened_bid_id)).all())
    bid_ids = {d.winner_id for d in decisions} | {
        d.reserved_winner_id for d in decisions if d.reserved_winner_id
    }
    bids = {b.id: b for b in db.session.scalars(select(OpenedBid).where(OpenedBid.id.in_(bid_ids)))}
    lots = {
        lot.id: lot
        for lot in db.session.scalars(select(Lot).where(Lot.id.in_([d.lot_id for d in decisions])))
    }
    titles = {t.id: t.title for t in final}
    rows = []
    for d in decisions:
        for bid_id in dict.fromkeys([d.winner_id, d.reserved_winner_id]):
            if bid_id is None or (d.id, bid_id) in done:
                continue
            bid, lot = bids[bid_id], lots[d.lot_id]
            rows.append(
                AwardRow(
                    d.id,
                    d.tender_id,
                    titles[d.tender_id],
                    lot.id,
                    lot.number,
                    lot.title,
                    bid.id,
                    bid.bidder_name,
                    bid.price,
                )
            )
    return rows


def _consortium(bid_ids: Sequence[int]) -> list[tuple[int, str]]:
    """The partners of winning bids (organisation id, role) for the buyer's contract."""
    from koepel.bids.models import BidPartner

    with cross_tenant("the buyer makes a contract with the consortium of a bid it awarded"):
        rows = db.session.execute(
            select(BidPartner.partner_id, BidPartner.role)
            .where(BidPartner.bid_id.in_(list(bid_ids)))
            .order_by(BidPartner.id)
        ).all()
    return [(r.partner_id, r.role.value) for r in rows]


def from_awards(
    *,
    actor: User,
    buyer: Organisation,
    award_ids: Sequence[int],
    winner_bid_ids: Sequence[int],
    start_date: date | None = None,
    initial_months: int = 24,
    now: datetime | None = None,
) -> Contract:
    """One draft contract for the chosen final awards of one tender, all won by the same
    bidder (one lot, or several lots together), with the winning consortium as parties:
    the bidder as lead party when it bid with partners (else as main contractor), its
    partners as main contractors and subcontractors."""
    from koepel.bids.models import AwardDecision, OpenedBid, Tender

    chosen = {(a, b) for a, b in zip(award_ids, winner_bid_ids, strict=True)}
    rows = [r for r in open_awards(buyer, now) if (r.award_id, r.winner_bid_id) in chosen]
    if not chosen or len(rows) != len(chosen):
        raise ContractRuleError(
            _(
                "Kies een of meer definitieve gunningen zonder contract. Een gunning is "
                "definitief als de opschortende termijn voorbij is en er geen bezwaar openstaat."
            ),
            "awards",
        )
    if len({r.tender_id for r in rows}) > 1:
        raise ContractRuleError(
            _("Voeg alleen percelen van dezelfde aanbesteding samen."), "awards"
        )
    bids = db.session.scalars(
        select(OpenedBid).where(OpenedBid.id.in_([r.winner_bid_id for r in rows]))
    ).all()
    if len({b.bidder_id for b in bids}) > 1:
        raise ContractRuleError(
            _("Voeg alleen percelen samen die dezelfde inschrijver heeft gewonnen."), "awards"
        )
    tender = db.session.get(Tender, rows[0].tender_id)
    decisions = {
        d.id: d
        for d in db.session.scalars(
            select(AwardDecision).where(AwardDecision.id.in_([r.award_id for r in rows]))
        )
    }
    ends = max(d.standstill_ends_at for d in decisions.values())
    title = (
        f"{tender.title} – {_('perceel %(n)d', n=rows[0].lot_number)}: {rows[0].lot_title}"
        if len(rows) == 1
        else tender.title
    )
    partners = _consortium([b.bid_id for b in bids])
    bidder = db.session.get(Organisation, bids[0].bidder_id)
    roles: dict[int, PartyRole] = {bidder.id: PartyRole.LEAD if partners else PartyRole.MAIN}
    for partner_id, role in partners:
        # A partner that is a main contractor on one lot and sub on another is a main.
        if roles.get(partner_id) not in FIRST_TIER:
            roles[partner_id] = PartyRole.MAIN if role == "main" else PartyRole.SUB
    organisations = {
        o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(roles)))
    }
    contract = create(
        actor=actor,
        owner=buyer,
        data=ContractData(
            title=title[:300],
            kind=ContractKind.AWARD,
            start_date=start_date or today_local(ends) + timedelta(days=1),
            initial_months=initial_months,
            value=sum((b.price for b in bids if b.price is not None), Decimal("0.00")),
        ),
        parties=[(organisations[org_id], role) for org_id, role in roles.items()],
        tender_id=tender.id,
    )
    for r in rows:
        db.session.add(
            ContractLot(
                tenant_id=buyer.id,
                contract_id=contract.id,
                lot_id=r.lot_id,
                award_id=r.award_id,
                opened_bid_id=r.winner_bid_id,
            )
        )
    db.session.flush()
    db.session.refresh(contract, ["lots"])
    record(actor, contract, "contract.from_award", awards=[r.award_id for r in rows])
    return contract
