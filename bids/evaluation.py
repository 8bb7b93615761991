"""Evaluation and award by the buyer: reviewers declare no conflict of interest before they
see bids, score each quality criterion with a motivation; the chair records the consensus;
a failed requirement excludes a bid with a reason. The ranking per lot comes from
``koepel.bids.scoring`` (weights, relative price points, the stated tie rule, abnormally
low prices, the reserved share); the award per lot and the letters close it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from koepel.bids import letters, scoring
from koepel.bids.models import (
    AwardDecision,
    ConsensusScore,
    Criterion,
    CriterionKind,
    OpenedBid,
    ReviewerAssignment,
    ReviewerScore,
    Tender,
    TenderStatus,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.timeutil import AMSTERDAM, to_local, utcnow


class EvaluationError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _assignment(tender: Tender, user: User) -> ReviewerAssignment | None:
    return db.session.scalar(
        select(ReviewerAssignment).where(
            ReviewerAssignment.tender_id == tender.id, ReviewerAssignment.reviewer_id == user.id
        )
    )


def assign_reviewer(
    *, actor: User, buyer: Organisation, tender: Tender, reviewer: User, chair: bool = False
) -> ReviewerAssignment:
    from koepel.platform import policy

    if not policy.can(policy.roles_of(reviewer, buyer), "tenders.evaluate"):
        raise EvaluationError(
            _("Deze persoon mag bij %(org)s niet beoordelen.", org=buyer.name), "reviewer"
        )
    row = _assignment(tender, reviewer) or ReviewerAssignment(
        tenant_id=buyer.id, tender_id=tender.id, reviewer_id=reviewer.id
    )
    if chair:  # one chair per evaluation: the previous one steps down
        for other in db.session.scalars(
            select(ReviewerAssignment).where(
                ReviewerAssignment.tender_id == tender.id, ReviewerAssignment.is_chair.is_(True)
            )
        ):
            other.is_chair = False
    row.is_chair = chair
    db.session.add(row)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.reviewer_assigned",
        obj_type="tender",
        obj_id=tender.id,
        after={"reviewer": reviewer.email, "chair": chair},
    )
    return row


def declare_no_conflict(*, reviewer: User, buyer: Organisation, tender: Tender) -> None:
    row = _assignment(tender, reviewer)
    if row is None:
        raise EvaluationError(_("U bent geen beoordelaar van deze aanbesteding."))
    row.no_conflict_declared_at = utcnow()
    db.session.flush()
    audit.record(
        db.session,
        actor=reviewer,
        tenant_id=buyer.id,
        action="tender.no_conflict_declared",
        obj_type="tender",
        obj_id=tender.id,
    )


def assignment_of(tender: Tender, user: User) -> ReviewerAssignment | None:
    """The user's assignment as a reviewer of the tender, if any."""
    return _assignment(tender, user)


def may_see_bids(reviewer: User, tender: Tender) -> bool:
    """A reviewer sees bids only after declaring no conflict of interest."""
    return has_declared(_assignment(tender, reviewer))


def has_declared(assignment: ReviewerAssignment | None) -> bool:
    """``may_see_bids`` for an assignment the caller already holds."""
    return assignment is not None and assignment.no_conflict_declared_at is not None


def _check_points(criterion: Criterion, points: Decimal, motivation: str) -> Decimal:
    if criterion.kind == CriterionKind.PRICE:
        raise EvaluationError(_("De prijs wordt niet met de hand gescoord."), "criterion")
    points = Decimal(points)
    if not Decimal(0) <= points <= criterion.max_points:
        raise EvaluationError(
            _("Geef tussen 0 en %(max)s punten.", max=format_decimal(criterion.max_points)),
            "points",
        )
    if not motivation.strip():
        raise EvaluationError(_("Schrijf een motivering bij de score."), "motivation")
    return points


