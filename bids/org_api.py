"""The authenticated API for tenders (buyer side), bids (bidder side) and evaluations.

Every handler goes through the same rules as the pages (``koepel.bids.tenders``,
``koepel.bids.submission``, ``koepel.bids.evaluation``) and mirrors their access:

- ``tenders``: a municipality's or region's own tenders (``tenders.view``; changes need
  ``tenders.manage``). Before the opening a tender carries nothing of its bids but, when
  the tender says bidders may see it, their number.
- ``bids``: a bidder's own bids and the bids it is a consortium partner in (``bids.view``;
  changes need ``bids.manage`` and are the lead party's). A draft's content reaches the
  lead and its partners; a submitted bid answers with its receipt only (instant, digests,
  version), never with content.
- ``evaluations``: after the opening only. Before it the answer is **409** (the tender
  exists for this buyer, its state does not allow it yet) and holds nothing of the bids.
  After it, as on the evaluation page: assigned reviewers see the bids once they have
  declared no conflict of interest; the officials who award see the ranking and the
  award; anyone else with ``tenders.view`` gets 403.

Statuses: 400 for input that does not fit the schema (per field), 404 for another
organisation's object (or one that does not exist), 409 when the object's state refuses
the change (published, submitted, past the deadline), 422 when a rule refuses a
well-formed request (per field where the rule names one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from flask import abort, g
from flask_babel import gettext as _
from flask_smorest import abort as api_abort  # carries per-field messages into problem+json
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from koepel.bids import anonymity, evaluation, scoring, tenders
from koepel.bids import submission as bidding
from koepel.bids.api_schemas import (
    BidDraftIn,
    BidList,
    BidOut,
    BidStart,
    CriterionIn,
    CriterionOut,
    EvaluationOut,
    LotIn,
    LotOut,
    RequirementIn,
    RequirementOut,
    TenderArgs,
    TenderIn,
    TenderList,
    TenderOut,
)
from koepel.bids.models import (
    AwardDecision,
    Bid,
    BidPartner,
    BidStatus,
    ConsensusScore,
    CriterionKind,
    OpenedBid,
    ReviewerAssignment,
    ReviewerScore,
    Tender,
    TenderStatus,
)
from koepel.bids.views.bidding import org_names
from koepel.bids.views.evaluation_views import AFTER_OPENING, flagged_low
from koepel.platform import policy
from koepel.platform.api.core import ApiBlueprint, org_endpoint, register_blueprint, require_user
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.money import MoneyParseError, parse_money, to_money
from koepel.platform.tenancy import cross_tenant

blp = ApiBlueprint(
    "api_bids",
    __name__,
    url_prefix="/api/v1/orgs",
    description="Aanbestedingen (inkoper), inschrijvingen (inschrijver) en de beoordeling",
)


# -- access ----------------------------------------------------------------------------------
BUYERS = tenders.BUYER_KINDS
BIDDERS = bidding.BIDDER_KINDS


def org_access(
    action: str,
    kinds: tuple[OrgKind, ...],
    load: Callable[..., Any] | None = None,
):
    """The acting organisation of one of ``kinds`` with ``action``, and the object named in
    the URL (``load(org, **url_args)``), before the body is parsed; see ``org_endpoint``."""
    return org_endpoint(action, kinds=kinds, load=load)


def _refuse(exc: ValueError, *, conflict: bool) -> None:
    """A rule said no. The object's state (409) or the request's content (422, with the
    field the rule names)."""
    if conflict:
        api_abort(409, message=str(exc))
    api_abort(
        422, messages={getattr(exc, "field", None) or "_schema": [str(exc)]}, message=str(exc)
    )


# -- tenders (buyer side) -----------------------------------------------------------------------
def _own_tender(org: Organisation, tender_id: int) -> Tender | None:
    return tenders.get_tender(tender_id)  # scoped: another buyer's tender is None


def _submitted_count(tender: Tender) -> int:
    """How many bids arrived, for a tender that shows the number (bids are the bidders'
    rows: only their number crosses over, never who or what)."""
    with cross_tenant("a buyer sees how many bids arrived when its tender shows the number"):
        return db.session.scalar(
            select(func.count())
            .select_from(Bid)
            .where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED)
        )


def _bid_count(tender: Tender) -> int | None:
    if tender.opened_at is not None:
        return db.session.scalar(
            select(func.count(OpenedBid.id)).where(OpenedBid.tender_id == tender.id)
        )
    if tender.show_bid_count and tender.status != TenderStatus.DRAFT:
        return _submitted_count(tender)
    return None


def _tender_dict(tender: Tender) -> dict[str, Any]:
    standstill_ends = db.session.scalar(
        select(func.max(AwardDecision.standstill_ends_at)).where(
            AwardDecision.tender_id == tender.id
        )
    )
    return {
        "id": tender.id,
        "ocid": tender.ocid,
        "title": tender.title,
        "procedure": tender.procedure,
        "status": tender.status,
        "submission_deadline": tender.submission_deadline,
        "published_at": tender.published_at,
        "description": tender.description,
        "estimated_value": tender.estimated_value,
        "price_after_quality": tender.price_after_quality,
        "show_bid_count": tender.show_bid_count,
        "weights_total": sum((c.weight for c in tender.criteria), Decimal(0)),
        "timeline": {
            "published_at": tender.published_at,
            "questions_deadline": tender.questions_deadline,
            "submission_deadline": tender.submission_deadline,
            "opened_at": tender.opened_at,
            "standstill_days": tender.standstill_days,
            "standstill_ends_at": standstill_ends,
        },
        "lots": tender.lots,
        "criteria": tender.criteria,
        "requirements": tender.requirements,
        "bid_count": _bid_count(tender),
    }


@blp.route("/<org_slug>/tenders", methods=["GET"])
@org_access("tenders.view", BUYERS)
@blp.arguments(TenderArgs, location="query")
@blp.response(200, TenderList)
def list_tenders(args, org_slug: str):
    """The buyer's tenders, newest first; ``?status=published`` filters."""
    stmt = select(Tender).order_by(Tender.created_at.desc(), Tender.id.desc())
    if args.get("status") is not None:
        stmt = stmt.where(Tender.status == args["status"])
    return {"items": db.session.scalars(stmt).all()}