def score(
    *,
    reviewer: User,
    buyer: Organisation,
    tender: Tender,
    bid: OpenedBid,
    criterion: Criterion,
    points: Decimal,
    motivation: str,
) -> ReviewerScore:
    if not may_see_bids(reviewer, tender):
        raise EvaluationError(_("Verklaar eerst dat u geen belangenconflict heeft."))
    points = _check_points(criterion, points, motivation)
    row = db.session.scalar(
        select(ReviewerScore).where(
            ReviewerScore.opened_bid_id == bid.id,
            ReviewerScore.criterion_id == criterion.id,
            ReviewerScore.reviewer_id == reviewer.id,
        )
    ) or ReviewerScore(
        tenant_id=buyer.id,
        opened_bid_id=bid.id,
        criterion_id=criterion.id,
        reviewer_id=reviewer.id,
        points=points,
        motivation=motivation,
    )
    row.points, row.motivation, row.scored_at = points, motivation.strip(), utcnow()
    db.session.add(row)
    db.session.flush()
    audit.record(
        db.session,
        actor=reviewer,
        tenant_id=buyer.id,
        action="evaluation.scored",
        obj_type="opened_bid",
        obj_id=bid.id,
        after={"criterion": criterion.id, "points": points},
    )
    return row


def set_consensus(
    *,
    chair: User,
    buyer: Organisation,
    tender: Tender,
    bid: OpenedBid,
    criterion: Criterion,
    points: Decimal,
    motivation: str,
) -> ConsensusScore:
    row = _assignment(tender, chair)
    if row is None or not row.is_chair or row.no_conflict_declared_at is None:
        raise EvaluationError(
            _("Alleen de voorzitter van de beoordeling legt de consensusscore vast.")
        )
    points = _check_points(criterion, points, motivation)
    consensus = db.session.scalar(
        select(ConsensusScore).where(
            ConsensusScore.opened_bid_id == bid.id, ConsensusScore.criterion_id == criterion.id
        )
    ) or ConsensusScore(
        tenant_id=buyer.id,
        opened_bid_id=bid.id,
        criterion_id=criterion.id,
        chair_id=chair.id,
        points=points,
        motivation=motivation,
    )
    consensus.points, consensus.motivation, consensus.chair_id = (
        points,
        motivation.strip(),
        chair.id,
    )
    db.session.add(consensus)
    db.session.flush()
    audit.record(
        db.session,
        actor=chair,
        tenant_id=buyer.id,
        action="evaluation.consensus",
        obj_type="opened_bid",
        obj_id=bid.id,
        after={"criterion": criterion.id, "points": points},
    )
    return consensus


def exclude(*, actor: User, buyer: Organisation, bid: OpenedBid, reason: str) -> None:
    if not reason.strip():
        raise EvaluationError(_("Schrijf waarom de inschrijving niet voldoet."), "reason")
    bid.excluded_reason = reason.strip()
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="evaluation.excluded",
        obj_type="opened_bid",
        obj_id=bid.id,
        after={"reason": bid.excluded_reason},
    )


def _criteria(tender: Tender) -> list[scoring.Criterion]:
    return [
        scoring.Criterion(
            id=str(c.id),
            kind="price" if c.kind == CriterionKind.PRICE else "quality",
            weight=c.weight,
            max_points=c.max_points,
        )
        for c in tender.criteria
    ]


def results(
    tender: Tender,
    *,
    bids: Sequence[OpenedBid] | None = None,
    consensus_rows: Iterable[ConsensusScore] | None = None,
) -> dict[int, list[scoring.Ranked]]:
    """The ranking per lot from the consensus scores (one query for bids, one for scores;
    none when the caller passes the tender's opened bids and consensus rows it holds)."""
    if bids is None:
        bids = db.session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id)).all()
    if consensus_rows is None:
        consensus_rows = db.session.scalars(
            select(ConsensusScore)
            .join(OpenedBid, OpenedBid.id == ConsensusScore.opened_bid_id)
            .where(OpenedBid.tender_id == tender.id)
        )
    consensus: dict[int, dict[str, Decimal]] = {}
    for row in consensus_rows:
        consensus.setdefault(row.opened_bid_id, {})[str(row.criterion_id)] = row.points
    by_lot: dict[int, list[scoring.BidScores]] = {lot.id: [] for lot in tender.lots}
    quality_ids = [str(c.id) for c in tender.criteria if c.kind != CriterionKind.PRICE]
    for bid in bids:
        scores = consensus.get(bid.id, {})
        missing = [c for c in quality_ids if c not in scores]
        if missing and bid.excluded_reason is None:
            raise EvaluationError(_("Nog niet alle consensusscores zijn vastgelegd."))
        if bid.price is None:
            raise EvaluationError(_("De prijzen zijn nog niet geopend."))
        by_lot[bid.lot_id].append(
            scoring.BidScores(
                bid_id=bid.id,
                lot_id=bid.lot_id,
                price=bid.price,
                scores=scores,
                submitted_at=bid.submitted_at,
                excluded=bid.excluded_reason is not None,
                reserved_eligible=bid.citizen_initiative,
            )
        )
    return scoring.evaluate_tender(_criteria(tender), by_lot)