@blp.route("/<org_slug>/tenders", methods=["POST"])
@org_access("tenders.manage", BUYERS)
@blp.arguments(TenderIn)
@blp.response(201, TenderOut)
def create_tender(data, org_slug: str):
    """Create a draft tender. Amounts are strings ("500000.00"); moments are ISO 8601
    with an offset; deadlines must lie ahead."""
    try:
        tender = tenders.create(
            actor=require_user(), buyer=g.api_org, data=tenders.TenderData(**data)
        )
    except tenders.TenderError as exc:
        _refuse(exc, conflict=False)
    return _tender_dict(tender)


@blp.route("/<org_slug>/tenders/<int:tender_id>", methods=["GET"])
@org_access("tenders.view", BUYERS, load=_own_tender)
@blp.response(200, TenderOut)
def get_tender(org_slug: str, tender_id: int):
    """One tender with its lots, criteria, requirements, timeline and status."""
    return _tender_dict(g.api_obj)


def _change(rule: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a rule that changes a tender; once published it refuses with 409."""
    tender = g.api_obj
    try:
        return rule(actor=require_user(), buyer=g.api_org, tender=tender, **kwargs)
    except tenders.TenderError as exc:
        _refuse(exc, conflict=tender.status != TenderStatus.DRAFT)


@blp.route("/<org_slug>/tenders/<int:tender_id>/lots", methods=["POST"])
@org_access("tenders.manage", BUYERS, load=_own_tender)
@blp.arguments(LotIn)
@blp.response(201, LotOut)
def add_lot(data, org_slug: str, tender_id: int):
    """Add a lot to a draft, with its budget and the share reserved for citizen initiatives
    (percent)."""
    return _change(tenders.add_lot, **data)


@blp.route("/<org_slug>/tenders/<int:tender_id>/criteria", methods=["POST"])
@org_access("tenders.manage", BUYERS, load=_own_tender)
@blp.arguments(CriterionIn)
@blp.response(201, CriterionOut)
def add_criterion(data, org_slug: str, tender_id: int):
    """Add an award criterion with its weight (percent; all weights sum to 100 on publish)."""
    return _change(tenders.add_criterion, **data)


@blp.route("/<org_slug>/tenders/<int:tender_id>/requirements", methods=["POST"])
@org_access("tenders.manage", BUYERS, load=_own_tender)
@blp.arguments(RequirementIn)
@blp.response(201, RequirementOut)
def add_requirement(data, org_slug: str, tender_id: int):
    """Add a pass/fail quality requirement, with what a small initiative may offer instead."""
    return _change(tenders.add_requirement, **data)


@blp.route("/<org_slug>/tenders/<int:tender_id>/publish", methods=["POST"])
@org_access("tenders.manage", BUYERS, load=_own_tender)
@blp.response(200, TenderOut)
def publish_tender(org_slug: str, tender_id: int):
    """Publish a complete draft: 422 with the reason when lots or criteria are missing, the
    weights do not sum to 100 or the deadline has passed; 409 when it is no longer a draft."""
    _change(tenders.publish)
    return _tender_dict(g.api_obj)


# -- bids (bidder side) -------------------------------------------------------------------------
def _partner_bids(partner: Organisation, bid_id: int | None = None) -> list[Bid]:
    """Lead parties' bids that ``partner`` is a consortium partner in (or the one named),
    read only: loaded whole and detached, so nothing of them is reloaded (or written)
    outside this scope."""
    with cross_tenant("a consortium partner reads the bids it is a partner in"):
        stmt = (
            select(Bid)
            .join(BidPartner, BidPartner.bid_id == Bid.id)
            .where(BidPartner.partner_id == partner.id)
            .options(selectinload(Bid.partners).selectinload(BidPartner.partner))
            .order_by(Bid.created_at.desc(), Bid.id.desc())
        )
        if bid_id is not None:
            stmt = stmt.where(Bid.id == bid_id)
        rows = db.session.scalars(stmt).all()
        for row in rows:
            db.session.expunge(row)
    return list(rows)


def _loaded_bid(bid_id: int, lock: bool = False) -> Bid | None:
    stmt = (
        select(Bid)
        .where(Bid.id == bid_id)
        .options(selectinload(Bid.partners).selectinload(BidPartner.partner))
    )
    if lock:  # one change at a time, as on the page
        stmt = stmt.with_for_update(of=Bid)
    return db.session.scalar(stmt)


def _visible_bid(org: Organisation, bid_id: int) -> Bid | None:
    """The acting organisation's own bid, else one it is a partner in."""
    return _loaded_bid(bid_id) or next(iter(_partner_bids(org, bid_id)), None)


def _own_bid(org: Organisation, bid_id: int) -> Bid | None:
    """Changes are the lead party's: a partner (or anyone else) gets 404."""
    return _loaded_bid(bid_id, lock=True)


def _tender_of(bid: Bid) -> Tender:
    tender = bidding.published_tender(bid.tender_id)
    if tender is None:  # a bid exists only on a published tender; never reached
        abort(404)
    return tender


def _price_text(stored: str) -> str | None:
    """A draft's price as "198500.00"; the page keeps Dutch notation, a withdrawn bid the
    sealed one, and an amount that was not valid stays as typed."""
    stored = (stored or "").strip()
    if not stored:
        return None
    try:
        return str(parse_money(stored, "nl"))
    except MoneyParseError:
        pass
    if re.fullmatch(r"[0-9]+\.[0-9]{2}", stored):
        return str(to_money(stored))
    return stored


def _bid_dict(
    bid: Bid,
    org: Organisation,
    *,
    full: bool = True,
    tender: Tender | None = None,
    names: dict[int, str] | None = None,
) -> dict[str, Any]:
    """A bid as ``org`` (its lead party or a partner in it) sees it. ``full``: with the
    tender's criteria and requirements, the partners, and the draft or the receipt."""
    tender = tender or _tender_of(bid)
    if names is None:
        names = org_names({tender.tenant_id, bid.tenant_id})
    lot = next(lot for lot in tender.lots if lot.id == bid.lot_id)
    submitted = bid.status == BidStatus.SUBMITTED
    out: dict[str, Any] = {
        "id": bid.id,
        "status": bid.status.value,
        "participation": "lead" if bid.tenant_id == org.id else "partner",
        "lead": names.get(bid.tenant_id, ""),
        "tender": {
            "id": tender.id,
            "title": tender.title,
            "buyer": names.get(tender.tenant_id, ""),
            "submission_deadline": tender.submission_deadline,
            "accepts_bids": tenders.accepts_bids(tender),
        },
        "lot": {"id": lot.id, "number": lot.number, "title": lot.title},
        "version": bid.version,
        "submitted_at": bid.submitted_at,
    }
    if not full:
        return out
    draft = receipt = None
    if submitted:
        proof = bidding.Receipt(
            bid.id, tender.title, lot.title, bid.submitted_at, bid.quality_digest, bid.price_digest
        )
        receipt = {
            "submitted_at": bid.submitted_at,
            "version": bid.version,
            "quality_digest": bid.quality_digest,
            "price_digest": bid.price_digest,
            "receipt": proof.digest,
        }
    else:
        content = bidding.draft_of(bid)
        draft = {
            "price": _price_text(str(content.get("price") or "")),
            "answers": content.get("answers") or {},
            "requirements": content.get("requirements") or {},
        }
    return {
        **out,
        "criteria": tender.criteria,
        "requirements": tender.requirements,
        "partners": [
            {
                "organisation": p.partner.name,
                "role": p.role.value,
                "share": p.share,
                "confirmed": p.confirmed_at is not None,
            }
            for p in sorted(bid.partners, key=lambda p: p.partner.name)
        ],
        "draft": draft,
        "receipt": receipt,
    }


@blp.route("/<org_slug>/bids", methods=["GET"])
@org_access("bids.view", BIDDERS)
@blp.response(200, BidList)
def list_bids(org_slug: str):
    """This organisation's bids, and the bids it is a consortium partner in (marked
    ``participation: partner``), newest first."""
    org = g.api_org
    own = db.session.scalars(select(Bid).order_by(Bid.created_at.desc(), Bid.id.desc())).all()
    bids = [*own, *_partner_bids(org)]
    by_id: dict[int, Tender] = {}
    for bid in bids:
        if bid.tender_id not in by_id:
            by_id[bid.tender_id] = _tender_of(bid)
    names = org_names({b.tenant_id for b in bids} | {t.tenant_id for t in by_id.values()})
    return {
        "items": [
            _bid_dict(bid, org, full=False, tender=by_id[bid.tender_id], names=names)
            for bid in bids
        ]
    }


@blp.route("/<org_slug>/bids", methods=["POST"])
@org_access("bids.manage", BIDDERS)
@blp.arguments(BidStart)
@blp.response(201, BidOut)
def start_bid(data, org_slug: str):
    """Start a draft bid on a lot of a published tender (before its deadline)."""
    tender = bidding.published_tender(data["tender_id"])
    if tender is None:  # a draft tender looks the same as one that does not exist
        api_abort(
            422,
            messages={"tender_id": [_("Deze aanbesteding bestaat niet of is niet gepubliceerd.")]},
        )
    try:
        bid = bidding.start(
            actor=require_user(), bidder=g.api_org, tender=tender, lot_id=data["lot_id"]
        )
    except bidding.BidError as exc:
        _refuse(exc, conflict=exc.field is None)
    return _bid_dict(_loaded_bid(bid.id), g.api_org)


@blp.route("/<org_slug>/bids/<int:bid_id>", methods=["GET"])
@org_access("bids.view", BIDDERS, load=_visible_bid)
@blp.response(200, BidOut)
def get_bid(org_slug: str, bid_id: int):
    """A bid this organisation leads or is a partner in: the draft while it is one, the
    receipt once submitted (never the submitted content)."""
    return _bid_dict(g.api_obj, g.api_org)


@blp.route("/<org_slug>/bids/<int:bid_id>/draft", methods=["PUT"])
@org_access("bids.manage", BIDDERS, load=_own_bid)
@blp.arguments(BidDraftIn)
@blp.response(200, BidOut)
def save_draft(data, org_slug: str, bid_id: int):
    """Replace the draft: price as a string ("198500.00"), answers per criterion id and
    how the bid meets each requirement, per requirement id."""
    bid = g.api_obj
    tender = _tender_of(bid)
    unknown: dict[str, list[str]] = {}
    quality = {str(c.id) for c in tender.criteria if c.kind != CriterionKind.PRICE}
    if set(data["answers"]) - quality:
        unknown["answers"] = [_("Beantwoord alleen de criteria van deze aanbesteding.")]
    if set(data["requirements"]) - {str(r.id) for r in tender.requirements}:
        unknown["requirements"] = [_("Geef alleen antwoord op de eisen van deze aanbesteding.")]
    if unknown:
        api_abort(400, messages=unknown)
    price = data["price"]
    content = {
        # Kept the way the submission rule reads it, as the page does (Dutch notation).
        "price": "" if price is None else _dutch(price),
        "answers": {k: v.strip() for k, v in data["answers"].items()},
        "requirements": {k: v.strip() for k, v in data["requirements"].items()},
    }
    try:
        bidding.save_draft(actor=require_user(), bidder=g.api_org, bid=bid, content=content)
    except bidding.BidError as exc:
        _refuse(exc, conflict=exc.field is None)
    return _bid_dict(bid, g.api_org)


def _dutch(amount: Decimal) -> str:
    return format_decimal(to_money(amount), format="#,##0.00", locale="nl")


@blp.route("/<org_slug>/bids/<int:bid_id>/submit", methods=["POST"])
@org_access("bids.manage", BIDDERS, load=_own_bid)
@blp.response(200, BidOut)
def submit_bid(org_slug: str, bid_id: int):
    """Seal and submit the draft; the answer carries the receipt (also sent by e-mail).
    Decided on the server at this instant: at or after the deadline 409."""
    bid, user = g.api_obj, require_user()
    tender = _tender_of(bid)
    try:
        receipt = bidding.submit(actor=user, bidder=g.api_org, bid=bid, tender=tender)
    except bidding.BidError as exc:
        _refuse(exc, conflict=exc.field is None)
    bid = _loaded_bid(bid.id)
    bidding.mail_receipt(
        user, g.api_org, receipt, next(lot for lot in tender.lots if lot.id == bid.lot_id)
    )
    return _bid_dict(bid, g.api_org)


@blp.route("/<org_slug>/bids/<int:bid_id>/withdraw", methods=["POST"])
@org_access("bids.manage", BIDDERS, load=_own_bid)
@blp.response(200, BidOut)
def withdraw_bid(org_slug: str, bid_id: int):
    """Take a submitted bid back before the deadline; its content returns as the draft."""
    bid = g.api_obj
    try:
        bidding.withdraw(actor=require_user(), bidder=g.api_org, bid=bid, tender=_tender_of(bid))
    except bidding.BidError as exc:
        _refuse(exc, conflict=exc.field is None)
    return _bid_dict(bid, g.api_org)


# -- evaluations (buyer side, after the opening) -------------------------------------------------
def _scores(rows) -> list[dict[str, Any]]:
    return [
        {"criterion_id": r.criterion_id, "points": r.points, "motivation": r.motivation}
        for r in sorted(rows, key=lambda r: r.criterion_id)
    ]


def _evaluation(
    tender: Tender, user: User, *, sees_bids: bool, hides_names: bool = False
) -> dict[str, Any]:
    """What the evaluation page shows this user, as data. ``sees_bids``: a reviewer who
    declared no conflict (answers, requirements, consensus and own scores too);
    ``hides_names``: an anonymous evaluation, bidders as labels and without partners."""
    bids = db.session.scalars(
        select(OpenedBid)
        .where(OpenedBid.tender_id == tender.id)
        .order_by(OpenedBid.submitted_at, OpenedBid.id)
    ).all()
    consensus_rows = db.session.scalars(
        select(ConsensusScore)
        .join(OpenedBid, OpenedBid.id == ConsensusScore.opened_bid_id)
        .where(OpenedBid.tender_id == tender.id)
    ).all()
    consensus = {(r.opened_bid_id, r.criterion_id): r for r in consensus_rows}
    mine = (
        db.session.scalars(
            select(ReviewerScore)
            .join(OpenedBid, OpenedBid.id == ReviewerScore.opened_bid_id)
            .where(OpenedBid.tender_id == tender.id, ReviewerScore.reviewer_id == user.id)
        ).all()
        if sees_bids
        else []
    )
    ranking: dict[int, list[scoring.Ranked]] = {}
    problem = None
    try:
        ranking = evaluation.results(tender)
    except ValueError as exc:  # EvaluationError: scores missing, prices sealed
        problem = str(exc)
    low = flagged_low(tender, bids, consensus) if problem is None else set()
    decisions = {
        d.lot_id: d
        for d in db.session.scalars(
            select(AwardDecision).where(AwardDecision.tender_id == tender.id)
        )
    }
    names = anonymity.labels(bids) if hides_names else {b.id: b.bidder_name for b in bids}

    def bid_dict(bid: OpenedBid) -> dict[str, Any]:
        out = {
            "id": bid.id,
            "bidder": names[bid.id],
            "partners": [] if hides_names else [p["organisation"] for p in bid.partners],
            "citizen_initiative": bid.citizen_initiative,
            "submitted_at": bid.submitted_at,
            "price": bid.price,
            "excluded_reason": bid.excluded_reason,
            "abnormally_low": bid.id in low,
        }
        if sees_bids:
            out.update(
                answers=bid.quality.get("answers", {}),
                requirements=bid.quality.get("requirements", {}),
                consensus=_scores(r for r in consensus_rows if r.opened_bid_id == bid.id),
                my_scores=_scores(r for r in mine if r.opened_bid_id == bid.id),
            )
        return out

    def award_dict(decision: AwardDecision | None) -> dict[str, Any] | None:
        if decision is None:
            return None
        return {
            "winner_bid_id": decision.winner_id,
            "winner": names.get(decision.winner_id, ""),
            "reserved_winner_bid_id": decision.reserved_winner_id,
            "reserved_winner": names.get(decision.reserved_winner_id),
            "tie_rule": decision.tie_rule,
            "reasons": decision.reasons,
            "decided_at": decision.decided_at,
            "letters_sent_at": decision.letters_sent_at,
            "standstill_ends_at": decision.standstill_ends_at,
        }

    lots = []
    for lot in tender.lots:
        ranked = None
        if problem is None:
            ranked = [
                {
                    "bid_id": r.bid_id,
                    "bidder": names.get(r.bid_id, ""),
                    "rank": r.rank,
                    "price": r.price,
                    "price_subtotal": r.price_subtotal,
                    "quality_subtotal": r.quality_subtotal,
                    "total": r.total,
                    "excluded": r.excluded,
                    "tie_broken_by": r.tie_broken_by,
                }
                for r in ranking.get(lot.id, [])
            ]
        lots.append(
            {
                "id": lot.id,
                "number": lot.number,
                "title": lot.title,
                "bids": [bid_dict(b) for b in bids if b.lot_id == lot.id],
                "ranking": ranked,
                "award": award_dict(decisions.get(lot.id)),
            }
        )
    tie_rule = next((r.tie_rule for rows in ranking.values() for r in rows), scoring.TIE_RULE)
    return {
        "tender_id": tender.id,
        "title": tender.title,
        "status": tender.status.value,
        "opened_at": tender.opened_at,
        "bid_count": len(bids),
        "price_after_quality": tender.price_after_quality,
        "sees_bids": sees_bids,
        "ranking_problem": problem,
        "tie_rule": scoring.TIE_RULES.get(tie_rule, tie_rule),
        "lots": lots,
    }


@blp.route("/<org_slug>/evaluations/<int:tender_id>", methods=["GET"])
@org_access("tenders.view", BUYERS, load=_own_tender)
@blp.response(200, EvaluationOut)
@blp.alt_response(409, description="Not opened yet (or cancelled): nothing of the bids")
def get_evaluation(org_slug: str, tender_id: int):
    """The evaluation after the opening: bids per lot, ranking with totals, exclusions and
    the award. Before the opening 409. Reviewers see it once they have declared no
    conflict of interest (with answers and scores); the officials who award see the
    ranking and the award; other roles get 403."""
    tender, user = g.api_obj, require_user()
    if tender.status == TenderStatus.CANCELLED:
        api_abort(409, message=_("De aanbesteding is ingetrokken. Er wordt niets meer beoordeeld."))
    if tender.opened_at is None or tender.status not in AFTER_OPENING:
        api_abort(
            409,
            message=_(
                "De inschrijvingen zijn nog niet geopend. De beoordeling begint na de opening."
            ),
        )
    assignment = db.session.scalar(
        select(ReviewerAssignment).where(
            ReviewerAssignment.tender_id == tender.id, ReviewerAssignment.reviewer_id == user.id
        )
    )
    declared = assignment is not None and assignment.no_conflict_declared_at is not None
    blocked = assignment is not None and not declared
    may_award = policy.can(g.api_roles, "tenders.award")
    if blocked:
        api_abort(403, message=_("Verklaar eerst dat u geen belangenconflict heeft."))
    if not (declared or may_award):
        api_abort(
            403,
            message=_(
                "Alleen de beoordelaars van deze aanbesteding zien de inschrijvingen, nadat "
                "zij hebben verklaard dat zij geen belangenconflict hebben."
            ),
        )
    return _evaluation(
        tender,
        user,
        sees_bids=declared,
        hides_names=anonymity.hides_names(tender, assignment),
    )


def register() -> None:
    register_blueprint(blp)