def standstill_end(sent_at: datetime, days: int) -> datetime:
    """The standstill period starts the day after sending and lasts ``days`` calendar days:
    it ends at 23:59:59 Amsterdam time on the last of those days (stored in UTC)."""
    first_day = to_local(sent_at).date() + timedelta(days=1)
    last_day = first_day + timedelta(days=days - 1)
    return datetime.combine(last_day, time(23, 59, 59), tzinfo=AMSTERDAM).astimezone(sent_at.tzinfo)


def decide(
    *, actor: User, buyer: Organisation, tender: Tender, reasons: str
) -> list[AwardDecision]:
    """Record the award per lot from the ranking (after the evaluation)."""
    if tender.status != TenderStatus.OPENED:
        raise EvaluationError(_("Gunnen kan na de opening en voor de verzending van de brieven."))
    if not reasons.strip():
        raise EvaluationError(_("Schrijf de motivering van de gunning."), "reasons")
    ranking = results(tender)
    decisions = []
    for lot in tender.lots:
        ranked = [r for r in ranking.get(lot.id, []) if r.rank is not None]
        if not ranked:
            continue  # nobody valid on this lot: it is not awarded
        award = scoring.award_with_reservation(ranked, lot.reserved_share, lot.budget)
        decision = AwardDecision(
            tenant_id=buyer.id,
            tender_id=tender.id,
            lot_id=lot.id,
            winner_id=award.winner_id,
            reserved_winner_id=award.reserved_winner_id,
            ranking=[r.bid_id for r in ranked],
            tie_rule=award.tie_rule,
            reasons=reasons.strip(),
            decided_by_id=actor.id,
        )
        db.session.add(decision)
        decisions.append(decision)
    tender.status = TenderStatus.EVALUATED
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.award_decided",
        obj_type="tender",
        obj_id=tender.id,
        after={"lots": {d.lot_id: d.winner_id for d in decisions}},
    )
    return decisions


def send_letters(
    *, actor: User, buyer: Organisation, tender: Tender, now: datetime | None = None
) -> datetime:
    """Send every bidder its award letter at one instant and fix the end of the standstill
    period: the letters are kept as records and e-mailed through the outbox, all in this
    transaction; their PDFs are rendered by a job after the commit."""
    now = now or utcnow()
    if tender.status != TenderStatus.EVALUATED:
        raise EvaluationError(_("Leg eerst de gunning vast."))
    ends = standstill_end(now, tender.standstill_days)
    decisions = db.session.scalars(
        select(AwardDecision).where(AwardDecision.tender_id == tender.id)
    ).all()
    for decision in decisions:
        decision.letters_sent_at, decision.standstill_ends_at = now, ends
    issued = letters.issue(
        buyer=buyer,
        tender=tender,
        decisions=decisions,
        ranking=results(tender),
        sent_at=now,
        ends=ends,
    )
    tender.status = TenderStatus.AWARDED
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.letters_sent",
        obj_type="tender",
        obj_id=tender.id,
        after={
            "sent_at": now,
            "standstill_ends_at": ends,
            "letters": [letter.id for letter in issued],
        },
    )
    return ends
